package controllers_test

import (
	"context"
	"os"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"
)

// The controller runs as a user with the chart's rules: its resources cluster-wide, Secrets
// only through Roles in its own namespace and team-x (--secret-namespaces=team-x).
var _ = Describe("a controller limited by --secret-namespaces, without any cluster-wide read of Secrets", Ordered, func() {
	const (
		listed   = "team-x"
		unlisted = "team-y"
		identity = "reseller-controller"
	)
	var admin client.Client
	ctx := context.Background()

	BeforeAll(func() {
		dir, err := os.MkdirTemp("", "pco-reseller-scoped-")
		Expect(err).NotTo(HaveOccurred())
		cp, err := testenv.StartControlPlane(dir)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = cp.Stop() })
		admin = cp.Client
		for _, ns := range []string{controllerNS, listed, unlisted} {
			namespace(admin, ns)
		}
		subject := []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: identity, APIGroup: rbacv1.GroupName}}
		Expect(admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: identity}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{pcov1.GroupVersion.Group}, Resources: []string{"regions", "projects", "users", "userprojectbindings"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
			{APIGroups: []string{pcov1.GroupVersion.Group}, Resources: []string{"regions/status", "projects/status", "users/status", "userprojectbindings/status"}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		}})).To(Succeed())
		Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: identity}, Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: identity}})).To(Succeed())
		for _, ns := range []string{controllerNS, listed} {
			Expect(admin.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: identity}, Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			}})).To(Succeed())
			Expect(admin.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: identity}, Subjects: subject,
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: identity}})).To(Succeed())
		}

		cfg := rest.CopyConfig(cp.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: identity}
		mctx, cancel := context.WithCancel(context.Background())
		DeferCleanup(cancel)
		mgr, _, err := controllers.NewManager(mctx, cfg, controllers.ManagerOptions{
			Options:     controllers.Options{Namespace: controllerNS, SecretNamespaces: []string{listed}, AdoptUnrecorded: true},
			MetricsAddr: "0", HealthAddr: "0", SkipNameValidation: true,
		})
		Expect(err).NotTo(HaveOccurred())
		go func() {
			defer GinkgoRecover()
			Expect(mgr.Start(mctx)).To(Succeed())
		}()
	})

	It("makes a binding's credentials Secret in a listed namespace", func() {
		region := simRegion(admin, "scoped")
		p, u, b := bind(admin, listed, region.Name)
		Eventually(condition(admin, b, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonBindingIsReady))
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: listed, Name: "b-credentials"}, &corev1.Secret{})).To(Succeed())

		deleteAll(admin, b, u, p, region)
	})

	It("says NamespaceNotWatched for a User and a binding in an unlisted namespace, makes no Secret there, and lets them be deleted", func() {
		region := simRegion(admin, "scoped-other")
		p, u, b := bind(admin, unlisted, region.Name)
		notWatched := And(haveStatus(metav1.ConditionFalse, pcov1.ReasonNamespaceNotWatched), HaveField("Message", ContainSubstring("namespace "+unlisted)))
		Eventually(condition(admin, u, pcov1.UserReady)).Should(notWatched)
		Eventually(condition(admin, p, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonProjectIsReady), "a Project needs no Secret")
		Eventually(condition(admin, b, pcov1.UserProjectBindingReady)).Should(notWatched)
		var secrets corev1.SecretList
		Expect(admin.List(ctx, &secrets, client.InNamespace(unlisted))).To(Succeed())
		Expect(secrets.Items).To(BeEmpty())

		deleteAll(admin, b, u, p, region)
	})

	It("says NamespaceNotWatched for a Region whose account Secret is in an unlisted namespace", func() {
		Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: unlisted, Name: "account"},
			StringData: map[string]string{"endpoint": sim.ResellerEndpoint(), "username": sim.Seed().ResellerUsername, "password": sim.Seed().ResellerPassword}})).To(Succeed())
		region := &pcov1.Region{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere"}, Spec: pcov1.RegionSpec{
			SecretRef:        &pcov1.SecretReference{Name: "account", Namespace: unlisted},
			IdentityEndpoint: sim.AuthURL(), OpenStackRegion: sim.Seed().Region,
		}}
		Expect(admin.Create(ctx, region)).To(Succeed())
		Eventually(condition(admin, region, pcov1.RegionReady)).Should(And(haveStatus(metav1.ConditionFalse, pcov1.ReasonNamespaceNotWatched),
			HaveField("Message", ContainSubstring("secret "+unlisted+"/account"))))
		Expect(admin.Delete(ctx, region)).To(Succeed())
		Eventually(gone(admin, region)).Should(BeTrue())
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: unlisted, Name: "account"}, &corev1.Secret{})).To(Succeed(), "a Secret out of reach is left alone")
	})
})

// bind creates Project p, User u and their binding b in ns.
func bind(cl client.Client, ns, region string) (*pcov1.Project, *pcov1.User, *pcov1.UserProjectBinding) {
	GinkgoHelper()
	p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: pcov1.ProjectSpec{Region: region}}
	u := &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "u"}}
	b := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "b"}, Spec: pcov1.UserProjectBindingSpec{User: "u", Project: "p"}}
	for _, o := range []client.Object{p, u, b} {
		Expect(cl.Create(context.Background(), o)).To(Succeed())
	}
	return p, u, b
}

// deleteAll deletes the objects and waits until each is gone (their finalizers done).
func deleteAll(cl client.Client, objs ...client.Object) {
	GinkgoHelper()
	for _, o := range objs {
		Expect(cl.Delete(context.Background(), o)).To(Succeed())
	}
	for _, o := range objs {
		Eventually(gone(cl, o)).Should(BeTrue(), "%T %s", o, o.GetName())
	}
}
