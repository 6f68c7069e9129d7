// Package tenants_test is the hostile-tenant suite: two tenants whose namespace names collide
// (a project <id>-team-s-web is both team/s-web and team-s/web; a user alice-s-team@<id>.k8s
// is both alice-s in team and alice in s-team), each with only the RBAC docs/reseller.md,
// docs/registry.md and docs/authapi.md give a tenant, on a real kube-apiserver (with the
// aggregation layer) and the OpenStack and Reseller API simulator, with the reseller
// controller, the registrar and its auth API running as in production. The attacker (eve)
// tries what issue 15 lists; each attempt is refused, and the victim's (vic's) login,
// project, quotas and credentials are the same afterwards.
package tenants_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/pco-mcm/mcm-provider-pco/internal/authapitest"
	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/auth/v1alpha1"
	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar"
	clusterconnect "github.com/pco-mcm/mcm-provider-pco/pkg/registrar/connect"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"
)

func TestTenants(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Hostile tenants (real kube-apiserver with aggregation, OpenStack and Reseller API simulator)")
}

const (
	controllerNS = "pco-system"
	registryNS   = "pco-registry"
	// vic's namespace, and eve's two, whose names collide with it in OpenStack names.
	vicNS     = "team"
	eveProjNS = "team-s" // team-s/web and team/s-web: project <id>-team-s-web
	eveUserNS = "s-team" // s-team/alice and team/alice-s: user alice-s-team@<id>.k8s
	// maxWatches is the auth API's per-user watch cap here.
	maxWatches = 3
)

var (
	env    *authapitest.Env
	sim    *ossim.Sim
	admin  client.Client
	id     string // the reseller controller's identifier
	scheme = runtime.NewScheme()
	users  = map[string]*rest.Config{}
	// authAPIPort is where the registrar serves the auth API.
	authAPIPort int
)

var _ = BeforeSuite(func() {
	ctx := context.Background()
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(60 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(pcov1.AddToScheme(scheme)).To(Succeed())
	Expect(regv1.AddToScheme(scheme)).To(Succeed())

	var err error
	sim, err = ossim.Start(ossim.Options{Addr: "127.0.0.1:0"})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)

	dir := GinkgoT().TempDir()
	mcmDir, err := testenv.MCMModuleDir()
	Expect(err).NotTo(HaveOccurred())
	env, err = authapitest.Start(dir, filepath.Join(mcmDir, "kubernetes", "crds"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(env.Stop)
	admin, err = client.New(env.AdminConfig, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	for _, ns := range []string{controllerNS, registryNS, "mcm", vicNS, eveProjNS, eveUserNS} {
		Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	}

	mctx, cancel := context.WithCancel(ctx)
	DeferCleanup(cancel)
	// The reseller controller with its production defaults (adopting unrecorded projects
	// and users is on).
	rmgr, rid, err := controllers.NewManager(mctx, env.AdminConfig, controllers.ManagerOptions{
		Options:     controllers.Options{Namespace: controllerNS, AdoptUnrecorded: true},
		MetricsAddr: "0", HealthAddr: "0", SkipNameValidation: true,
	})
	Expect(err).NotTo(HaveOccurred())
	id = rid
	go func() { defer GinkgoRecover(); Expect(rmgr.Start(mctx)).To(Succeed()) }()

	// The registrar with the auth API, registering its APIService itself; ClusterConnects
	// may read kubeconfigs from the registry namespace and eve's namespace (an operator's
	// choice), nothing else, and reach no local address.
	port := freePort()
	authAPIPort = port
	const svcName = "pco-authapi"
	Expect(env.RouteToLoopback(ctx, registryNS, svcName)).To(Succeed())
	gmgr, err := registrar.NewManager(mctx, registrar.Options{
		ControlNamespace: "mcm", Namespace: registryNS, ControlKubeconfig: env.AdminKubeconfig,
		MetricsAddr: "0", HealthAddr: "0", SkipNameValidation: true, Resync: time.Minute,
		AuthAPI: registrar.AuthAPIOptions{Port: port, BindAddress: "127.0.0.1", RegisterAPIService: true,
			ServiceName: svcName, ServicePort: port, MaxWatchesPerUser: maxWatches},
		Connect: clusterconnect.Options{ConfigNamespaces: []string{registryNS, eveProjNS}},
	})
	Expect(err).NotTo(HaveOccurred())
	go func() { defer GinkgoRecover(); Expect(gmgr.Start(mctx)).To(Succeed()) }()
	Expect(env.WaitAvailable(ctx, authv1alpha1.SchemeGroupVersion.Version+"."+authv1alpha1.GroupName, 2*time.Minute)).To(Succeed())

	applyTenantRBAC(ctx)
	users["vic"] = addUser("vic", "ops")
	users["eve"] = addUser("eve")
	users["team:ops"] = addUser("team:ops") // a user whose name is a team entry's
	users["ops-member"] = addUser("ops-member", "ops")
	bindTenant(ctx, "vic", vicNS)
	bindTenant(ctx, "eve", eveProjNS, eveUserNS)
	Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "eve-connector"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pco-cluster-connector"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "eve"}},
	})).To(Succeed())

	// The operator's Region (cluster-scoped; tenants cannot make one).
	seed := sim.Seed()
	Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: "sim-account"},
		StringData: map[string]string{"endpoint": sim.ResellerEndpoint(), "username": seed.ResellerUsername, "password": seed.ResellerPassword}})).To(Succeed())
	Expect(admin.Create(ctx, &pcov1.Region{ObjectMeta: metav1.ObjectMeta{Name: "sim"}, Spec: pcov1.RegionSpec{
		SecretRef: &pcov1.SecretReference{Name: "sim-account", Namespace: controllerNS}, IdentityEndpoint: sim.AuthURL(), OpenStackRegion: seed.Region,
	}})).To(Succeed())
})

