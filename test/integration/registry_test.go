package integration_test

import (
	"context"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar"
)

// The cluster registrar against the real MCM controllers: the cluster a MachineDeployment forms
// is registered with its node count and Kubernetes version, follows a scale-up, and is marked
// Lost when its deployments go.
var _ = Describe("the cluster registrar", Ordered, func() {
	const (
		cluster = "shoot--registry--it"
		class   = "pco-registry-it"
		mdName  = "pco-registry-workers"
	)
	var (
		cl      client.Client
		stopMgr context.CancelFunc
		version string
	)

	BeforeAll(func(ctx SpecContext) {
		cl = registryClient()
		mgrCtx, cancel := context.WithCancel(context.Background())
		stopMgr = cancel
		mgr, err := registrar.NewManager(mgrCtx, registrar.Options{
			ControlConfig: stack.CP.Config, TargetConfig: stack.CP.Config, ControlNamespace: stack.Opts.Namespace,
			MetricsAddr: "0", HealthAddr: "0", Resync: 2 * time.Second, SkipNameValidation: true, DisableConnect: true,
			TargetAuthSecret: stack.Opts.Namespace + "/pco-credentials",
		})
		Expect(err).NotTo(HaveOccurred())
		go func() {
			defer GinkgoRecover()
			Expect(mgr.Start(mgrCtx)).To(Succeed())
		}()
		v, err := kubernetes.NewForConfigOrDie(stack.CP.Config).Discovery().ServerVersion()
		Expect(err).NotTo(HaveOccurred())
		version = v.GitVersion

		By("a MachineClass of its own cluster (the example's, with another cluster tag) and a MachineDeployment of 2")
		objs, err := stack.ExampleObjects()
		Expect(err).NotTo(HaveOccurred())
		var mc *unstructured.Unstructured
		for _, o := range objs {
			switch o.GetKind() {
			case "Secret":
				Expect(stack.Apply(ctx, o)).To(Succeed())
			case "MachineClass":
				mc = o
			}
		}
		Expect(mc).NotTo(BeNil())
		mc.SetName(class)
		Expect(unstructured.SetNestedStringMap(mc.Object, map[string]string{"kubernetes.io-cluster-" + cluster: "1", "kubernetes.io-role-node": "1"},
			"providerSpec", "spec", "tags")).To(Succeed())
		Expect(stack.Apply(ctx, mc)).To(Succeed())
		md := &mcmv1alpha1.MachineDeployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: stack.Opts.Namespace, Name: mdName},
			Spec: mcmv1alpha1.MachineDeploymentSpec{
				Replicas: 2,
				Strategy: mcmv1alpha1.MachineDeploymentStrategy{Type: mcmv1alpha1.RollingUpdateMachineDeploymentStrategyType,
					RollingUpdate: &mcmv1alpha1.RollingUpdateMachineDeployment{UpdateConfiguration: mcmv1alpha1.UpdateConfiguration{
						MaxSurge: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(0))}}},
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"pool": mdName}},
				Template: mcmv1alpha1.MachineTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"pool": mdName}},
					Spec:       mcmv1alpha1.MachineSpec{Class: mcmv1alpha1.ClassSpec{Kind: "MachineClass", Name: class}},
				},
			},
		}
		Expect(stack.CP.Client.Create(ctx, md)).To(Succeed())
	})

	AfterAll(func() {
		if stopMgr != nil {
			stopMgr()
		}
	})

	info := func(ctx context.Context, g Gomega) *regv1.ClusterInfo {
		ci := &regv1.ClusterInfo{}
		g.Expect(cl.Get(ctx, client.ObjectKey{Name: cluster}, ci)).To(Succeed())
		return ci
	}

	It("registers the cluster with its node count, version, region, project and auth data", func(ctx SpecContext) {
		fx := stack.Cloud.Fixture()
		Eventually(func(g Gomega) {
			healthy()
			ci := info(ctx, g)
			g.Expect(ci.Spec.Provider).To(Equal(regv1.ProviderPlusCloudOpen))
			g.Expect(ci.Spec.NodeCount).To(BeEquivalentTo(2))
			g.Expect(ci.Spec.KubernetesVersion).To(Equal(version))
			g.Expect(ci.Spec.Location).To(Equal(fx.Region))
			g.Expect(ci.Spec.Project).To(Equal(fx.ProjectName))
			g.Expect(ci.Spec.Endpoint).To(Equal(stack.CP.Config.Host))
			g.Expect(ci.Spec.Source.MachineDeployments).To(ConsistOf(mdName))
			g.Expect(ci.Status.Phase).To(Equal(regv1.PhaseActive))
			g.Expect(ci.Spec.AuthInfo).To(Equal(cluster))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
		auth := &regv1.ClusterAuthInfo{}
		Expect(cl.Get(ctx, client.ObjectKey{Name: cluster}, auth)).To(Succeed())
		Expect(auth.Spec.SecretRef.Name).To(Equal("pco-credentials"))
		Expect(auth.Spec.Keys).To(ContainElement("password"), "key names only")
	}, SpecTimeout(4*time.Minute))

	It("follows a scale-up", func(ctx SpecContext) {
		Expect(stack.UpdateMachineDeployment(ctx, mdName, func(md *mcmv1alpha1.MachineDeployment) { md.Spec.Replicas = 3 })).To(Succeed())
		Eventually(func(g Gomega) {
			healthy()
			ci := info(ctx, g)
			g.Expect(ci.Spec.NodeCount).To(BeEquivalentTo(3))
			g.Expect(ci.Status.Phase).To(Equal(regv1.PhaseActive))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(4*time.Minute))

	It("marks the cluster Lost when its MachineDeployments are gone", func(ctx SpecContext) {
		Expect(stack.CP.Client.Delete(ctx, &mcmv1alpha1.MachineDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: stack.Opts.Namespace, Name: mdName}})).To(Succeed())
		Eventually(func(g Gomega) {
			ci := info(ctx, g)
			g.Expect(ci.Status.Phase).To(Equal(regv1.PhaseLost))
		}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(runningIn(ctx, mdName)).To(Equal(0))
			machines, err := stack.Machines(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			for _, m := range machines {
				g.Expect(m.Spec.Class.Name).NotTo(Equal(class))
			}
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
		Expect(stack.CP.Client.Delete(ctx, &mcmv1alpha1.MachineClass{ObjectMeta: metav1.ObjectMeta{Namespace: stack.Opts.Namespace, Name: class}})).To(Succeed())
	}, SpecTimeout(6*time.Minute))
})

// registryClient is a client of the control plane that knows the registry's kinds.
func registryClient() client.Client {
	s := registrar.Scheme()
	c, err := client.New(stack.CP.Config, client.Options{Scheme: s})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return c
}
