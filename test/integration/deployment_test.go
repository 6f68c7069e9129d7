package integration_test

import (
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("a MachineDeployment driven by the real MCM controllers", Ordered, func() {
	It("applies the examples and brings 3 machines to Running with 3 ACTIVE servers", func(ctx SpecContext) {
		objs, err := stack.ExampleObjects()
		Expect(err).NotTo(HaveOccurred())
		Expect(stack.Apply(ctx, objs...)).To(Succeed())
		Eventually(func(g Gomega) {
			healthy()
			running, err := stack.RunningMachines(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(running).To(Equal(3))
			g.Expect(stack.ActiveServers()).To(Equal(3))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(4*time.Minute))

	It("scales to 5 and to 1, deleting servers and ports", func(ctx SpecContext) {
		scale := func(n int32) {
			Expect(stack.UpdateMachineDeployment(ctx, "pco-workers", func(md *mcmv1alpha1.MachineDeployment) {
				md.Spec.Replicas = n
			})).To(Succeed())
		}
		scale(5)
		Eventually(func(g Gomega) {
			healthy()
			running, err := stack.RunningMachines(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(running).To(Equal(5))
			g.Expect(stack.ActiveServers()).To(Equal(5))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
		scale(1)
		Eventually(func(g Gomega) {
			healthy()
			machines, err := stack.Machines(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(machines).To(HaveLen(1))
			g.Expect(cloudServers(ctx)).To(HaveLen(1))
			g.Expect(cloudPorts(ctx)).To(HaveLen(1))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(7*time.Minute))

	Context("then, on the same machines", Ordered, lifecycleSpecs)
})