// The tenant RBAC of the docs' Security model sections, verbatim.
func applyTenantRBAC(ctx context.Context) {
	for _, cr := range []*rbacv1.ClusterRole{
		{ // docs/reseller.md: what a tenant may do in their namespace
			ObjectMeta: metav1.ObjectMeta{Name: "pco-tenant"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{pcov1.GroupVersion.Group}, Resources: []string{"projects", "users", "userprojectbindings"},
					Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
				{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"}},
			},
		},
		{ // docs/authapi.md: every authenticated user (the chart's authapi.grantAuthenticated)
			ObjectMeta: metav1.ObjectMeta{Name: "pco-authapi-user"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{authv1alpha1.GroupName}, Resources: []string{"clusteruserauths", "clusters"},
				Verbs: []string{"get", "list", "watch"}}},
		},
		{ // docs/registry.md: whom an operator lets connect clusters
			ObjectMeta: metav1.ObjectMeta{Name: "pco-cluster-connector"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{regv1.GroupVersion.Group}, Resources: []string{"clusterconnects"},
				Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}}},
		},
	} {
		Expect(admin.Create(ctx, cr)).To(Succeed())
	}
	Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "pco-authapi-user"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pco-authapi-user"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "Group", Name: "system:authenticated"}},
	})).To(Succeed())
}

func bindTenant(ctx context.Context, user string, namespaces ...string) {
	for _, ns := range namespaces {
		Expect(admin.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tenant-" + user},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pco-tenant"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}},
		})).To(Succeed())
	}
}

func addUser(name string, groups ...string) *rest.Config {
	cfg, _, err := env.AddUser(name, groups...)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

func as(user string) client.Client {
	c, err := client.New(users[user], client.Options{Scheme: scheme})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return c
}

func authAPI(user string) dynamic.NamespaceableResourceInterface {
	dyn, err := dynamic.NewForConfig(users[user])
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return dyn.Resource(authv1alpha1.Resource)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func condition(c client.Client, obj client.Object, condType string) func() *metav1.Condition {
	return func() *metav1.Condition {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return nil
		}
		return meta.FindStatusCondition(*obj.(interface{ StatusConditions() *[]metav1.Condition }).StatusConditions(), condType)
	}
}

func haveStatus(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}

// warnings lists the reasons of the Warning events about name in ns, as the tenant reads them.
func warnings(c client.Client, ns, name string) func() []string {
	return func() []string {
		var list corev1.EventList
		if err := c.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return []string{err.Error()}
		}
		var out []string
		for _, e := range list.Items {
			if e.Type == corev1.EventTypeWarning && e.InvolvedObject.Name == name {
				out = append(out, e.Reason)
			}
		}
		return out
	}
}

