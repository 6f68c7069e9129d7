package authapi_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pco-mcm/mcm-provider-pco/internal/authapitest"
	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/auth/v1alpha1"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/authapi"
)

const registryNS = "pco-registry"

var (
	aenv      *authapitest.Env
	admin     client.Client
	server    *authapi.Server
	cancelRun context.CancelFunc
	runDone   chan error
	userCfgs  = map[string]*rest.Config{}
	userKubes = map[string]string{} // kubeconfig files
)

func userAuth(name, user, cluster string) {
	ctx := context.Background()
	cua := &regv1.ClusterUserAuth{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: regv1.ClusterUserAuthSpec{
			Cluster:   cluster,
			User:      user,
			SecretRef: regv1.SecretReference{Namespace: registryNS, Name: "uauth-" + name},
		},
	}
	Expect(admin.Create(ctx, cua)).To(Succeed())
	// Owned by its ClusterUserAuth, as the registrar writes it: only then is it served.
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: registryNS, Name: "uauth-" + name, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: regv1.GroupVersion.String(), Kind: "ClusterUserAuth", Name: cua.Name, UID: cua.UID}}},
		Data: map[string][]byte{
			regv1.KeyKubeconfig: []byte("kubeconfig-of-" + name),
			regv1.KeyToken:      []byte("token-of-" + name),
			// Not served, and not kept in the server's cache.
			regv1.KeyPassword: []byte("password-of-" + name),
		},
	}
	Expect(admin.Create(ctx, secret)).To(Succeed())
}

func clusterInfo(name, region string) {
	ci := &regv1.ClusterInfo{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: regv1.ClusterInfoSpec{
			Name: name, DisplayName: "Cluster " + name, Provider: "pluscloud-open", Endpoint: "https://" + name + ".example:6443",
			Location: region, Project: "project-" + name, KubernetesVersion: "v1.36.5", NodeCount: 3,
			Source: regv1.ClusterSource{Type: "MachineDeployments"}, AuthInfo: name,
		},
	}
	Expect(admin.Create(context.Background(), ci)).To(Succeed())
	ci.Status.Phase = "Active"
	Expect(admin.Status().Update(context.Background(), ci)).To(Succeed())
}

// grant lets users get, list and watch the aggregated resources (as the chart's ClusterRole does).
func grant(ctx context.Context, users ...string) {
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "authapi-reader-" + users[0]},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "authapi-reader"},
	}
	for _, u := range users {
		binding.Subjects = append(binding.Subjects, rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: "User", Name: u})
		cfg, kubeconfig, err := aenv.AddUser(u)
		Expect(err).NotTo(HaveOccurred())
		userCfgs[u], userKubes[u] = cfg, kubeconfig
	}
	Expect(admin.Create(ctx, binding)).To(Succeed())
}

