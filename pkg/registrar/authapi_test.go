package registrar_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pco-mcm/mcm-provider-pco/internal/authapitest"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/auth/v1alpha1"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/authapi"
	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar"
)

// freePort is a port free on 127.0.0.1 a moment ago (--authapi-port 0 means disabled).
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var _ = Describe("the registrar with the auth API", Ordered, func() {
	const (
		registryNS = "pco-authapi-registry"
		svcName    = "pco-mcm-authapi"
	)
	var (
		env *authapitest.Env
		ctx = context.Background()
	)

	BeforeAll(func() {
		dir, err := os.MkdirTemp("", "pco-registrar-authapi-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, dir)
		mcmDir, err := testenv.MCMModuleDir()
		Expect(err).NotTo(HaveOccurred())
		env, err = authapitest.Start(dir, filepath.Join(mcmDir, "kubernetes", "crds"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(env.Stop)
		for _, ns := range []string{registryNS, "mcm"} {
			Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		}
		Expect(env.RouteToLoopback(ctx, registryNS, svcName)).To(Succeed())
		// The chart's register ClusterRole owns the APIService (an uninstall then removes it).
		Expect(env.Admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "pco-authapi-register"}})).To(Succeed())

		port := freePort()
		mgr, err := registrar.NewManager(ctx, registrar.Options{
			ControlNamespace:   "mcm",
			Namespace:          registryNS,
			ControlKubeconfig:  env.AdminKubeconfig,
			MetricsAddr:        "0",
			HealthAddr:         "0",
			SkipNameValidation: true,
			Resync:             time.Minute,
			AuthAPI: registrar.AuthAPIOptions{
				Port: port, BindAddress: "127.0.0.1", RegisterAPIService: true, APIServiceOwner: "pco-authapi-register",
				ServiceName: svcName, ServicePort: port, // the ExternalName Service leads to the port itself
			},
		})
		Expect(err).NotTo(HaveOccurred())
		run(mgr)
	})

	It("registers its APIService and serves each user only their own credentials through the kube-apiserver", func() {
		// The registrar registered the APIService itself, with its self-signed CA.
		name := authv1alpha1.SchemeGroupVersion.Version + "." + authv1alpha1.GroupName
		Expect(env.WaitAvailable(ctx, name, 2*time.Minute)).To(Succeed())
		apiSvc := &unstructured.Unstructured{}
		apiSvc.SetGroupVersionKind(authapi.APIServiceGVK)
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, apiSvc)).To(Succeed())
		ca, _, _ := unstructured.NestedString(apiSvc.Object, "spec", "caBundle")
		Expect(ca).NotTo(BeEmpty())
		svcNS, _, _ := unstructured.NestedString(apiSvc.Object, "spec", "service", "namespace")
		Expect(svcNS).To(Equal(registryNS))
		Expect(apiSvc.GetOwnerReferences()).To(HaveLen(1))
		Expect(apiSvc.GetOwnerReferences()[0].Kind).To(Equal("ClusterRole"))
		Expect(apiSvc.GetOwnerReferences()[0].Name).To(Equal("pco-authapi-register"))

		Expect(env.Admin.Create(ctx, &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "authapi-user"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{authv1alpha1.GroupName}, Resources: []string{"clusteruserauths", "clusters"},
				Verbs: []string{"get", "list", "watch"}}},
		})).To(Succeed())
		// As the chart's authapi.grantAuthenticated does: the ownership rule makes it safe.
		Expect(env.Admin.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "authapi-user"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "authapi-user"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "Group", Name: "system:authenticated"}},
		})).To(Succeed())
		for _, u := range []string{"alice", "bob"} {
			cua := &regv1.ClusterUserAuth{ObjectMeta: metav1.ObjectMeta{Name: u + "-c1"},
				Spec: regv1.ClusterUserAuthSpec{Cluster: "c1", User: u, SecretRef: regv1.SecretReference{Namespace: registryNS, Name: "uauth-" + u}}}
			Expect(env.Admin.Create(ctx, cua)).To(Succeed())
			// Owned by its ClusterUserAuth, as the registrar writes it: only then is it served.
			secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: registryNS, Name: "uauth-" + u, OwnerReferences: []metav1.OwnerReference{{
				APIVersion: regv1.GroupVersion.String(), Kind: "ClusterUserAuth", Name: cua.Name, UID: cua.UID}}},
				Data: map[string][]byte{regv1.KeyToken: []byte("token-of-" + u)}}
			Expect(env.Admin.Create(ctx, secret)).To(Succeed())
		}

		aliceCfg, _, err := env.AddUser("alice")
		Expect(err).NotTo(HaveOccurred())
		dyn, err := dynamic.NewForConfig(aliceCfg)
		Expect(err).NotTo(HaveOccurred())
		alice := dyn.Resource(authv1alpha1.Resource)
		Eventually(func(g Gomega) {
			list, err := alice.List(ctx, metav1.ListOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(list.Items).To(HaveLen(1))
			g.Expect(list.Items[0].GetName()).To(Equal("alice-c1"))
			token, _, _ := unstructured.NestedString(list.Items[0].Object, "credentials", "token")
			g.Expect(token).To(Equal("token-of-alice"))
		}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
		_, err = alice.Get(ctx, "bob-c1", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
	})
})