func secretData(c client.Client, ns, name string) map[string][]byte {
	var s corev1.Secret
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		return nil
	}
	return s.Data
}

func login(data map[string][]byte) error {
	creds, err := credentials.FromSecretData(data)
	if err != nil {
		return err
	}
	_, err = testenv.Login(context.Background(), creds)
	return err
}

func resellerAPI() *reseller.Client {
	api, err := reseller.New(sim.ResellerEndpoint(), sim.Seed().ResellerUsername, sim.Seed().ResellerPassword)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return api
}

func resellerUser(name string) *ossim.ResellerUser {
	for _, u := range sim.ResellerUsers() {
		if u.Name == name {
			return &u
		}
	}
	return nil
}

func resellerProject(name string) *ossim.ResellerProject {
	for _, p := range sim.ResellerProjects() {
		if p.Name == sim.Seed().ResellerDomain+"-"+name {
			return &p
		}
	}
	return nil
}

// victim is what vic has, recorded once she is set up; every attack must leave it as it is.
type victim struct {
	projectID, userID string
	credentials       map[string][]byte
	quota             map[string]int64
}

func (v victim) unchanged() {
	GinkgoHelper()
	ctx := context.Background()
	vc := as("vic")
	Expect(secretData(vc, vicNS, "alice-s-web-credentials")).To(Equal(v.credentials), "vic's credentials Secret")
	Expect(login(v.credentials)).To(Succeed(), "vic's login")
	p := resellerProject(fmt.Sprintf("%s-%s-s-web", id, vicNS))
	Expect(p).NotTo(BeNil(), "vic's project")
	Expect(p.ID).To(Equal(v.projectID))
	Expect(p.Members).To(ConsistOf(v.userID), "only vic's user is a member of vic's project")
	q, err := resellerAPI().GetQuota(ctx, v.projectID)
	Expect(err).NotTo(HaveOccurred())
	Expect(q.Compute).To(Equal(v.quota), "vic's quotas")
	u := resellerUser(fmt.Sprintf("alice-s-%s@%s.k8s", vicNS, id))
	Expect(u).NotTo(BeNil(), "vic's OpenStack user")
	Expect(u.ID).To(Equal(v.userID))
	Expect(u.Projects).To(ConsistOf(v.projectID), "vic's user is in vic's project only")
}

