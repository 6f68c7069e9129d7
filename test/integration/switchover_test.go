package integration_test

import (
	"context"
	"slices"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

// A cluster made by gardener's provider-openstack v0.27.1 (its own machine-controller binary)
// switched over in place to ours, as an operator does by changing the sidecar's image, and back:
// the real MCM keeps the Machines; the cloud must not get a new server for a Running machine,
// the peer's orphan must be collected, and scaling down must leave nothing.
var _ = Describe("switching a running cluster over from provider-openstack v0.27.1 and back", Ordered, func() {
	const name = "pco-switch"
	var (
		peerBinary     string
		peerRunning    bool
		peerVolumes    []string            // root volumes the peer pre-created
		peerMachines   map[string]bool     // provider IDs of the machines the peer made
		servers        map[string][]string // machine name -> server IDs seen, over the whole spec
		volumesAtStart []string
	)
	switchTo := func(binary string) {
		Expect(stack.SwitchProvider(binary)).To(Succeed())
		peerRunning = binary != ""
	}

	machinesOf := func(ctx context.Context) []mcmv1alpha1.Machine {
		var list mcmv1alpha1.MachineList
		Expect(stack.CP.Client.List(ctx, &list, client.InNamespace(stack.Opts.Namespace), client.MatchingLabels{"pool": name})).To(Succeed())
		return list.Items
	}
	runningIDs := func(g Gomega, ctx context.Context, n int) []string {
		var ids []string
		for _, m := range machinesOf(ctx) {
			g.Expect(m.Status.CurrentStatus.Phase).To(Equal(mcmv1alpha1.MachineRunning), "machine %s", m.Name)
			ids = append(ids, m.Spec.ProviderID)
		}
		g.Expect(ids).To(HaveLen(n))
		slices.Sort(ids)
		return ids
	}
	// recordServers notes every server of the pool's machines, to count the servers made per machine.
	recordServers := func(ctx context.Context) {
		for _, s := range cloudServers(ctx) {
			if strings.HasPrefix(s.Name, name+"-") && !slices.Contains(servers[s.Name], s.ID) {
				servers[s.Name] = append(servers[s.Name], s.ID)
			}
		}
	}
	scale := func(ctx context.Context, n int32) {
		Expect(stack.UpdateMachineDeployment(ctx, name, func(md *mcmv1alpha1.MachineDeployment) { md.Spec.Replicas = n })).To(Succeed())
	}
	volumeIDs := func(ctx context.Context) []string {
		ids, err := stack.Cloud.VolumeIDs(ctx)
		Expect(err).NotTo(HaveOccurred())
		return ids
	}

	BeforeAll(func(ctx SpecContext) {
		var err error
		peerBinary, err = framework.PeerProviderBinary()
		Expect(err).NotTo(HaveOccurred())
		servers = map[string][]string{}
		peerMachines = map[string]bool{}
		volumesAtStart = volumeIDs(ctx)

		objs, err := stack.ExampleObjects()
		Expect(err).NotTo(HaveOccurred())
		var class *mcmv1alpha1.MachineClass
		var md *mcmv1alpha1.MachineDeployment
		for _, u := range objs {
			switch u.GetKind() {
			case "Secret":
				Expect(stack.Apply(ctx, u)).To(Succeed())
			case "MachineClass":
				class = &mcmv1alpha1.MachineClass{}
				Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, class)).To(Succeed())
			case "MachineDeployment":
				md = &mcmv1alpha1.MachineDeployment{}
				Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, md)).To(Succeed())
			}
		}
		// The peer pre-creates a Cinder root volume for a rootDiskType with a rootDiskSize.
		config, err := framework.ProviderSpec(class)
		Expect(err).NotTo(HaveOccurred())
		volumeType := "__DEFAULT__"
		config.Spec.RootDiskSize, config.Spec.RootDiskType = 2, &volumeType
		class.ObjectMeta = metav1.ObjectMeta{Name: name, Namespace: stack.Opts.Namespace}
		Expect(framework.SetProviderSpec(class, config)).To(Succeed())
		Expect(stack.CP.Client.Create(ctx, class)).To(Succeed())

		md.ObjectMeta = metav1.ObjectMeta{Name: name, Namespace: stack.Opts.Namespace}
		md.Spec.Replicas = 2
		md.Spec.Selector.MatchLabels = map[string]string{"pool": name}
		md.Spec.Template.Labels = map[string]string{"pool": name}
		md.Spec.Template.Spec.Class.Name = name

		By("the peer's machine-controller runs the cluster")
		switchTo(peerBinary)
		Expect(stack.CP.Client.Create(ctx, md)).To(Succeed())
	}, NodeTimeout(6*time.Minute))

	AfterAll(func(ctx SpecContext) {
		if peerRunning {
			switchTo("")
		}
		_ = stack.CP.Client.Delete(ctx, &mcmv1alpha1.MachineDeployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: stack.Opts.Namespace}})
		Eventually(func() []mcmv1alpha1.Machine { return machinesOf(ctx) }).WithContext(ctx).WithTimeout(3 * time.Minute).Should(BeEmpty())
		_ = stack.CP.Client.Delete(ctx, &mcmv1alpha1.MachineClass{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: stack.Opts.Namespace}})
	}, NodeTimeout(5*time.Minute))

	It("lets the peer bring 2 machines to Running, each with a pre-created root volume", func(ctx SpecContext) {
		Eventually(func(g Gomega) {
			healthy()
			for _, id := range runningIDs(g, ctx, 2) {
				peerMachines[id] = true
			}
		}).WithContext(ctx).WithTimeout(4 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		recordServers(ctx)
		for _, id := range volumeIDs(ctx) {
			if !slices.Contains(volumesAtStart, id) {
				peerVolumes = append(peerVolumes, id)
			}
		}
		Expect(peerVolumes).To(HaveLen(2))
		// An orphan of the peer's: its markers as metadata only, no Machine.
		Expect(stack.Cloud.CreateServer(ctx, name+"-orphan", nil, map[string]string{clusterKey: "1", roleKey: "1"})).To(Succeed())
	}, SpecTimeout(5*time.Minute))

	It("takes over with ours: the same provider IDs, no new server, the peer's orphan collected", func(ctx SpecContext) {
		var before []string
		Eventually(func(g Gomega) { before = runningIDs(g, ctx, 2) }).WithContext(ctx).Should(Succeed())
		switchTo("")
		Eventually(func(g Gomega) {
			healthy()
			g.Expect(runningIDs(g, ctx, 2)).To(Equal(before))
			var names []string
			for _, s := range cloudServers(ctx) {
				names = append(names, s.Name)
			}
			g.Expect(names).NotTo(ContainElement(name+"-orphan"), "collected through our ListMachines")
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		recordServers(ctx)
		for machine, ids := range servers {
			Expect(ids).To(HaveLen(1), "one server ever for machine %s", machine)
		}
	}, SpecTimeout(4*time.Minute))

	It("scales up and down with ours, deleting the peer's machines with their root volumes", func(ctx SpecContext) {
		scale(ctx, 3)
		Eventually(func(g Gomega) { healthy(); runningIDs(g, ctx, 3) }).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		recordServers(ctx)
		scale(ctx, 1)
		Eventually(func(g Gomega) {
			healthy()
			ids := runningIDs(g, ctx, 1)
			peerLeft := 0
			if peerMachines[ids[0]] {
				peerLeft = 1
			}
			var volumesLeft []string
			for _, id := range volumeIDs(ctx) {
				if slices.Contains(peerVolumes, id) {
					volumesLeft = append(volumesLeft, id)
				}
			}
			g.Expect(volumesLeft).To(HaveLen(peerLeft), "the root volume of each peer machine ours deleted is gone")
			g.Expect(cloudServers(ctx)).To(HaveLen(len(ids)+countOthers(ctx)), "only the remaining machine's server is left of the pool")
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	}, SpecTimeout(7*time.Minute))

	It("switches back to the peer without a new server, and the peer scales to 0 leaving no server, port or volume", func(ctx SpecContext) {
		var before []string
		Eventually(func(g Gomega) { before = runningIDs(g, ctx, 1) }).WithContext(ctx).Should(Succeed())
		switchTo(peerBinary)
		Consistently(func(g Gomega) {
			g.Expect(runningIDs(g, ctx, 1)).To(Equal(before))
		}).WithContext(ctx).WithTimeout(20 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
		recordServers(ctx)
		scale(ctx, 0)
		Eventually(func(g Gomega) {
			healthy()
			g.Expect(machinesOf(ctx)).To(BeEmpty())
			for _, s := range cloudServers(ctx) {
				g.Expect(s.Name).NotTo(HavePrefix(name+"-"), "no server of the pool is left")
			}
			var left []string
			for _, id := range volumeIDs(ctx) {
				if !slices.Contains(volumesAtStart, id) {
					left = append(left, id)
				}
			}
			g.Expect(left).To(BeEmpty(), "no volume of the pool is left")
		}).WithContext(ctx).WithTimeout(4 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		for machine, ids := range servers {
			Expect(ids).To(HaveLen(1), "one server ever for machine %s", machine)
		}
		var made []string
		for _, ids := range servers {
			made = append(made, ids...)
		}
		for _, p := range cloudPorts(ctx) {
			Expect(made).NotTo(ContainElement(p.DeviceID), "no port of the pool's servers is left")
		}
	}, SpecTimeout(6*time.Minute))
})

// countOthers is the number of the test's servers that are not of the switch-over pool.
func countOthers(ctx context.Context) int {
	n := 0
	for _, s := range cloudServers(ctx) {
		if !strings.HasPrefix(s.Name, "pco-switch-") {
			n++
		}
	}
	return n
}
