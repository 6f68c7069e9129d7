package driver_test

import (
	"context"
	"fmt"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

var _ = Describe("machine lifecycle against the simulator", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture(nil, nil, fastOptions()) })

	It("creates, reports, lists and deletes a machine, leaving nothing behind", func() {
		created, err := f.create("worker-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(created.ProviderID).To(MatchRegexp(`^openstack:///` + f.sim.Seed().Region + `/[0-9a-f-]{36}$`))
		Expect(created.NodeName).To(Equal("worker-a"))
		Expect(created.Addresses).To(ContainElement(HaveField("Type", BeEquivalentTo("InternalIP"))))

		By("the server carrying the peer's metadata markers and our Nova tags")
		srvs := serversNamed(f.sim, "worker-a")
		Expect(srvs).To(HaveLen(1))
		Expect(srvs[0].Status).To(Equal("ACTIVE"))
		Expect(srvs[0].Metadata).To(HaveKeyWithValue(clusterKey, "1"))
		Expect(srvs[0].Metadata).To(HaveKeyWithValue(roleKey, "1"))
		Expect(srvs[0].Tags).To(ContainElements(clusterKey, roleKey))

		By("a Nova-made port with the security group and the pod CIDR as allowed address pair")
		ports := portsOf(f.sim, "worker-a")
		Expect(ports).To(HaveLen(1))
		Expect(ports[0].DeviceOwner).To(HavePrefix("compute:"))
		Expect(ports[0].SecurityGroups).To(ConsistOf(f.sim.Seed().SecurityGroupID))
		Expect(fmt.Sprint(ports[0].AllowedAddressPairs)).To(ContainSubstring("100.96.0.0/11"))

		st, err := f.status(withProviderID("worker-a", created.ProviderID))
		Expect(err).NotTo(HaveOccurred())
		Expect(st.ProviderID).To(Equal(created.ProviderID))
		st, err = f.status(machine("worker-a"))
		Expect(codeOf(err)).To(Equal(codes.NotFound), "found by name when the Machine has no provider ID yet: MCM calls CreateMachine, which adopts it")
		Expect(st).To(BeNil())
		again, err := f.create("worker-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(again.ProviderID).To(Equal(created.ProviderID))

		init, err := f.drv.InitializeMachine(context.Background(), &mcmdriver.InitializeMachineRequest{
			Machine: withProviderID("worker-a", created.ProviderID), MachineClass: f.class, Secret: f.secret})
		Expect(err).NotTo(HaveOccurred())
		Expect(init.NodeName).To(Equal("worker-a"))

		Expect(f.list()).To(Equal(map[string]string{created.ProviderID: "worker-a"}))

		Expect(f.delete(withProviderID("worker-a", created.ProviderID))).To(Succeed())
		Expect(serversNamed(f.sim, "worker-a")).To(BeEmpty())
		Expect(f.sim.Ports()).To(BeEmpty(), "Nova deleted its port with the server")

		_, err = f.status(withProviderID("worker-a", created.ProviderID))
		Expect(codeOf(err)).To(Equal(codes.NotFound))
		_, err = f.status(machine("worker-a"))
		Expect(codeOf(err)).To(Equal(codes.NotFound))
	})

	It("returns the same server when create is called again", func() {
		first, err := f.create("worker-b")
		Expect(err).NotTo(HaveOccurred())
		second, err := f.create("worker-b")
		Expect(err).NotTo(HaveOccurred())
		Expect(second.ProviderID).To(Equal(first.ProviderID))
		Expect(serversNamed(f.sim, "worker-b")).To(HaveLen(1))
		Expect(f.sim.Ports()).To(HaveLen(1))
	})

	It("makes no duplicate when the create response is lost after Nova made the server", func() {
		f.sim.InjectFault(ossim.Fault{Service: "compute", Method: "POST", Path: "^/servers$", Kind: ossim.FaultAfterCommit, Count: 1})
		created, err := f.create("worker-c")
		Expect(err).NotTo(HaveOccurred())
		Expect(serversNamed(f.sim, "worker-c")).To(HaveLen(1))
		Expect(created.ProviderID).To(HaveSuffix(serversNamed(f.sim, "worker-c")[0].ID))
		Expect(f.sim.Ports()).To(HaveLen(1))
	})

	It("adopts the server of a create that crashed after POST /servers", func() {
		_, err := f.status(machine("worker-d")) // MCM's status call: no server, the create need not look
		Expect(codeOf(err)).To(Equal(codes.NotFound))
		f.sim.InjectFault(ossim.Fault{Service: "compute", Method: "POST", Path: "^/servers$", Kind: ossim.FaultAfterCommit, Status: 503, Count: 1})
		// The first attempt stops (as a crashed controller would) while it looks for the server
		// its failed POST may have made.
		f.sim.InjectFault(ossim.Fault{Service: "compute", Method: "GET", Path: "^/servers/detail$", Kind: ossim.FaultLatency, Delay: 5 * time.Second, Count: 1})
		looking := func() bool {
			return f.sim.Counts().Get("compute GET /servers/detail") > 0 && len(serversNamed(f.sim, "worker-d")) == 1
		}
		_ = createCutWhen(f, machine("worker-d"), looking)

		Expect(serversNamed(f.sim, "worker-d")).To(HaveLen(1), "the interrupted attempt left its server")
		st, err := f.status(machine("worker-d"))
		Expect(codeOf(err)).To(Equal(codes.NotFound), "no provider ID is handed out before CreateMachine finished the server")
		Expect(st).To(BeNil())
		created, err := f.create("worker-d")
		Expect(err).NotTo(HaveOccurred())
		Expect(serversNamed(f.sim, "worker-d")).To(HaveLen(1))
		Expect(created.ProviderID).To(HaveSuffix(serversNamed(f.sim, "worker-d")[0].ID))
		Expect(f.sim.Ports()).To(HaveLen(1))
		Expect(fmt.Sprint(f.sim.Ports()[0].AllowedAddressPairs)).To(ContainSubstring("100.96.0.0/11"), "adoption finished the pod network")
	})

	It("treats deleting a machine that is already gone as success", func() {
		created, err := f.create("worker-e")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.delete(withProviderID("worker-e", created.ProviderID))).To(Succeed())
		Expect(f.delete(withProviderID("worker-e", created.ProviderID))).To(Succeed())
		Expect(f.delete(machine("never-created"))).To(Succeed())
	})

	It("deletes by provider ID alone, as MCM's orphan collection calls it", func() {
		created, err := f.create("worker-f")
		Expect(err).NotTo(HaveOccurred())
		list := f.list()
		Expect(list).To(HaveKey(created.ProviderID))
		Expect(f.delete(withProviderID(list[created.ProviderID], created.ProviderID))).To(Succeed())
		Expect(f.sim.Servers()).To(BeEmpty())
		Expect(f.sim.Ports()).To(BeEmpty())
	})

	It("deleting a stray duplicate by provider ID keeps the live machine's port (orphan collection)", func() {
		f.pinSubnet()
		created, err := f.create("worker-dup")
		Expect(err).NotTo(HaveOccurred())
		Expect(portsNamed(f.sim, "worker-dup")).To(HaveLen(1))
		list := f.list()
		stray := f.sim.AddServers(1, ossim.Server{Name: "worker-dup", Tags: f.sim.Servers()[0].Tags, Metadata: f.sim.Servers()[0].Metadata})
		Expect(f.delete(withProviderID("worker-dup", "openstack:///"+f.sim.Seed().Region+"/"+stray[0]))).To(Succeed())
		Expect(portsNamed(f.sim, "worker-dup")).To(HaveLen(1), "the port bound to the live server stays")
		Expect(serversNamed(f.sim, "worker-dup")).To(HaveLen(1))
		Expect(f.delete(withProviderID(list[created.ProviderID], created.ProviderID))).To(Succeed())
		Expect(portsNamed(f.sim, "worker-dup")).To(BeEmpty())
	})

	It("removes a server whose build went to ERROR and reports Nova's fault as Internal; the next create succeeds", func() {
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures", Count: 1})
		_, err := f.create("worker-g")
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("Exhausted all hosts"))
		Expect(codeOf(err)).To(Equal(codes.Internal))
		Expect(serversNamed(f.sim, "worker-g")).To(BeEmpty(), "the ERROR server is removed")
		Expect(f.sim.Ports()).To(BeEmpty(), "its port is removed")

		created, err := f.create("worker-g")
		Expect(err).NotTo(HaveOccurred(), "the next attempt succeeds")
		Expect(created.ProviderID).NotTo(BeEmpty())
	})

	It("finds its own server by name among another cluster's of the same name and names that are prefixes of it", func() {
		first, err := f.create("worker-1")
		Expect(err).NotTo(HaveOccurred())
		ten, err := f.create("worker-10")
		Expect(err).NotTo(HaveOccurred())
		other := f.sim.AddServers(1, ossim.Server{Name: "worker-1", Metadata: map[string]string{"kubernetes.io-cluster-other": "1", roleKey: "1"}})

		f.sim.ResetCounts()
		again, err := f.create("worker-1")
		Expect(err).NotTo(HaveOccurred())
		Expect(again.ProviderID).To(Equal(first.ProviderID), "ours, not the other cluster's %s", other[0])
		Expect(f.sim.Counts().Get("compute POST /servers")).To(BeZero(), "no server was made for the second create")
		Expect(f.list()).To(Equal(map[string]string{first.ProviderID: "worker-1", ten.ProviderID: "worker-10"}))
	})

	It("reports OutOfRange when two servers of this cluster share a machine's name", func() {
		tmpl := ossim.Server{Name: "twin", Metadata: map[string]string{clusterKey: "1", roleKey: "1"}, Tags: []string{clusterKey, roleKey}}
		f.sim.AddServers(1, tmpl)
		f.sim.AddServers(1, tmpl)
		_, err := f.status(machine("twin"))
		Expect(codeOf(err)).To(Equal(codes.OutOfRange))
	})

	It("recognises and adopts a server made by the peer driver (metadata only, no Nova tags)", func() {
		f.sim.AddServers(1, ossim.Server{Name: "legacy", Metadata: map[string]string{clusterKey: "1", roleKey: "1"}})
		name := "legacy"
		created, err := f.create(name)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.sim.Servers()).To(HaveLen(1), "adopted, not duplicated")
		Expect(f.sim.Servers()[0].Tags).To(ContainElements(clusterKey, roleKey), "our tags were added")
		Expect(f.list()).To(HaveKeyWithValue(created.ProviderID, name))
	})

	It("answers GetVolumeIDs for in-tree Cinder and Cinder CSI volumes only", func() {
		resp, err := f.drv.GetVolumeIDs(context.Background(), &mcmdriver.GetVolumeIDsRequest{PVSpecs: pvSpecs()})
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.VolumeIDs).To(Equal([]string{"in-tree-id", "csi-id"}))
	})

	It("never puts the user data or password into an error", func() {
		f.sim.SetQuota(f.sim.Seed().ProjectID, ossim.Quota{Instances: 0, Cores: -1, RAMMB: -1, Ports: -1, Volumes: -1, Gigabytes: -1})
		_, err := f.create("worker-q")
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).NotTo(ContainSubstring("s3cr3t"))
		Expect(err.Error()).NotTo(ContainSubstring(f.sim.Seed().Password))
		st, ok := status.FromError(err)
		Expect(ok).To(BeTrue())
		Expect(st.Message()).To(ContainSubstring("Quota exceeded for instances"), "MCM reads the whole message")
	})

	It("uses the image's min_disk for a diskless SCS flavor and lets Nova own the boot volume", func() {
		spec := baseSpec(f.sim)
		spec.FlavorName = "SCS-2V-4"
		spec.ImageName = f.sim.Seed().ImageWithMinDisk
		f.class = machineClass(spec)
		created, err := f.create("worker-v")
		Expect(err).NotTo(HaveOccurred())
		vols := f.sim.Volumes()
		Expect(vols).To(HaveLen(1))
		Expect(vols[0].Size).To(Equal(f.sim.Seed().ImageMinDisk))
		Expect(vols[0].Status).To(Equal("in-use"))
		Expect(f.delete(withProviderID("worker-v", created.ProviderID))).To(Succeed())
		Eventually(f.sim.Volumes).WithTimeout(2 * time.Second).Should(BeEmpty())
	})

	It("boots from a volume of rootDiskSize and rootDiskType", func() {
		spec := baseSpec(f.sim)
		spec.FlavorName = "SCS-2V-4"
		spec.RootDiskSize = 33
		ssd := "ssd"
		spec.RootDiskType = &ssd
		f.class = machineClass(spec)
		_, err := f.create("worker-w")
		Expect(err).NotTo(HaveOccurred())
		vols := f.sim.Volumes()
		Expect(vols).To(HaveLen(1))
		Expect(vols[0].Size).To(Equal(33))
		Expect(vols[0].VolumeType).To(Equal("ssd"))
	})

	It("says clearly when a diskless flavor leaves the root disk size unknown", func() {
		spec := baseSpec(f.sim)
		spec.FlavorName = "SCS-2V-4"
		spec.ImageName = f.sim.Seed().ImageName // no min_disk
		f.class = machineClass(spec)
		_, err := f.create("worker-x")
		Expect(codeOf(err)).To(Equal(codes.InvalidArgument))
		Expect(err.Error()).To(ContainSubstring("rootDiskSize"))
		Expect(f.sim.Servers()).To(BeEmpty())
		Expect(f.sim.Ports()).To(BeEmpty())
	})

	It("uses the server group as a scheduler hint and networks by name", func() {
		spec := baseSpec(f.sim)
		spec.NetworkID = ""
		spec.Networks = []api.OpenStackNetwork{{Name: f.sim.Seed().NetworkName, PodNetwork: true}}
		f.class = machineClass(spec)
		_, err := f.create("worker-n")
		Expect(err).NotTo(HaveOccurred())
		Expect(portsOf(f.sim, "worker-n")).To(HaveLen(1))
		Expect(portsOf(f.sim, "worker-n")[0].NetworkID).To(Equal(f.sim.Seed().NetworkID))
		Expect(fmt.Sprint(portsOf(f.sim, "worker-n")[0].AllowedAddressPairs)).To(ContainSubstring("100.96.0.0/11"))
	})

	It("makes, tags and deletes the ports itself when the spec pins a subnet", func() {
		f.pinSubnet()
		created, err := f.create("worker-s")
		Expect(err).NotTo(HaveOccurred())
		ports := portsNamed(f.sim, "worker-s")
		Expect(ports).To(HaveLen(1))
		Expect(ports[0].DeviceID).To(Equal(serversNamed(f.sim, "worker-s")[0].ID))
		Expect(ports[0].Tags).To(ContainElements(clusterKey, roleKey))
		Expect(ports[0].SecurityGroups).To(ConsistOf(f.sim.Seed().SecurityGroupID))
		Expect(fmt.Sprint(ports[0].AllowedAddressPairs)).To(ContainSubstring("100.96.0.0/11"))
		Expect(f.delete(withProviderID("worker-s", created.ProviderID))).To(Succeed())
		Expect(f.sim.Ports()).To(BeEmpty())
	})

	It("asks Nova only what it must: no second look before create, no look for the status right after", func() {
		f.sim.ResetCounts()
		_, err := f.status(machine("worker-r"))
		Expect(codeOf(err)).To(Equal(codes.NotFound))
		created, err := f.create("worker-r")
		Expect(err).NotTo(HaveOccurred())
		_, err = f.status(withProviderID("worker-r", created.ProviderID))
		Expect(err).NotTo(HaveOccurred())
		counts := f.sim.Counts()
		Expect(counts.Get("compute GET /servers/detail")).To(Equal(1), "one look by name, shared by status and create")
		Expect(counts.Get("network GET /")+counts.Get("image GET /")).To(BeZero(), "no version discovery for single-endpoint services")

	})
})

var _ = Describe("deleting against Nova's transient DELETED status", func() {
	It("returns only once Nova answers 404, as on a real Nova", func() {
		// A long delete window makes the DELETED phase (its last quarter) last 300ms.
		f := newFixture(func(o *ossim.Options) { o.DeleteTime = 1200 * time.Millisecond }, nil, fastOptions())
		created, err := f.create("transient")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.delete(withProviderID("transient", created.ProviderID))).To(Succeed())
		Expect(serversNamed(f.sim, "transient")).To(BeEmpty(), "no record, not even a DELETED one, when DeleteMachine returns")
	})
})