var _ = Describe("a hostile tenant", Ordered, func() {
	ctx := context.Background()
	var vic victim

	BeforeAll(func() {
		vc := as("vic")
		Expect(vc.Create(ctx, &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: vicNS, Name: "s-web"},
			Spec: pcov1.ProjectSpec{Region: "sim", Quotas: &pcov1.Quotas{Compute: &pcov1.ComputeQuota{Instances: ptr.To[int64](5)}}}})).To(Succeed())
		Expect(vc.Create(ctx, &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: vicNS, Name: "alice-s"}})).To(Succeed())
		b := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: vicNS, Name: "alice-s-web"},
			Spec: pcov1.UserProjectBindingSpec{User: "alice-s", Project: "s-web"}}
		Expect(vc.Create(ctx, b)).To(Succeed())
		Eventually(condition(vc, b, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonBindingIsReady))
		p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: vicNS, Name: "s-web"}}
		Expect(vc.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		q, err := resellerAPI().GetQuota(ctx, p.Status.ProjectID)
		Expect(err).NotTo(HaveOccurred())
		Expect(q.Compute).To(HaveKeyWithValue("instances", int64(5)))
		vic = victim{projectID: p.Status.ProjectID, userID: b.Status.UserID, credentials: secretData(vc, vicNS, "alice-s-web-credentials"), quota: q.Compute}
		vic.unchanged()

		// eve's own project and user in s-team, for her bindings.
		ec := as("eve")
		own := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: eveUserNS, Name: "own"}, Spec: pcov1.ProjectSpec{Region: "sim"}}
		Expect(ec.Create(ctx, own)).To(Succeed())
		Eventually(condition(ec, own, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonProjectIsReady))
	})

	AfterEach(func() { vic.unchanged() })

	It("cannot reach the victim's namespace, Regions or the registry directly (the documented RBAC)", func() {
		ec := as("eve")
		err := ec.Get(ctx, client.ObjectKey{Namespace: vicNS, Name: "alice-s-web-credentials"}, &corev1.Secret{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "vic's Secret: %v", err)
		err = ec.Create(ctx, &pcov1.Region{ObjectMeta: metav1.ObjectMeta{Name: "eves"}, Spec: pcov1.RegionSpec{Endpoint: "https://x.example/", Username: "u", Password: "p"}})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a Region: %v", err)
		err = ec.List(ctx, &regv1.ClusterUserAuthList{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "the registry: %v", err)
		err = ec.Get(ctx, client.ObjectKey{Namespace: registryNS, Name: "anything"}, &corev1.Secret{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "the registry's Secrets: %v", err)
	})

	It("writing the victim's OpenStack user name into their own user Secret binds their own user, not the victim's", func() {
		ec := as("eve")
		u := &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: eveUserNS, Name: "mallory"}}
		Expect(ec.Create(ctx, u)).To(Succeed())
		Eventually(condition(ec, u, pcov1.UserReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonUserIsReady))
		var s corev1.Secret
		Expect(ec.Get(ctx, client.ObjectKey{Namespace: eveUserNS, Name: "mallory-openstack"}, &s)).To(Succeed())
		s.Data["username"] = []byte(fmt.Sprintf("alice-s-%s@%s.k8s", vicNS, id))
		s.Data["password"] = []byte("EvePicked0123456789abcdefghijklm")
		Expect(ec.Update(ctx, &s)).To(Succeed())
		b := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: eveUserNS, Name: "mallory-own"},
			Spec: pcov1.UserProjectBindingSpec{User: "mallory", Project: "own"}}
		Expect(ec.Create(ctx, b)).To(Succeed())
		Eventually(condition(ec, b, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonBindingIsReady))
		creds := secretData(ec, eveUserNS, "mallory-own-credentials")
		Expect(string(creds["username"])).To(Equal(fmt.Sprintf("mallory-%s@%s.k8s", eveUserNS, id)))
		Expect(b.Status.UserID).NotTo(Equal(vic.userID))
		// eve's password does not open vic's user.
		stolen := maps.Clone(vic.credentials)
		stolen["password"] = []byte("EvePicked0123456789abcdefghijklm")
		delete(stolen, "clouds.yaml")
		delete(stolen, "cloud")
		Expect(login(stolen)).NotTo(Succeed())

		Expect(ec.Delete(ctx, b)).To(Succeed())
		Eventually(func() error { return ec.Get(ctx, client.ObjectKeyFromObject(b), b) }).Should(Satisfy(apierrors.IsNotFound))
	})

	It("a User whose OpenStack name collides with the victim's is refused with Conflict and a Warning event; deleting its binding leaves the victim's user", func() {
		ec := as("eve")
		u := &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: eveUserNS, Name: "alice"}}
		Expect(ec.Create(ctx, u)).To(Succeed())
		Eventually(condition(ec, u, pcov1.UserReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonUserIsReady))
		Expect(u.Status.OpenStackName).To(Equal(fmt.Sprintf("alice-s-%s@%s.k8s", vicNS, id)), "the collision")
		b := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: eveUserNS, Name: "alice-own"},
			Spec: pcov1.UserProjectBindingSpec{User: "alice", Project: "own"}}
		Expect(ec.Create(ctx, b)).To(Succeed())
		Eventually(condition(ec, b, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionFalse, pcov1.ReasonConflict))
		Expect(b.Status.UserID).To(BeEmpty())
		Expect(meta.FindStatusCondition(b.Status.Conditions, pcov1.UserProjectBindingReady).Message).NotTo(MatchRegexp(`(^|\s)`+vicNS+`/alice-s`), "names no other tenant's object")
		Eventually(warnings(ec, eveUserNS, b.Name)).Should(ContainElement(pcov1.ReasonConflict))
		Expect(secretData(ec, eveUserNS, "alice-own-credentials")).To(BeNil(), "no credentials for eve")
		Consistently(func() []string { return resellerUser(u.Status.OpenStackName).Projects }, "2s").Should(ConsistOf(vic.projectID))

		Expect(ec.Delete(ctx, b)).To(Succeed())
		Eventually(func() error { return ec.Get(ctx, client.ObjectKeyFromObject(b), b) }).Should(Satisfy(apierrors.IsNotFound))
		Expect(ec.Delete(ctx, u)).To(Succeed())
		Eventually(func() error { return ec.Get(ctx, client.ObjectKeyFromObject(u), u) }).Should(Satisfy(apierrors.IsNotFound))
	})

	It("a Project whose OpenStack name collides with the victim's is refused with Conflict and a Warning event: no quotas written, not deleted with it", func() {
		ec := as("eve")
		p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: eveProjNS, Name: "web"},
			Spec: pcov1.ProjectSpec{Region: "sim", Description: "eve was here", Quotas: &pcov1.Quotas{Compute: &pcov1.ComputeQuota{Instances: ptr.To[int64](99)}}}}
		Expect(ec.Create(ctx, p)).To(Succeed())
		Eventually(condition(ec, p, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionFalse, pcov1.ReasonConflict))
		Expect(p.Status.ProjectID).To(BeEmpty())
		Eventually(warnings(ec, eveProjNS, p.Name)).Should(ContainElement(pcov1.ReasonConflict))
		Expect(resellerProject(fmt.Sprintf("%s-%s-s-web", id, vicNS)).Description).NotTo(ContainSubstring("eve"))

		// A binding to it never becomes ready: the project is not eve's.
		Expect(ec.Create(ctx, &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: eveProjNS, Name: "eve"}})).To(Succeed())
		b := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: eveProjNS, Name: "eve-web"},
			Spec: pcov1.UserProjectBindingSpec{User: "eve", Project: "web"}}
		Expect(ec.Create(ctx, b)).To(Succeed())
		Eventually(condition(ec, b, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionFalse, pcov1.ReasonWaitingForProject))
		Expect(ec.Delete(ctx, b)).To(Succeed())
		Eventually(func() error { return ec.Get(ctx, client.ObjectKeyFromObject(b), b) }).Should(Satisfy(apierrors.IsNotFound))

		Expect(ec.Delete(ctx, p)).To(Succeed())
		Eventually(func() error { return ec.Get(ctx, client.ObjectKeyFromObject(p), p) }).Should(Satisfy(apierrors.IsNotFound))
		Expect(resellerProject(fmt.Sprintf("%s-%s-s-web", id, vicNS))).NotTo(BeNil())
	})

	Describe("the auth API", func() {
		// The registry as the registrar keeps it: vic's credentials for cluster c1 (owned by
		// her ClusterUserAuth), the ops team's, and the cluster's admin token Secret.
		BeforeAll(func() {
			for _, ua := range []struct{ name, user string }{{"c1-vic", "vic"}, {"c1-team-ops", "team:ops"}} {
				cua := &regv1.ClusterUserAuth{ObjectMeta: metav1.ObjectMeta{Name: ua.name},
					Spec: regv1.ClusterUserAuthSpec{Cluster: "c1", User: ua.user, SecretRef: regv1.SecretReference{Namespace: registryNS, Name: "cluster-" + ua.name}}}
				Expect(admin.Create(ctx, cua)).To(Succeed())
				Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: registryNS, Name: "cluster-" + ua.name,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: regv1.GroupVersion.String(), Kind: "ClusterUserAuth", Name: cua.Name, UID: cua.UID}}},
					Data: map[string][]byte{regv1.KeyToken: []byte("TOKEN-of-" + ua.name)}})).To(Succeed())
			}
			Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: registryNS, Name: "cluster-c1-auth",
				Labels: map[string]string{"app.kubernetes.io/managed-by": "pco-cluster-registrar"}},
				Data: map[string][]byte{regv1.KeyToken: []byte("TOKEN-cluster-admin-c1"), regv1.KeyKubeconfig: []byte("kubeconfig-cluster-admin-c1")}})).To(Succeed())
			Eventually(func() string { return token(authAPI("vic"), "c1-vic") }).Should(Equal("TOKEN-of-c1-vic"))
		})

		It("serves eve nothing of vic's, and a ClusterUserAuth of hers pointing at vic's or the cluster admin's Secret shows no credentials", func() {
			list, err := authAPI("eve").List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(list.Items).To(BeEmpty())
			_, err = authAPI("eve").Get(ctx, "c1-vic", metav1.GetOptions{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
			// Whoever writes the registry (an operator's mistake, a compromised writer)
			// points a ClusterUserAuth for eve at Secrets that were not made for it.
			for name, secret := range map[string]string{"c1-eve-vics": "cluster-c1-vic", "c1-eve-admin": "cluster-c1-auth"} {
				Expect(admin.Create(ctx, &regv1.ClusterUserAuth{ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec: regv1.ClusterUserAuthSpec{Cluster: "c1", User: "eve", SecretRef: regv1.SecretReference{Namespace: registryNS, Name: secret}}})).To(Succeed())
			}
			Eventually(func() []string { return names(authAPI("eve")) }).Should(ConsistOf("c1-eve-admin", "c1-eve-vics"))
			for _, name := range []string{"c1-eve-vics", "c1-eve-admin"} {
				got, err := authAPI("eve").Get(ctx, name, metav1.GetOptions{})
				Expect(err).NotTo(HaveOccurred())
				creds, _, _ := unstructured.NestedMap(got.Object, "credentials")
				Expect(creds).To(BeEmpty(), name)
			}
			Expect(token(authAPI("vic"), "c1-vic")).To(Equal("TOKEN-of-c1-vic"))
		})

		It("serves a team's entry to the team's members only, never to a user named team:<team>", func() {
			Expect(token(authAPI("ops-member"), "c1-team-ops")).To(Equal("TOKEN-of-c1-team-ops"))
			Expect(names(authAPI("team:ops"))).To(BeEmpty())
			_, err := authAPI("team:ops").Get(ctx, "c1-team-ops", metav1.GetOptions{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
			Expect(names(authAPI("eve"))).NotTo(ContainElement("c1-team-ops"))
		})

		It("serves no profiling endpoints, not even to an admin calling the server directly", func() {
			cfg := rest.CopyConfig(env.AdminConfig)
			cfg.Insecure, cfg.CAData = true, nil // the server's self-signed certificate
			hc, err := rest.HTTPClientFor(cfg)
			Expect(err).NotTo(HaveOccurred())
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/profile?seconds=1", "/debug/flags/v"} {
				resp, err := hc.Get(fmt.Sprintf("https://127.0.0.1:%d%s", authAPIPort, path))
				Expect(err).NotTo(HaveOccurred())
				resp.Body.Close()
				Expect(resp.StatusCode).To(Equal(http.StatusNotFound), path)
			}
			resp, err := hc.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz", authAPIPort))
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusOK), "the server answers that client")
		})

		It("refuses a user's watch past the cap with 429 and says why; others still watch", func() {
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for range maxWatches {
				w, err := authAPI("eve").Watch(wctx, metav1.ListOptions{})
				Expect(err).NotTo(HaveOccurred())
				defer w.Stop()
			}
			_, err := authAPI("eve").Watch(wctx, metav1.ListOptions{})
			Expect(apierrors.IsTooManyRequests(err)).To(BeTrue(), "got %v", err)
			Expect(err.Error()).To(ContainSubstring("watches"))
			w, err := authAPI("vic").Watch(wctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred(), "vic is not held back by eve's watches")
			w.Stop()
		})
	})

	Describe("ClusterConnect", func() {
		// A kubeconfig whose cluster is cluster (a YAML fragment) and user a token.
		kubeconfig := func(cluster string) []byte {
			return []byte("apiVersion: v1\nkind: Config\ncurrent-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster:\n" +
				cluster + "\nusers:\n- name: u\n  user: {token: EVE-TOKEN-0123456789}\n")
		}
		connect := func(name string, ref regv1.SecretKeyReference) *regv1.ClusterConnect {
			cc := &regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: regv1.ClusterConnectSpec{ConfigSecretRef: ref, AdminUser: "eve"}}
			Expect(as("eve").Create(ctx, cc)).To(Succeed())
			return cc
		}
		status := func(name string) func() regv1.ClusterConnectStatus {
			return func() regv1.ClusterConnectStatus {
				var cc regv1.ClusterConnect
				_ = as("eve").Get(ctx, client.ObjectKey{Name: name}, &cc)
				return cc.Status
			}
		}

		It("cannot read a kubeconfig Secret outside the allowed namespaces, nor one the registrar made", func() {
			Expect(as("vic").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: vicNS, Name: "vic-admin"},
				Data: map[string][]byte{"kubeconfig": kubeconfig("    server: https://vic.example:6443")}})).To(Succeed())
			// A token kubeconfig as the registrar keeps one for a connected cluster.
			Expect(admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: registryNS, Name: "cluster-c9-auth",
				Labels: map[string]string{"app.kubernetes.io/managed-by": "pco-cluster-registrar"}},
				Data: map[string][]byte{regv1.KeyKubeconfig: kubeconfig("    server: https://c9.example:6443")}})).To(Succeed())
			connect("steal-vic", regv1.SecretKeyReference{Namespace: vicNS, Name: "vic-admin"})
			connect("steal-registry", regv1.SecretKeyReference{Namespace: registryNS, Name: "cluster-c9-auth"})
			Eventually(status("steal-vic")).Should(And(HaveField("Failed", true), HaveField("Reason", clusterconnect.ReasonInvalidSpec),
				HaveField("Message", ContainSubstring("not one the registrar reads kubeconfigs from"))))
			Eventually(status("steal-registry")).Should(And(HaveField("Failed", true), HaveField("Reason", clusterconnect.ReasonInvalidSpec),
				HaveField("Message", ContainSubstring("which the registrar made"))))
			Expect(admin.Get(ctx, client.ObjectKey{Name: "steal-vic"}, &regv1.ClusterInfo{})).To(Satisfy(apierrors.IsNotFound))
		})

		It("cannot send the registrar through a proxy, over plain http or unverified TLS, or to local and metadata addresses", func() {
			ec := as("eve")
			for name, cluster := range map[string]string{
				"proxy":    "    server: https://eve.example:6443\n    proxy-url: http://eve-proxy.example:3128",
				"http":     "    server: http://eve.example:6443",
				"insecure": "    server: https://eve.example:6443\n    insecure-skip-tls-verify: true",
				"metadata": "    server: https://169.254.169.254",
				"loopback": "    server: https://127.0.0.1:6443",
				"local":    "    server: https://localhost:6443",
			} {
				Expect(ec.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: eveProjNS, Name: "kc-" + name},
					Data: map[string][]byte{"kubeconfig": kubeconfig(cluster)}})).To(Succeed())
				connect("eve-"+name, regv1.SecretKeyReference{Namespace: eveProjNS, Name: "kc-" + name})
			}
			for name, want := range map[string]string{"proxy": "proxy-url", "http": "plain http", "insecure": "insecure-skip-tls-verify",
				"metadata": "metadata address", "loopback": "loopback", "local": "loopback"} {
				Eventually(status("eve-"+name)).Should(And(HaveField("Failed", true), HaveField("Reason", clusterconnect.ReasonInvalidKubeconfig),
					HaveField("Message", ContainSubstring(want))), name)
			}
			var infos regv1.ClusterInfoList
			Expect(admin.List(ctx, &infos)).To(Succeed())
			Expect(infos.Items).To(BeEmpty(), "nothing was connected")
		})
	})
})

func token(r dynamic.NamespaceableResourceInterface, name string) string {
	got, err := r.Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return "error: " + err.Error()
	}
	t, _, _ := unstructured.NestedString(got.Object, "credentials", "token")
	return t
}

func names(r dynamic.NamespaceableResourceInterface) []string {
	list, err := r.List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	out := []string{}
	for _, it := range list.Items {
		out = append(out, it.GetName())
	}
	slices.Sort(out)
	return out
}
