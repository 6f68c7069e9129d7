package ossim_test

import (
	"context"
	"os"
	"path/filepath"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/attributestags"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/rules"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/gophercloud/gophercloud/v2/pagination"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// cloudsServices builds clients the way any OpenStack tool does: from the clouds.yaml named by
// OS_CLIENT_CONFIG_FILE and the cloud named by OS_CLOUD.
func cloudsServices(ctx context.Context, sim *ossim.Sim) *services {
	file := filepath.Join(GinkgoT().TempDir(), "clouds.yaml")
	Expect(os.WriteFile(file, sim.CloudsYAML("pco-sim"), 0o600)).To(Succeed())
	GinkgoT().Setenv("OS_CLIENT_CONFIG_FILE", file)
	GinkgoT().Setenv("OS_CLOUD", "pco-sim")
	authOpts, endpointOpts, tlsConfig, err := clouds.Parse()
	Expect(err).NotTo(HaveOccurred())
	Expect(endpointOpts.Region).To(Equal(sim.Seed().Region))
	authOpts.AllowReauth = true
	provider, err := config.NewProviderClient(ctx, authOpts, config.WithTLSConfig(tlsConfig))
	Expect(err).NotTo(HaveOccurred())
	s := &services{provider: provider}
	s.compute, err = openstack.NewComputeV2(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())
	s.compute.Microversion = "2.67"
	s.network, err = openstack.NewNetworkV2(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())
	s.image, err = openstack.NewImageV2(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())
	s.block, err = openstack.NewBlockStorageV3(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())
	return s
}

func serverNames(ctx context.Context, c *gophercloud.ServiceClient, opts servers.ListOpts) []string {
	pages, err := servers.List(c, opts).AllPages(ctx)
	Expect(err).NotTo(HaveOccurred())
	list, err := servers.ExtractServers(pages)
	Expect(err).NotTo(HaveOccurred())
	names := []string{}
	for _, s := range list {
		names = append(names, s.Name)
	}
	return names
}

var _ = Describe("an OpenStack client configured by clouds.yaml", func() {
	It("goes through the whole acceptance flow with gophercloud", func(ctx SpecContext) {
		sim := startSim(nil)
		c := cloudsServices(ctx, sim)
		seed := sim.Seed()

		By("creating a network, subnet, security group with a rule, and a tagged port")
		net, err := networks.Create(ctx, c.network, networks.CreateOpts{Name: "acc-net"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		sub, err := subnets.Create(ctx, c.network, subnets.CreateOpts{NetworkID: net.ID, CIDR: "192.168.77.0/24", IPVersion: gophercloud.IPv4}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(sub.GatewayIP).To(Equal("192.168.77.1"))
		Expect(sub.AllocationPools).To(Equal([]subnets.AllocationPool{{Start: "192.168.77.2", End: "192.168.77.254"}}))
		sg, err := groups.Create(ctx, c.network, groups.CreateOpts{Name: "acc-sg"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(sg.Rules).To(HaveLen(2), "Neutron gives new groups an egress rule per ethertype")
		_, err = rules.Create(ctx, c.network, rules.CreateOpts{SecGroupID: sg.ID, Direction: rules.DirIngress, EtherType: rules.EtherType4,
			Protocol: rules.ProtocolTCP, PortRangeMin: 22, PortRangeMax: 22, RemoteIPPrefix: "10.0.0.0/8"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		port, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: net.ID, Name: "acc-port", SecurityGroups: &[]string{sg.ID},
			FixedIPs: []ports.IP{{SubnetID: sub.ID}}}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(port.Status).To(Equal("DOWN"))
		Expect(port.FixedIPs).To(Equal([]ports.IP{{SubnetID: sub.ID, IPAddress: "192.168.77.2"}}))
		Expect(port.MACAddress).To(HavePrefix("fa:16:3e:"))
		tags, err := attributestags.ReplaceAll(ctx, c.network, "ports", port.ID, attributestags.ReplaceAllOpts{Tags: []string{"acc", "pco"}}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(tags).To(ConsistOf("acc", "pco"))

		By("booting a server on that port with metadata, tags and user data")
		created, err := servers.Create(ctx, c.compute, servers.CreateOpts{
			Name: "acc-server", FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID, UserData: []byte("#cloud-config\n"),
			Networks: []servers.Network{{Port: port.ID}}, Metadata: map[string]string{"role": "acc"}, Tags: []string{"acc", "pco"},
		}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(created.AdminPass).NotTo(BeEmpty())
		Expect(sim.Servers()[0].UserData).To(Equal("#cloud-config\n"))

		By("seeing it go from BUILD to ACTIVE with its port bound")
		s, err := servers.Get(ctx, c.compute, created.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Status).To(Equal("BUILD"))
		waitServer(ctx, c.compute, created.ID, "ACTIVE")
		s, err = servers.Get(ctx, c.compute, created.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Metadata).To(HaveKeyWithValue("role", "acc"))
		Expect(*s.Tags).To(ConsistOf("acc", "pco"))
		Expect(s.Addresses).To(HaveKey("acc-net"))
		Expect(s.Flavor).To(HaveKeyWithValue("original_name", "SCS-2V-4-20s"))
		Expect(s.SecurityGroups).To(ConsistOf(map[string]any{"name": "acc-sg"}))
		bound, err := ports.Get(ctx, c.network, port.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(bound.DeviceID).To(Equal(created.ID))
		Expect(bound.DeviceOwner).To(Equal("compute:nova"))
		Expect(bound.Status).To(Equal("ACTIVE"))

		By("finding it by tag and by name")
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Tags: "acc,pco"})).To(ConsistOf("acc-server"))
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Tags: "acc,other"})).To(BeEmpty())
		Expect(serverNames(ctx, c.compute, servers.ListOpts{TagsAny: "acc,other"})).To(ConsistOf("acc-server"))
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Name: "^acc-server$"})).To(ConsistOf("acc-server"))

		By("paging through more servers than a page holds")
		sim.AddServers(7, ossim.Server{Name: "bulk"})
		pages, total := 0, 0
		sim.ResetCounts()
		err = servers.List(c.compute, servers.ListOpts{Limit: 3}).EachPage(ctx, func(_ context.Context, p pagination.Page) (bool, error) {
			list, err := servers.ExtractServers(p)
			pages++
			total += len(list)
			return true, err
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(total).To(Equal(8))
		Expect(pages).To(Equal(3))
		Expect(sim.Counts().Get("compute GET /servers/detail")).To(Equal(3), "3+3+2: the last page is not full, so no next link")

		By("deleting it and seeing the port unbound")
		Expect(servers.Delete(ctx, c.compute, created.ID).ExtractErr()).To(Succeed())
		s, err = servers.Get(ctx, c.compute, created.ID).Extract()
		Expect(err).NotTo(HaveOccurred(), "a deleted server stays visible for a moment")
		Expect(s.TaskState).To(Equal("deleting"))
		waitServerGone(ctx, c.compute, created.ID)
		unbound, err := ports.Get(ctx, c.network, port.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(unbound.DeviceID).To(BeEmpty())
		Expect(unbound.DeviceOwner).To(BeEmpty())
		Expect(unbound.Status).To(Equal("DOWN"))

		By("creating and deleting a volume")
		vol, err := volumes.Create(ctx, c.block, volumes.CreateOpts{Name: "acc-vol", Size: 5, VolumeType: "ssd"}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(vol.Status).To(Equal("creating"))
		eventually(func(g Gomega) string {
			v, err := volumes.Get(ctx, c.block, vol.ID).Extract()
			g.Expect(err).NotTo(HaveOccurred())
			return v.Status
		}).Should(Equal("available"))
		Expect(volumes.Delete(ctx, c.block, vol.ID, nil).ExtractErr()).To(Succeed())
		eventually(func() bool {
			_, err := volumes.Get(ctx, c.block, vol.ID).Extract()
			return gophercloud.ResponseCodeIs(err, 404)
		}).Should(BeTrue())
	})
})

var _ = Describe("the service catalog", func() {
	It("has every service at its devstack path, in the region, for each interface", func(ctx SpecContext) {
		sim := startSim(func(o *ossim.Options) { o.Region = "RegionTwo" })
		c := newServices(ctx, sim, passwordAuth(sim), "")
		Expect(c.compute.Endpoint).To(Equal(sim.URL() + "/compute/v2.1/"))
		Expect(c.network.ResourceBase).To(Equal(sim.URL() + "/network/v2.0/"))
		Expect(c.image.ResourceBase).To(Equal(sim.URL() + "/image/v2/"))
		Expect(c.block.Endpoint).To(Equal(sim.URL() + "/volume/v3/" + sim.Seed().ProjectID + "/"))
		for _, iface := range []gophercloud.Availability{gophercloud.AvailabilityInternal, gophercloud.AvailabilityAdmin} {
			_, err := openstack.NewComputeV2(c.provider, gophercloud.EndpointOpts{Region: "RegionTwo", Availability: iface})
			Expect(err).NotTo(HaveOccurred())
		}
		_, err := openstack.NewComputeV2(c.provider, gophercloud.EndpointOpts{Region: "RegionOne"})
		Expect(err).To(HaveOccurred(), "no endpoints in another region")
		_, err = openstack.NewBlockStorageV3(c.provider, gophercloud.EndpointOpts{Region: "RegionTwo", Type: "volumev3"})
		Expect(err).NotTo(HaveOccurred(), "Cinder is in the catalog as volumev3 too")
	})

	It("serves version documents where clients discover them", func(ctx SpecContext) {
		sim := startSim(nil)
		for path, code := range map[string]int{"/identity/": 300, "/identity/v3": 200, "/compute/": 200, "/compute/v2.1": 200,
			"/network/": 200, "/image/": 300, "/volume/": 300} {
			r := rawRequest(sim, "GET", path, "", nil)
			Expect(r.code).To(Equal(code), path)
			Expect(r.body).To(ContainSubstring(`"id"`), path)
		}
		// An unversioned auth URL makes gophercloud discover Keystone's versions.
		opts := passwordAuth(sim)
		opts.IdentityEndpoint = sim.URL() + "/identity"
		_, err := openstack.AuthenticatedClient(ctx, opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(sim.Counts().Get("identity GET /")).To(Equal(2))
	})
})

// waitServer waits for a server to reach a status.
func waitServer(ctx context.Context, c *gophercloud.ServiceClient, id, status string) {
	GinkgoHelper()
	eventually(func(g Gomega) string {
		s, err := servers.Get(ctx, c, id).Extract()
		g.Expect(err).NotTo(HaveOccurred())
		return s.Status
	}).Should(Equal(status))
}

// waitServerGone waits until a server answers 404.
func waitServerGone(ctx context.Context, c *gophercloud.ServiceClient, id string) {
	GinkgoHelper()
	eventually(func() bool {
		_, err := servers.Get(ctx, c, id).Extract()
		return gophercloud.ResponseCodeIs(err, 404)
	}).Should(BeTrue())
}