var _ = BeforeSuite(func() {
	ctx := context.Background()
	var err error
	aenv, err = authapitest.Start(GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(aenv.Stop()).To(Succeed()) })
	admin = aenv.Admin

	// The extension server, in process, on 127.0.0.1 and a free port.
	server, err = authapi.NewServer(authapi.Options{Kubeconfig: aenv.AdminKubeconfig, SecretNamespace: registryNS})
	Expect(err).NotTo(HaveOccurred())
	var runCtx context.Context
	runCtx, cancelRun = context.WithCancel(ctx)
	runDone = make(chan error, 1)
	go func() { runDone <- server.Run(runCtx) }()
	DeferCleanup(func() {
		cancelRun()
		Eventually(runDone, 30*time.Second).Should(Receive())
	})

	apiSvc := server.APIService()
	svcRef := apiSvc.Object["spec"].(map[string]any)["service"].(map[string]any)
	Expect(aenv.RouteToLoopback(ctx, svcRef["namespace"].(string), svcRef["name"].(string))).To(Succeed())
	Expect(admin.Create(ctx, apiSvc)).To(Succeed())
	Expect(aenv.WaitAvailable(ctx, apiSvc.GetName(), 60*time.Second)).To(Succeed())

	// RBAC: the users may read the aggregated resources; carol may also read the registry's
	// ClusterUserAuths cluster-wide, which makes her an admin of the aggregated
	// clusteruserauths (not of clusters: that takes clusterinfos).
	Expect(admin.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "authapi-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{authv1alpha1.GroupName}, Resources: []string{"clusteruserauths", "clusters"},
			Verbs: []string{"get", "list", "watch"}}},
	})).To(Succeed())
	grant(ctx, "alice", "bob", "carol")
	Expect(admin.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "registry-uauth-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{regv1.GroupVersion.Group}, Resources: []string{"clusteruserauths"},
			Verbs: []string{"get"}}},
	})).To(Succeed())
	Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "registry-uauth-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "registry-uauth-reader"},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "carol"},
			{APIGroup: rbacv1.GroupName, Kind: "User", Name: "gina"}},
	})).To(Succeed())
	grant(ctx, "gina")                                              // like carol, but may not read the registry's Secrets
	userCfgs["dave"], userKubes["dave"], err = aenv.AddUser("dave") // no RBAC
	Expect(err).NotTo(HaveOccurred())
	userCfgs["admin"] = rest.CopyConfig(aenv.AdminConfig)
	userCfgs["admin"].QPS, userCfgs["admin"].Burst = 1000, 1000
	userKubes["admin"] = aenv.AdminKubeconfig

	Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: registryNS}})).To(Succeed())
	// carol may also read the Secrets of the registry namespace, where the credentials are:
	// with get on the registry's ClusterUserAuths that makes her an admin of clusteruserauths.
	Expect(admin.Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: registryNS, Name: "secret-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}},
	})).To(Succeed())
	Expect(admin.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: registryNS, Name: "secret-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-reader"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "carol"}},
	})).To(Succeed())
	userAuth("alice-c1", "alice", "c1")
	userAuth("alice-c2", "alice", "c2")
	userAuth("bob-c1", "bob", "c1")
	for _, c := range []string{"c1", "c2", "c3", "c9"} { // nobody has credentials for c3 and c9
		clusterInfo(c, "de-"+c)
	}
})

func resourceFor(user string) dynamic.NamespaceableResourceInterface {
	return dynamicFor(user, authv1alpha1.Resource)
}

func clustersFor(user string) dynamic.NamespaceableResourceInterface {
	return dynamicFor(user, authv1alpha1.ClusterResource)
}

func dynamicFor(user string, gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	dyn, err := dynamic.NewForConfig(userCfgs[user])
	Expect(err).NotTo(HaveOccurred())
	return dyn.Resource(gvr)
}

func field(u *unstructured.Unstructured, path ...string) string {
	s, _, err := unstructured.NestedString(u.Object, path...)
	Expect(err).NotTo(HaveOccurred())
	return s
}

var burstN = 1000

func names(list *unstructured.UnstructuredList) []string {
	out := []string{}
	for _, item := range list.Items {
		out = append(out, item.GetName())
	}
	sort.Strings(out)
	return out
}

