package driver_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// peerOptions say how peerServer makes a server.
type peerOptions struct {
	podCIDR    bool // the peer's last create step: the pod CIDR on the Nova-made port
	rootVolume int  // > 0: boot from a pre-created volume of this size named after the machine
}

// peerServer makes a server over the OpenStack APIs the way provider-openstack v0.27.1's
// CreateMachine does (executor.go): the class's tags as server metadata and no Nova tags; with a
// root volume, a Cinder volume named after the machine (the tags as its metadata) attached with
// delete_on_termination false; then the pod CIDR as allowed address pair of the port Nova made.
// It returns the ACTIVE server's ID.
func peerServer(f *fixture, name string, opts peerOptions) string {
	ctx := context.Background()
	seed := f.sim.Seed()
	provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: f.sim.AuthURL(), Username: seed.Username, Password: seed.Password,
		DomainName: seed.DomainName, TenantName: seed.ProjectName})
	Expect(err).NotTo(HaveOccurred())
	eo := gophercloud.EndpointOpts{Region: seed.Region}
	compute, err := openstack.NewComputeV2(provider, eo)
	Expect(err).NotTo(HaveOccurred())
	network, err := openstack.NewNetworkV2(provider, eo)
	Expect(err).NotTo(HaveOccurred())
	tags := map[string]string{clusterKey: "1", roleKey: "1"}

	create := servers.CreateOpts{Name: name, FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID,
		Networks: []servers.Network{{UUID: seed.NetworkID}}, SecurityGroups: []string{seed.SecurityGroupName},
		Metadata: tags, AvailabilityZone: "nova"}
	if opts.rootVolume > 0 {
		storage, err := openstack.NewBlockStorageV3(provider, eo)
		Expect(err).NotTo(HaveOccurred())
		ssd := "ssd"
		vol, err := volumes.Create(ctx, storage, volumes.CreateOpts{Name: name, VolumeType: ssd, Size: opts.rootVolume,
			ImageID: seed.ImageID, AvailabilityZone: "nova", Metadata: tags}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() string {
			v, err := volumes.Get(ctx, storage, vol.ID).Extract()
			Expect(err).NotTo(HaveOccurred())
			return v.Status
		}).WithTimeout(5 * time.Second).Should(Equal("available"))
		create.ImageRef = ""
		create.BlockDevice = []servers.BlockDevice{{UUID: vol.ID, VolumeSize: opts.rootVolume, BootIndex: 0,
			DeleteOnTermination: false, SourceType: servers.SourceVolume, DestinationType: servers.DestinationVolume}}
	}
	srv, err := servers.Create(ctx, compute, create, nil).Extract()
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() string {
		s, err := servers.Get(ctx, compute, srv.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		return s.Status
	}).WithTimeout(5 * time.Second).Should(Equal("ACTIVE"))
	if opts.podCIDR {
		pages, err := ports.List(network, ports.ListOpts{DeviceID: srv.ID}).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		list, err := ports.ExtractPorts(pages)
		Expect(err).NotTo(HaveOccurred())
		Expect(list).To(HaveLen(1))
		pairs := []ports.AddressPair{{IPAddress: "100.96.0.0/11"}}
		_, err = ports.Update(ctx, network, list[0].ID, ports.UpdateOpts{AllowedAddressPairs: &pairs}).Extract()
		Expect(err).NotTo(HaveOccurred())
	}
	return srv.ID
}

