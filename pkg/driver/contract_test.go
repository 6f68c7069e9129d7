package driver_test

import (
	"context"
	"fmt"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
)

// MCM's contract on the paths that act on a provider ID: only the MachineClass's cluster's
// servers are reported or touched, a server is reported initialized only once its initialization
// finished, and nothing is answered from a stale memory.
var _ = Describe("MCM's contract on provider-ID paths", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture(nil, nil, fastOptions()) })

	providerIDOf := func(serverID string) string { return "openstack:///" + f.sim.Seed().Region + "/" + serverID }
	otherCluster := map[string]string{"kubernetes.io-cluster-shoot--other--x": "1", roleKey: "1"}

	Describe("ownership", func() {
		It("reports NotFound for the provider ID of another cluster's server", func() {
			other := f.sim.AddServers(1, ossim.Server{Name: "worker-o", Metadata: otherCluster,
				Tags: []string{"kubernetes.io-cluster-shoot--other--x", roleKey}})
			_, err := f.status(withProviderID("worker-o", providerIDOf(other[0])))
			Expect(codeOf(err)).To(Equal(codes.NotFound))
			Expect(err.Error()).To(ContainSubstring("does not belong to cluster " + clusterKey))
		})

		It("reports NotFound for the provider ID of a server that carries no cluster's markers", func() {
			stray := f.sim.AddServers(1, ossim.Server{Name: "worker-o"})
			_, err := f.status(withProviderID("worker-o", providerIDOf(stray[0])))
			Expect(codeOf(err)).To(Equal(codes.NotFound))
		})

		It("succeeds on DeleteMachine for another cluster's server without deleting it", func() {
			other := f.sim.AddServers(1, ossim.Server{Name: "worker-o", Metadata: otherCluster})
			f.sim.ResetCounts()
			Expect(f.delete(withProviderID("worker-o", providerIDOf(other[0])))).To(Succeed())
			Expect(serversNamed(f.sim, "worker-o")).To(HaveLen(1), "the other cluster's server is still there")
			Expect(f.sim.Counts().Get("compute DELETE /servers/{id}")).To(BeZero(), "no DELETE was sent")
		})

		It("reports InvalidArgument for an undecodable provider ID", func() {
			_, err := f.status(withProviderID("worker-o", "aws:///eu-1/i-123"))
			Expect(codeOf(err)).To(Equal(codes.InvalidArgument))
		})

		It("answers a DeleteMachine right after a status call from that call's ownership look: no GET before its DELETE", func() {
			created, err := f.create("worker-m")
			Expect(err).NotTo(HaveOccurred())
			_, err = f.status(withProviderID("worker-m", created.ProviderID))
			Expect(err).NotTo(HaveOccurred())
			// Gone behind the driver's back: a delete that looks first finds nothing to DELETE, a
			// delete that reuses the status call's look sends its DELETE straight away.
			f.sim.DeleteServerOutOfBand(serversNamed(f.sim, "worker-m")[0].ID)
			f.sim.ResetCounts()
			Expect(f.delete(withProviderID("worker-m", created.ProviderID))).To(Succeed())
			Expect(f.sim.Counts().Get("compute DELETE /servers/{id}")).To(Equal(1))
		})
	})

	Describe("initialization", func() {
		It("reports a server without the initialized mark as Uninitialized by provider ID until InitializeMachine ran to its end", func() {
			// As an interrupted InitializeMachine leaves it: no pod CIDR on the port, not marked.
			m := withProviderID("worker-u", providerIDOf(peerServer(f, "worker-u", peerOptions{})))
			_, err := f.status(m)
			Expect(codeOf(err)).To(Equal(codes.Uninitialized))

			By("an InitializeMachine that fails at the pod network leaves it Uninitialized")
			f.sim.InjectFault(ossim.Fault{Service: "network", Method: "PUT", Path: "^/v2.0/ports/", Kind: ossim.FaultError, Status: 409, Count: 1})
			_, err = f.initialize(m)
			Expect(err).To(HaveOccurred())
			st, err := f.status(m)
			Expect(codeOf(err)).To(Equal(codes.Uninitialized), "the next status must not say OK before the pod network is set")
			Expect(st.ProviderID).To(Equal(m.Spec.ProviderID))

			By("a complete InitializeMachine sets the pod network, then the mark")
			_, err = f.initialize(m)
			Expect(err).NotTo(HaveOccurred())
			Expect(fmt.Sprint(portsOf(f.sim, "worker-u")[0].AllowedAddressPairs)).To(ContainSubstring("100.96.0.0/11"))
			Expect(serversNamed(f.sim, "worker-u")[0].Tags).To(ContainElements(clusterKey, roleKey, "mcm-provider-pco-initialized"))
			_, err = f.status(m)
			Expect(err).NotTo(HaveOccurred())
		})

		It("marks the servers it creates initialized in the create request itself", func() {
			f.sim.ResetCounts()
			created, err := f.create("worker-n")
			Expect(err).NotTo(HaveOccurred())
			Expect(serversNamed(f.sim, "worker-n")[0].Tags).To(ContainElement("mcm-provider-pco-initialized"))
			Expect(f.sim.Counts().Get("compute PUT /servers/{id}/tags")).To(BeZero(), "no tag request of its own")
			_, err = f.status(withProviderID("worker-n", created.ProviderID))
			Expect(err).NotTo(HaveOccurred())
		})
	})

	Describe("memory", func() {
		var short driver.Options
		BeforeEach(func() {
			short = fastOptions()
			short.MemoTTL = 50 * time.Millisecond
			f.drv = driver.New(short)
		})

		It("keeps what it saw only a few seconds by default", func() {
			Expect(driver.DefaultOptions().MemoTTL).To(BeNumerically("<=", 5*time.Second))
			Expect(driver.DefaultOptions().MemoTTL).To(BeNumerically(">", 0))
		})

		It("reports NotFound for a server deleted out of band once its memo is older than MemoTTL", func() {
			created, err := f.create("worker-s")
			Expect(err).NotTo(HaveOccurred())
			f.sim.DeleteServerOutOfBand(serversNamed(f.sim, "worker-s")[0].ID)
			time.Sleep(2 * short.MemoTTL)
			_, err = f.status(withProviderID("worker-s", created.ProviderID))
			Expect(codeOf(err)).To(Equal(codes.NotFound))
		})

		It("reports NotFound with Nova's fault for a server that went to ERROR after the fact", func() {
			created, err := f.create("worker-e")
			Expect(err).NotTo(HaveOccurred())
			f.sim.BreakServerOutOfBand(serversNamed(f.sim, "worker-e")[0].ID, "Host compute-3 failed")
			time.Sleep(2 * short.MemoTTL)
			_, err = f.status(withProviderID("worker-e", created.ProviderID))
			Expect(codeOf(err)).To(Equal(codes.NotFound))
			Expect(err.Error()).To(ContainSubstring("Host compute-3 failed"))
		})

		It("makes one server for a machine when a second controller instance created it after the first one's status call", func() {
			other := driver.New(short)
			_, err := f.status(machine("worker-x")) // instance A: no server yet
			Expect(codeOf(err)).To(Equal(codes.NotFound))
			_, err = other.CreateMachine(context.Background(), &mcmdriver.CreateMachineRequest{Machine: machine("worker-x"), MachineClass: f.class, Secret: f.secret}) // instance B
			Expect(err).NotTo(HaveOccurred())
			time.Sleep(2 * short.MemoTTL) // A's reconcile goes on later than one burst
			_, err = f.create("worker-x")
			Expect(err).NotTo(HaveOccurred())
			Expect(f.sim.ServerHistory()).To(HaveLen(1), "one server POST for the machine in all")
		})
	})

	Describe("error codes", func() {
		It("reports ResourceExhausted when Cinder's gigabytes quota stops a boot from volume, and leaves nothing behind", func() {
			q := unlimited
			q.Gigabytes = 10
			f.sim.SetQuota(f.sim.Seed().ProjectID, q)
			spec := baseSpec(f.sim)
			spec.FlavorName = "SCS-2V-4"
			spec.RootDiskSize = 50
			f.class = machineClass(spec)
			_, err := f.create("worker-g")
			Expect(codeOf(err)).To(Equal(codes.ResourceExhausted))
			Expect(err.Error()).To(ContainSubstring("exceeds allowed gigabytes quota"))
			Expect(serversNamed(f.sim, "worker-g")).To(BeEmpty())
			Expect(unboundPorts(f.sim)).To(BeEmpty())
			Expect(f.sim.Volumes()).To(BeEmpty())
		})
	})
})