// Ordered: the last spec adds objects the earlier ones would see.
var _ = Describe("clusteruserauths through the kube-apiserver", Ordered, func() {
	ctx := context.Background()

	It("lists and gets only the caller's own objects, with credentials", func() {
		alice := resourceFor("alice")
		list, err := alice.List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(list)).To(Equal([]string{"alice-c1", "alice-c2"}))
		Expect(list.GetAPIVersion()).To(Equal(authv1alpha1.SchemeGroupVersion.String()))

		got, err := alice.Get(ctx, "alice-c1", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.GetKind()).To(Equal("ClusterUserAuth"))
		Expect(field(got, "credentials", "kubeconfig")).To(Equal("kubeconfig-of-alice-c1"))
		Expect(got.Object["credentials"]).NotTo(HaveKey("password"))
		Expect(field(got, "spec", "user")).To(Equal("alice"))
		Expect(field(got, "spec", "cluster")).To(Equal("c1"))

		_, err = alice.Get(ctx, "bob-c1", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
		_, err = alice.Get(ctx, "does-not-exist", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)

		bob := resourceFor("bob")
		list, err = bob.List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(names(list)).To(Equal([]string{"bob-c1"}))
		got, err = bob.Get(ctx, "bob-c1", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(field(got, "credentials", "token")).To(Equal("token-of-bob-c1"))
		for _, other := range []string{"alice-c1", "alice-c2"} {
			_, err = bob.Get(ctx, other, metav1.GetOptions{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
		}
		// A field selector on someone else's name finds nothing either.
		list, err = bob.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=alice-c1"})
		Expect(err).NotTo(HaveOccurred())
		Expect(list.Items).To(BeEmpty())
	})

	It("is no admin with get on the registry's clusteruserauths alone: the credentials are in Secrets it may not read", func() {
		list, err := resourceFor("gina").List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(list.Items).To(BeEmpty())
		_, err = resourceFor("gina").Get(ctx, "bob-c1", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
	})

	It("shows every object to admins (system:masters, or get on the registry's clusteruserauths and its Secrets)", func() {
		for _, user := range []string{"admin", "carol"} {
			list, err := resourceFor(user).List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred())
			// Other specs add objects of their own.
			Expect(names(list)).To(ContainElements("alice-c1", "alice-c2", "bob-c1"), user)
			_, err = resourceFor(user).Get(ctx, "bob-c1", metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred(), user)
		}
	})

	It("refuses users without RBAC and unauthenticated requests", func() {
		_, err := resourceFor("dave").List(ctx, metav1.ListOptions{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "got %v", err)

		anon := rest.AnonymousClientConfig(aenv.AdminConfig)
		dyn, err := dynamic.NewForConfig(anon)
		Expect(err).NotTo(HaveOccurred())
		_, err = dyn.Resource(authv1alpha1.Resource).List(ctx, metav1.ListOptions{})
		Expect(apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err)).To(BeTrue(), "got %v", err)
	})

	It("serves a burst of 1,000 lists (20 at a time)", func() {
		alice := resourceFor("alice")
		var failed, wrong atomic.Int64
		jobs := make(chan struct{})
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					list, err := alice.List(ctx, metav1.ListOptions{})
					if err != nil {
						failed.Add(1)
						continue
					}
					if len(list.Items) != 2 {
						wrong.Add(1)
					}
				}
			}()
		}
		start := time.Now()
		for range burstN {
			jobs <- struct{}{}
		}
		close(jobs)
		wg.Wait()
		GinkgoWriter.Printf("%d lists in %v\n", burstN, time.Since(start))
		Expect(failed.Load()).To(BeZero())
		Expect(wrong.Load()).To(BeZero())
	})

	It("watches only the caller's objects", func() {
		w, err := resourceFor("alice").Watch(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		// Give the watch time to be established at the source before creating.
		time.Sleep(time.Second)
		userAuth("bob-c2", "bob", "c-no-info")
		userAuth("alice-c3", "alice", "c-no-info") // a cluster without a ClusterInfo: the clusters specs do not see it
		// The initial ADDED events for alice-c1 and alice-c2, then alice-c3 (ADDED when its
		// ClusterUserAuth comes, MODIFIED with the credentials once the Secret made for it
		// follows); never bob's.
		seen := []string{}
		var types []watch.EventType
		Eventually(func(g Gomega) {
			var ev watch.Event
			g.Expect(w.ResultChan()).To(Receive(&ev))
			u := ev.Object.(*unstructured.Unstructured)
			seen = append(seen, u.GetName())
			g.Expect(u.GetName()).To(Equal("alice-c3"))
			types = append(types, ev.Type)
			g.Expect(field(u, "credentials", "kubeconfig")).To(Equal("kubeconfig-of-alice-c3"))
		}, 20*time.Second, 10*time.Millisecond).Should(Succeed())
		Expect(types[0]).To(Equal(watch.Added))
		Expect(seen).NotTo(ContainElement(HavePrefix("bob-")))
	})
})

var _ = Describe("the extension server directly", func() {
	var base string
	BeforeEach(func() {
		base = fmt.Sprintf("https://127.0.0.1:%d/apis/%s/clusteruserauths", server.Port(), authv1alpha1.SchemeGroupVersion)
	})

	frontProxy := func() []tls.Certificate { return []tls.Certificate{aenv.FrontProxy} }
	do := func(certs []tls.Certificate, header http.Header) int {
		pool := x509.NewCertPool()
		Expect(pool.AppendCertsFromPEM(server.CABundle())).To(BeTrue())
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs, ServerName: "localhost"}}}
		req, err := http.NewRequest(http.MethodGet, base, nil)
		Expect(err).NotTo(HaveOccurred())
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := c.Do(req)
		Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		return resp.StatusCode
	}

	It("refuses anonymous requests and request headers without the front-proxy certificate", func() {
		Expect(do(nil, nil)).To(Equal(http.StatusUnauthorized))
		Expect(do(nil, http.Header{"X-Remote-User": {"alice"}})).To(Equal(http.StatusUnauthorized))
	})

	It("serves a burst of 200 lists sent directly (20 at a time)", func() {
		start := time.Now()
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer GinkgoRecover()
				for range 10 {
					Expect(do(frontProxy(), http.Header{"X-Remote-User": {"alice"}})).To(Equal(http.StatusOK))
				}
			}()
		}
		wg.Wait()
		GinkgoWriter.Printf("200 direct lists in %v\n", time.Since(start))
	})

	It("accepts request headers signed by the front-proxy client certificate", func() {
		Expect(do(frontProxy(), http.Header{"X-Remote-User": {"alice"}})).To(Equal(http.StatusOK))
		Expect(do(frontProxy(), http.Header{"X-Remote-User": {"dave"}})).To(Equal(http.StatusForbidden))
	})
})