// A running cluster switched over from provider-openstack v0.27.1: its servers carry the peer's
// metadata and no Nova tags, its root volumes may be pre-created ones Nova keeps.
var _ = Describe("switching over from provider-openstack v0.27.1", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture(nil, nil, fastOptions()) })

	providerIDOf := func(serverID string) string { return "openstack:///" + f.sim.Seed().Region + "/" + serverID }

	It("lists the peer's servers on the first ListMachines and tags them, so later lists let Nova filter", func() {
		peer := peerServer(f, "peer-a", peerOptions{podCIDR: true})
		created, err := f.create("ours-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.list()).To(Equal(map[string]string{providerIDOf(peer): "peer-a", created.ProviderID: "ours-a"}))
		Expect(serversNamed(f.sim, "peer-a")[0].Tags).To(ContainElements(clusterKey, roleKey), "tagged by the first list")
		Expect(serversNamed(f.sim, "peer-a")[0].Tags).NotTo(ContainElement("mcm-provider-pco-initialized"), "listing does not claim an initialization it did not do")

		By("a later peer-made server is not seen by the tag-filtered list of this process")
		late := peerServer(f, "peer-late", peerOptions{podCIDR: true})
		Expect(f.list()).NotTo(HaveKey(providerIDOf(late)), "Nova filtered by tag: the cluster was wholly tagged")
	})

	It("keeps listing the whole project while a server could not be tagged", func() {
		peer := peerServer(f, "peer-b", peerOptions{podCIDR: true})
		f.sim.InjectFault(ossim.Fault{Service: "compute", Method: "PUT", Path: "/tags$", Kind: ossim.FaultError, Status: 409, Count: 1})
		Expect(f.list()).To(HaveKey(providerIDOf(peer)))
		late := peerServer(f, "peer-late", peerOptions{podCIDR: true})
		Expect(f.list()).To(HaveKey(providerIDOf(late)), "not yet wholly tagged: the whole project is listed again")
	})

	It("adopts a Running peer machine without a new server: Uninitialized, then initialized with no port change", func() {
		peer := peerServer(f, "peer-c", peerOptions{podCIDR: true})
		m := withProviderID("peer-c", providerIDOf(peer))
		_, err := f.status(m)
		Expect(codeOf(err)).To(Equal(codes.Uninitialized))
		f.sim.ResetCounts()
		_, err = f.initialize(m)
		Expect(err).NotTo(HaveOccurred())
		counts := f.sim.Counts()
		Expect(counts.Get("compute POST /servers")).To(BeZero())
		Expect(counts.Get("network PUT /v2.0/ports/{id}")).To(BeZero(), "the peer set the pod CIDR already")
		_, err = f.status(m)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.sim.ServerHistory()).To(HaveLen(1), "the peer's server is the only one ever made")
	})

	It("deletes the peer's pre-created root volume with its server", func() {
		peer := peerServer(f, "peer-d", peerOptions{podCIDR: true, rootVolume: 20})
		Expect(f.sim.Volumes()).To(HaveLen(1))
		Expect(f.delete(withProviderID("peer-d", providerIDOf(peer)))).To(Succeed())
		Expect(f.sim.Servers()).To(BeEmpty())
		Eventually(f.sim.Volumes).WithTimeout(2*time.Second).Should(BeEmpty(), "Nova keeps it (delete_on_termination false); the driver deletes it")
	})

	It("deletes the peer's root volume when MCM's orphan collection deletes the server by provider ID alone", func() {
		peer := peerServer(f, "peer-orphan", peerOptions{podCIDR: true, rootVolume: 20})
		list := f.list()
		Expect(list).To(HaveKeyWithValue(providerIDOf(peer), "peer-orphan"), "the orphan is seen, so MCM can collect it")
		_, err := f.drv.DeleteMachine(context.Background(), &mcmdriver.DeleteMachineRequest{
			Machine: withProviderID("peer-orphan", providerIDOf(peer)), MachineClass: f.class, Secret: f.secret})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.sim.Servers()).To(BeEmpty())
		Eventually(f.sim.Volumes).WithTimeout(2 * time.Second).Should(BeEmpty())
	})

	It("deletes the peer's root volume of a machine whose server is gone already", func() {
		spec := baseSpec(f.sim)
		ssd := "ssd"
		spec.RootDiskType, spec.RootDiskSize = &ssd, 20
		f.class = machineClass(spec)
		peer := peerServer(f, "peer-e", peerOptions{podCIDR: true, rootVolume: 20})
		f.sim.DeleteServerOutOfBand(peer) // an interrupted delete
		Expect(f.sim.Volumes()).To(HaveLen(1))
		Expect(f.delete(withProviderID("peer-e", providerIDOf(peer)))).To(Succeed())
		Eventually(f.sim.Volumes).WithTimeout(2 * time.Second).Should(BeEmpty())
	})

	It("keeps a volume that is not the machine's root volume when deleting its server", func() {
		peer := peerServer(f, "peer-f", peerOptions{podCIDR: true, rootVolume: 20})
		// The same volume, but named otherwise (as a PersistentVolume's would be): not ours to delete.
		f.sim.RenameVolume(f.sim.Volumes()[0].ID, "pv-data")
		Expect(f.delete(withProviderID("peer-f", providerIDOf(peer)))).To(Succeed())
		Expect(f.sim.Volumes()).To(HaveLen(1))
		Expect(f.sim.Volumes()[0].Status).To(Equal("available"))
	})

	It("leaves servers the peer can take back: our servers carry the peer's metadata", func() {
		_, err := f.create("ours-b")
		Expect(err).NotTo(HaveOccurred())
		Expect(serversNamed(f.sim, "ours-b")[0].Metadata).To(Equal(map[string]string{clusterKey: "1", roleKey: "1"}))
		Expect(fmt.Sprint(portsOf(f.sim, "ours-b")[0].AllowedAddressPairs)).To(ContainSubstring("100.96.0.0/11"))
	})
})
