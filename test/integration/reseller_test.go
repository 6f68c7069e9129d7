package integration_test

import (
	"context"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"
)

// The whole reseller chain with the real MCM controllers: Region -> Project -> User ->
// UserProjectBinding -> credentials Secret -> MachineClass -> Machines Running in that project.
var _ = Describe("machines in a reseller project", Ordered, func() {
	var (
		objs      []*unstructured.Unstructured
		project   pcov1.Project
		stopMgr   context.CancelFunc
		ns        string
		mdName    = "pco-reseller-workers"
		className = "pco-workers"
	)

	BeforeAll(func(ctx SpecContext) {
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
		objs, err = stack.ResellerExampleObjects()
		Expect(err).NotTo(HaveOccurred())
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
		compute := computeClient(ctx, secret.Data)
		_, err := keypairs.Create(ctx, compute, keypairs.CreateOpts{Name: "pco-workers", PublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPcoSimulatedKeyForTestsOnly0000000000000000 test"}).Extract()
		Expect(err).NotTo(HaveOccurred())

		md := &mcmv1alpha1.MachineDeployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: mdName},
			Spec: mcmv1alpha1.MachineDeploymentSpec{
				Replicas: 2,
				Strategy: mcmv1alpha1.MachineDeploymentStrategy{
					Type: mcmv1alpha1.RollingUpdateMachineDeploymentStrategyType,
					RollingUpdate: &mcmv1alpha1.RollingUpdateMachineDeployment{UpdateConfiguration: mcmv1alpha1.UpdateConfiguration{
						MaxSurge: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(0)),
					}},
				},
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"pool": mdName}},
				Template: mcmv1alpha1.MachineTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"pool": mdName}},
					Spec:       mcmv1alpha1.MachineSpec{Class: mcmv1alpha1.ClassSpec{Kind: "MachineClass", Name: className}},
				},
			},
		}
		Expect(stack.CP.Client.Create(ctx, md)).To(Succeed())
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

// computeClient logs in with credentials Secret data, as the driver does.
func computeClient(ctx context.Context, data map[string][]byte) *gophercloud.ServiceClient {
	creds, err := credentials.FromSecretData(data)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	provider, err := gopenstack.NewClient(creds.AuthURL)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	ExpectWithOffset(1, gopenstack.Authenticate(ctx, provider, creds.AuthOptions())).To(Succeed())
	compute, err := gopenstack.NewComputeV2(provider, gophercloud.EndpointOpts{Region: string(data["region"])})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return compute
}