var _ = Describe("an audit policy", func() {
	It("writes the server's own audit events, with the caller, when a policy file and a log path are given (both or neither)", func() {
		dir := GinkgoT().TempDir()
		policy, logPath := filepath.Join(dir, "policy.yaml"), filepath.Join(dir, "audit.log")
		Expect(os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"), 0o600)).To(Succeed())
		_, err := authapi.NewServer(authapi.Options{Kubeconfig: aenv.AdminKubeconfig, SecretNamespace: registryNS, AuditPolicyFile: policy})
		Expect(err).To(MatchError(ContainSubstring("both a policy file and a log path")))

		audited, err := authapi.NewServer(authapi.Options{Kubeconfig: aenv.AdminKubeconfig, SecretNamespace: registryNS,
			AuditPolicyFile: policy, AuditLogPath: logPath})
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- audited.Run(ctx) }()
		DeferCleanup(func() { cancel(); Eventually(done, 30*time.Second).Should(Receive()) })

		pool := x509.NewCertPool()
		Expect(pool.AppendCertsFromPEM(audited.CABundle())).To(BeTrue())
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{aenv.FrontProxy}, ServerName: "localhost"}}}
		url := fmt.Sprintf("https://127.0.0.1:%d/apis/%s/clusteruserauths", audited.Port(), authv1alpha1.SchemeGroupVersion)
		Eventually(func() int {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("X-Remote-User", "alice")
			resp, err := hc.Do(req)
			if err != nil {
				return 0
			}
			_ = resp.Body.Close()
			return resp.StatusCode
		}, 30*time.Second).Should(Equal(http.StatusOK))
		Eventually(func() string { b, _ := os.ReadFile(logPath); return string(b) }, 10*time.Second).Should(
			And(ContainSubstring(`"username":"alice"`), ContainSubstring(`"resource":"clusteruserauths"`)))
	})
})
