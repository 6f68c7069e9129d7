package registrar_test

import (
	"context"
	"os"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar"
)

// The registrar runs as a user with the chart's rules: the registry, Nodes and Namespaces
// cluster-wide, MCM's objects and Secrets only in the control namespace, Secrets in the
// registry's namespace.
var _ = Describe("the registrar without any cluster-wide read of Secrets", func() {
	It("registers a cluster with the project named in its MachineClass's Secret", func() {
		const (
			controlNS  = "shoot--scoped"
			registryNS = "pco-registry-scoped"
			identity   = "registrar"
			cluster    = "scoped"
		)
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "pco-registrar-scoped-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, dir)
		cp, err := testenv.StartControlPlane(dir)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = cp.Stop() })
		admin, err := client.New(cp.Config, client.Options{Scheme: registrar.Scheme()})
		Expect(err).NotTo(HaveOccurred())
		for _, ns := range []string{controlNS, registryNS} {
			Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		}
		subject := []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: identity, APIGroup: rbacv1.GroupName}}
		Expect(admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: identity}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{regv1.GroupVersion.Group}, Resources: []string{"clusterinfos", "clusterauthinfos", "clusteruserauths", "clusterconnects"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{regv1.GroupVersion.Group}, Resources: []string{"clusterinfos/status", "clusterauthinfos/status", "clusteruserauths/status", "clusterconnects/status"}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"nodes", "namespaces"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}})).To(Succeed())
		Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: identity}, Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: identity}})).To(Succeed())
		roles := map[string][]rbacv1.PolicyRule{
			controlNS: {
				{APIGroups: []string{"machine.sapcloud.io"}, Resources: []string{"machineclasses", "machinedeployments", "machines"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
			},
			registryNS: {{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}}},
		}
		for ns, rules := range roles {
			Expect(admin.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: identity}, Rules: rules})).To(Succeed())
			Expect(admin.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: identity}, Subjects: subject,
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: identity}})).To(Succeed())
		}

		Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: controlNS, Name: "cloud"},
			StringData: map[string]string{"tenantName": "project-scoped", "username": "u", "password": "p"}})).To(Succeed())
		Expect(admin.Create(ctx, &mcmv1alpha1.MachineClass{
			ObjectMeta:           metav1.ObjectMeta{Namespace: controlNS, Name: "workers"},
			ProviderSpec:         runtime.RawExtension{Raw: []byte(`{"apiVersion":"openstack.machine.gardener.cloud/v1alpha1","kind":"MachineProviderConfig","spec":{"region":"RegionOne","imageName":"img","flavorName":"f","keyName":"k","networkID":"n","securityGroups":["sg"],"tags":{"kubernetes.io-cluster-` + cluster + `":"1","kubernetes.io-role-node":"1"}}}`)},
			CredentialsSecretRef: &corev1.SecretReference{Namespace: controlNS, Name: "cloud"},
			Provider:             "OpenStack",
		})).To(Succeed())
		Expect(admin.Create(ctx, &mcmv1alpha1.MachineDeployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: controlNS, Name: "workers"},
			Spec: mcmv1alpha1.MachineDeploymentSpec{
				Replicas: 1,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"pool": "workers"}},
				Template: mcmv1alpha1.MachineTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"pool": "workers"}},
					Spec:       mcmv1alpha1.MachineSpec{Class: mcmv1alpha1.ClassSpec{Kind: "MachineClass", Name: "workers"}},
				},
			},
		})).To(Succeed())

		cfg := rest.CopyConfig(cp.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: identity}
		mgr, err := registrar.NewManager(ctx, registrar.Options{
			ControlNamespace: controlNS, Namespace: registryNS, ControlConfig: cfg, TargetConfig: cfg,
			MetricsAddr: "0", HealthAddr: "0", SkipNameValidation: true, Resync: time.Minute,
		})
		Expect(err).NotTo(HaveOccurred())
		run(mgr)

		Eventually(func(g Gomega) {
			var info regv1.ClusterInfo
			g.Expect(admin.Get(ctx, client.ObjectKey{Name: cluster}, &info)).To(Succeed())
			g.Expect(info.Spec.Project).To(Equal("project-scoped"))
		}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
	})
})
