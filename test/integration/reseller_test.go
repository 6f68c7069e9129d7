package integration_test

import (
	"context"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

// The whole reseller chain with the real MCM controllers: Region -> Project -> User ->
// UserProjectBinding -> credentials Secret -> MachineClass -> Machines Running in that project.
var _ = Describe("machines in a reseller project", Ordered, func() {
	var (
		objs       []*unstructured.Unstructured
		deployment *unstructured.Unstructured
		project    pcov1.Project
		stopMgr    context.CancelFunc
		ns         string
		mdName     = "pco-reseller-workers"
		className  = "pco-workers"
	)

	BeforeAll(func(ctx SpecContext) {
		simulatorOnly() // the Reseller API is the simulator's
		ns = stack.Opts.Namespace
		ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter)))
		mgrCtx, cancel := context.WithCancel(context.Background())
		stopMgr = cancel
		mgr, _, err := controllers.NewManager(mgrCtx, stack.CP.Config, controllers.ManagerOptions{
			Options: controllers.Options{Namespace: ns}, MetricsAddr: "0", HealthAddr: "0",
		})
		Expect(err).NotTo(HaveOccurred())
		go func() {
			defer GinkgoRecover()
			Expect(mgr.Start(mgrCtx)).To(Succeed())
		}()
	})

	AfterAll(func() {
		if stopMgr != nil {
			stopMgr()
		}
	})

	It("applies kubernetes/examples/reseller: the binding's credentials Secret appears", func(ctx SpecContext) {
		var err error
		all, err := stack.ResellerExampleObjects()
		Expect(err).NotTo(HaveOccurred())
		for _, o := range all {
			if o.GetKind() == "MachineDeployment" {
				deployment = o // applied once the keypair exists
			} else {
				objs = append(objs, o)
			}
		}
		Expect(deployment).NotTo(BeNil())
		Expect(deployment.GetName()).To(Equal(mdName))
		Expect(stack.Apply(ctx, objs...)).To(Succeed())
		binding := &pcov1.UserProjectBinding{}
		Eventually(func(g Gomega) {
			g.Expect(stack.CP.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "machines-workers"}, binding)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(binding.Status.Conditions, pcov1.UserProjectBindingReady)).To(BeTrue(), "%v", binding.Status.Conditions)
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		Expect(stack.CP.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "workers"}, &project)).To(Succeed())
		Expect(project.Status.ProjectID).NotTo(BeEmpty())
	}, SpecTimeout(2*time.Minute))

	It("brings a MachineDeployment on the binding's credentials to Running, with the servers in that project", func(ctx SpecContext) {
		By("giving the project's user the keypair the MachineClass names (as its owner would)")
		var secret corev1.Secret
		Expect(stack.CP.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "machines-workers-credentials"}, &secret)).To(Succeed())
		Expect(secret.Data).To(HaveKey("applicationCredentialSecret"), "the example asks for an application credential")
		Expect(framework.CreateKeypair(ctx, secret.Data, "pco-workers")).To(Succeed())

		Expect(stack.Apply(ctx, deployment)).To(Succeed())
		Eventually(func(g Gomega) {
			healthy()
			g.Expect(runningIn(ctx, mdName)).To(Equal(2))
			n := 0
			for _, s := range stack.Sim.Servers() {
				if s.ProjectID == project.Status.ProjectID && s.Status == "ACTIVE" {
					n++
				}
			}
			g.Expect(n).To(Equal(2))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(4*time.Minute))

	It("keeps managing the machines after the credentials change, without a restart", func(ctx SpecContext) {
		By("rotating the password and dropping the application credential: the credentials Secret now has the new password, the old credential is gone")
		cl := stack.CP.Client
		var user pcov1.User
		Expect(cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: "machines"}, &user)).To(Succeed())
		patch := client.MergeFrom(user.DeepCopy())
		user.Annotations = map[string]string{pcov1.RotatePasswordAnnotation: "rotation-1"}
		Expect(cl.Patch(ctx, &user, patch)).To(Succeed())
		var binding pcov1.UserProjectBinding
		Expect(cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: "machines-workers"}, &binding)).To(Succeed())
		bpatch := client.MergeFrom(binding.DeepCopy())
		binding.Spec.ApplicationCredential = false
		Expect(cl.Patch(ctx, &binding, bpatch)).To(Succeed())
		Eventually(func(g Gomega) {
			var userSecret, creds corev1.Secret
			g.Expect(cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: "machines-openstack"}, &userSecret)).To(Succeed())
			g.Expect(cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: "machines-workers-credentials"}, &creds)).To(Succeed())
			g.Expect(creds.Data).NotTo(HaveKey("applicationCredentialSecret"))
			g.Expect(creds.Data["password"]).To(Equal(userSecret.Data["password"]))
			g.Expect(stack.Sim.ApplicationCredentials(binding.Status.UserID)).To(BeEmpty())
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())

		By("scaling up: the new machine is made with the new credentials")
		Expect(stack.UpdateMachineDeployment(ctx, mdName, func(md *mcmv1alpha1.MachineDeployment) { md.Spec.Replicas = 3 })).To(Succeed())
		Eventually(func(g Gomega) {
			healthy()
			g.Expect(runningIn(ctx, mdName)).To(Equal(3))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(5*time.Minute))

	It("cleans up: machines, then binding, user, project and region, nothing left in the cloud", func(ctx SpecContext) {
		md := &mcmv1alpha1.MachineDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: mdName}}
		Expect(stack.CP.Client.Delete(ctx, md)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(runningIn(ctx, mdName)).To(Equal(0))
			for _, s := range stack.Sim.Servers() {
				g.Expect(s.ProjectID).NotTo(Equal(project.Status.ProjectID))
			}
			machines, err := stack.Machines(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			for _, m := range machines {
				g.Expect(m.Spec.Class.Name).NotTo(Equal(className))
			}
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())

		for i := len(objs) - 1; i >= 0; i-- {
			Expect(client.IgnoreNotFound(stack.CP.Client.Delete(ctx, objs[i]))).To(Succeed())
		}
		Eventually(func(g Gomega) {
			for _, o := range objs {
				err := stack.CP.Client.Get(ctx, client.ObjectKeyFromObject(o), o.DeepCopy())
				g.Expect(client.IgnoreNotFound(err)).To(Succeed())
				g.Expect(err).To(HaveOccurred(), "%s %s still there", o.GetKind(), o.GetName())
			}
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		for _, p := range stack.Sim.ResellerProjects() {
			Expect(p.ID).NotTo(Equal(project.Status.ProjectID))
		}
		Expect(stack.Sim.ResellerUsers()).To(BeEmpty())
	}, SpecTimeout(5*time.Minute))
})

// runningIn counts the Running machines of one MachineDeployment (by its pool label).
func runningIn(ctx context.Context, pool string) int {
	var list mcmv1alpha1.MachineList
	Expect(stack.CP.Client.List(ctx, &list, client.InNamespace(stack.Opts.Namespace), client.MatchingLabels{"pool": pool})).To(Succeed())
	n := 0
	for _, m := range list.Items {
		if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning {
			n++
		}
	}
	return n
}
