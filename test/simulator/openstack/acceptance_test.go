package ossim_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/attributestags"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/gophercloud/gophercloud/v2/pagination"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/test/simulator/openstack"
)

// clients are service clients built the way any OpenStack tool builds them: from a clouds.yaml
// named by OS_CLIENT_CONFIG_FILE and OS_CLOUD.
type clients struct {
	provider               *gophercloud.ProviderClient
	compute, network, block *gophercloud.ServiceClient
}

func startSim(mod func(*ossim.Options)) *ossim.Sim {
	opts := ossim.Options{BuildTime: 100 * time.Millisecond, DeleteTime: 50 * time.Millisecond, VolumeTime: 50 * time.Millisecond}
	if mod != nil {
		mod(&opts)
	}
	sim, err := ossim.Start(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	return sim
}

func cloudsClients(ctx context.Context, sim *ossim.Sim) *clients {
	file := filepath.Join(GinkgoT().TempDir(), "clouds.yaml")
	Expect(os.WriteFile(file, sim.CloudsYAML("pco-sim"), 0o600)).To(Succeed())
	GinkgoT().Setenv("OS_CLIENT_CONFIG_FILE", file)
	GinkgoT().Setenv("OS_CLOUD", "pco-sim")
	authOpts, endpointOpts, tlsConfig, err := clouds.Parse()
	Expect(err).NotTo(HaveOccurred())
	authOpts.AllowReauth = true
	provider, err := config.NewProviderClient(ctx, authOpts, config.WithTLSConfig(tlsConfig))
	Expect(err).NotTo(HaveOccurred())
	c := &clients{provider: provider}
	c.compute, err = openstack.NewComputeV2(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())
	c.compute.Microversion = "2.67"
	c.network, err = openstack.NewNetworkV2(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())
	c.block, err = openstack.NewBlockStorageV3(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())
	return c
}

var _ = Describe("an OpenStack client on clouds.yaml", func() {
	It("does the whole acceptance flow through gophercloud", func(ctx SpecContext) {
		sim := startSim(nil)
		c := cloudsClients(ctx, sim)
		seed := sim.Seed()

		By("creating a network, subnet, security group and a tagged port")
		net, err := networks.Create(ctx, c.network, networks.CreateOpts{Name: "acc-net"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		sub, err := subnets.Create(ctx, c.network, subnets.CreateOpts{NetworkID: net.ID, CIDR: "192.168.77.0/24", IPVersion: gophercloud.IPv4}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(sub.GatewayIP).To(Equal("192.168.77.1"))
		sg, err := groups.Create(ctx, c.network, groups.CreateOpts{Name: "acc-sg"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		port, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: net.ID, Name: "acc-port", SecurityGroups: &[]string{sg.ID},
			FixedIPs: []ports.IP{{SubnetID: sub.ID}}}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(port.FixedIPs).To(HaveLen(1))
		Expect(port.FixedIPs[0].IPAddress).To(Equal("192.168.77.2"))
		tags, err := attributestags.ReplaceAll(ctx, c.network, "ports", port.ID, attributestags.ReplaceAllOpts{Tags: []string{"acc"}}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(tags).To(Equal([]string{"acc"}))

		By("booting a server on that port with metadata, tags and user data")
		userData := base64.StdEncoding.EncodeToString([]byte("#cloud-config\n"))
		created, err := servers.Create(ctx, c.compute, servers.CreateOpts{
			Name: "acc-server", FlavorRef: "104", ImageRef: seed.ImageID, UserData: []byte(userData),
			Networks: []servers.Network{{Port: port.ID}}, Metadata: map[string]string{"role": "acc"}, Tags: []string{"acc", "pco"},
		}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(created.AdminPass).NotTo(BeEmpty())

		By("seeing it go ACTIVE")
		Eventually(func(g Gomega) {
			s, err := servers.Get(ctx, c.compute, created.ID).Extract()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(s.Status).To(Equal("ACTIVE"))
			g.Expect(s.Metadata).To(HaveKeyWithValue("role", "acc"))
			g.Expect(*s.Tags).To(ConsistOf("acc", "pco"))
			g.Expect(s.Addresses).To(HaveKey("acc-net"))
		}).WithTimeout(3 * time.Second).Should(Succeed())
		bound, err := ports.Get(ctx, c.network, port.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(bound.DeviceID).To(Equal(created.ID))
		Expect(bound.DeviceOwner).To(Equal("compute:nova"))

		By("finding it by tag and by name")
		Expect(listServers(ctx, c, servers.ListOpts{Tags: "acc,pco"})).To(ConsistOf("acc-server"))
		Expect(listServers(ctx, c, servers.ListOpts{Tags: "acc,other"})).To(BeEmpty())
		Expect(listServers(ctx, c, servers.ListOpts{Name: "^acc-server$"})).To(ConsistOf("acc-server"))

		By("paging through servers")
		sim.AddServers(7, ossim.Server{Name: "bulk"})
		pages, total := 0, 0
		err = servers.List(c.compute, servers.ListOpts{Limit: 3}).EachPage(ctx, func(_ context.Context, p pagination.Page) (bool, error) {
			list, err := servers.ExtractServers(p)
			pages++
			total += len(list)
			return true, err
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(total).To(Equal(8))
		Expect(pages).To(Equal(3))

		By("deleting it and seeing the port unbound")
		Expect(servers.Delete(ctx, c.compute, created.ID).ExtractErr()).To(Succeed())
		Eventually(func() bool {
			_, err := servers.Get(ctx, c.compute, created.ID).Extract()
			return gophercloud.ResponseCodeIs(err, 404)
		}).WithTimeout(3 * time.Second).Should(BeTrue())
		unbound, err := ports.Get(ctx, c.network, port.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(unbound.DeviceID).To(BeEmpty())
		Expect(unbound.Status).To(Equal("DOWN"))

		By("creating and deleting a volume")
		vol, err := volumes.Create(ctx, c.block, volumes.CreateOpts{Name: "acc-vol", Size: 5}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() string {
			v, err := volumes.Get(ctx, c.block, vol.ID).Extract()
			Expect(err).NotTo(HaveOccurred())
			return v.Status
		}).WithTimeout(3 * time.Second).Should(Equal("available"))
		Expect(volumes.Delete(ctx, c.block, vol.ID, nil).ExtractErr()).To(Succeed())
		Eventually(func() bool {
			_, err := volumes.Get(ctx, c.block, vol.ID).Extract()
			return gophercloud.ResponseCodeIs(err, 404)
		}).WithTimeout(3 * time.Second).Should(BeTrue())
	})
})

func listServers(ctx context.Context, c *clients, opts servers.ListOpts) []string {
	pages, err := servers.List(c.compute, opts).AllPages(ctx)
	Expect(err).NotTo(HaveOccurred())
	list, err := servers.ExtractServers(pages)
	Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
	}
	return names
}
