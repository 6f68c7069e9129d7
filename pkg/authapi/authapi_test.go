package authapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	registryv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/authapi"
	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/authapi/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

const registryNS = "pco-registry"

var (
	env        *envtest.Environment
	adminCfg   *rest.Config
	admin      client.Client
	server     *authapi.Server
	cancelRun  context.CancelFunc
	runDone    chan error
	frontProxy tls.Certificate
	userCfgs   = map[string]*rest.Config{}
)

// writeCA makes a CA and a client certificate signed by it; it writes the CA to dir.
func frontProxyPKI(dir string) (caPath, certPath, keyPath string) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "front-proxy-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	Expect(err).NotTo(HaveOccurred())
	ca, err := x509.ParseCertificate(caDER)
	Expect(err).NotTo(HaveOccurred())

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "front-proxy-client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	Expect(err).NotTo(HaveOccurred())
	keyDER, err := x509.MarshalECPrivateKey(key)
	Expect(err).NotTo(HaveOccurred())

	caPath = filepath.Join(dir, "front-proxy-ca.crt")
	certPath = filepath.Join(dir, "front-proxy-client.crt")
	keyPath = filepath.Join(dir, "front-proxy-client.key")
	Expect(os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)).To(Succeed())
	Expect(os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)).To(Succeed())
	Expect(os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)).To(Succeed())
	return caPath, certPath, keyPath
}

func addUser(name string, groups ...string) *rest.Config {
	u, err := env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	Expect(err).NotTo(HaveOccurred())
	cfg := u.Config()
	cfg.QPS, cfg.Burst = 1000, 1000
	return cfg
}

func userAuth(name, user, cluster string) {
	ctx := context.Background()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: registryNS, Name: "uauth-" + name},
		Data: map[string][]byte{
			registryv1alpha1.KeyKubeconfig: []byte("kubeconfig-of-" + name),
			registryv1alpha1.KeyToken:      []byte("token-of-" + name),
		},
	}
	Expect(admin.Create(ctx, secret)).To(Succeed())
	Expect(admin.Create(ctx, &registryv1alpha1.ClusterUserAuth{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: registryv1alpha1.ClusterUserAuthSpec{
			Cluster:   cluster,
			User:      user,
			SecretRef: registryv1alpha1.SecretReference{Namespace: registryNS, Name: secret.Name},
		},
	})).To(Succeed())
}

var _ = BeforeSuite(func() {
	ctx := context.Background()
	dir := GinkgoT().TempDir()
	assets, err := framework.EnvtestAssets()
	Expect(err).NotTo(HaveOccurred())
	caPath, certPath, keyPath := frontProxyPKI(dir)
	frontProxy, err = tls.LoadX509KeyPair(certPath, keyPath)
	Expect(err).NotTo(HaveOccurred())

	env = &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(framework.RepoRoot(), "kubernetes", "crds")},
		ErrorIfCRDPathMissing: true,
	}
	env.ControlPlane.GetAPIServer().Configure().
		Set("requestheader-client-ca-file", caPath).
		Set("requestheader-allowed-names", "front-proxy-client").
		Set("requestheader-extra-headers-prefix", "X-Remote-Extra-").
		Set("requestheader-group-headers", "X-Remote-Group").
		Set("requestheader-username-headers", "X-Remote-User").
		Set("proxy-client-cert-file", certPath).
		Set("proxy-client-key-file", keyPath)
	_, err = env.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(env.Stop()).To(Succeed()) })

	adminUser, err := env.AddUser(envtest.User{Name: "pco-admin", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	adminCfg = adminUser.Config()
	kubeconfig, err := adminUser.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	kubeconfigPath := filepath.Join(dir, "kubeconfig")
	Expect(os.WriteFile(kubeconfigPath, kubeconfig, 0o600)).To(Succeed())

	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(registryv1alpha1.AddToScheme(scheme)).To(Succeed())
	admin, err = client.New(adminCfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	// The extension server, in process, on 127.0.0.1 and a free port.
	server, err = authapi.NewServer(authapi.Options{Kubeconfig: kubeconfigPath})
	Expect(err).NotTo(HaveOccurred())
	var runCtx context.Context
	runCtx, cancelRun = context.WithCancel(ctx)
	runDone = make(chan error, 1)
	go func() { runDone <- server.Run(runCtx) }()
	DeferCleanup(func() {
		cancelRun()
		Eventually(runDone, 30*time.Second).Should(Receive())
	})

	// kube-apiserver reaches it through an ExternalName Service "127.0.0.1": the aggregator
	// then proxies to https://127.0.0.1:<APIService port> ("localhost" works too, but costs
	// ~300 ms a request here: ::1 is tried first). (A selector-less Service with an
	// EndpointSlice on 127.0.0.1 and --enable-aggregator-routing is refused by the API:
	// "may not be in the loopback range".)
	apiSvc := server.APIService()
	svcRef := apiSvc.Object["spec"].(map[string]any)["service"].(map[string]any)
	svcNS, svcName := svcRef["namespace"].(string), svcRef["name"].(string)
	Expect(admin.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: svcNS, Name: svcName},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "127.0.0.1"},
	})).To(Succeed())
	dyn, err := dynamic.NewForConfig(adminCfg)
	Expect(err).NotTo(HaveOccurred())
	apiServices := dyn.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"})
	_, err = apiServices.Create(ctx, apiSvc, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	Eventually(func(g Gomega) {
		u, err := apiServices.Get(ctx, apiSvc.GetName(), metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		available := false
		for _, c := range conds {
			m := c.(map[string]any)
			if m["type"] == "Available" && m["status"] == "True" {
				available = true
			}
		}
		g.Expect(available).To(BeTrue(), "APIService not available: %v", conds)
	}, 60*time.Second, 250*time.Millisecond).Should(Succeed())

	// RBAC: alice and bob may read the aggregated resource; carol may also read the registry's
	// ClusterUserAuths cluster-wide, which makes her an admin of the aggregated API.
	Expect(admin.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "authapi-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{authv1alpha1.GroupName}, Resources: []string{"clusteruserauths"},
			Verbs: []string{"get", "list", "watch"}}},
	})).To(Succeed())
	Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "authapi-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "authapi-reader"},
		Subjects: []rbacv1.Subject{
			{APIGroup: rbacv1.GroupName, Kind: "User", Name: "alice"},
			{APIGroup: rbacv1.GroupName, Kind: "User", Name: "bob"},
			{APIGroup: rbacv1.GroupName, Kind: "User", Name: "carol"},
		},
	})).To(Succeed())
	Expect(admin.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "registry-uauth-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{registryv1alpha1.GroupVersion.Group}, Resources: []string{"clusteruserauths"},
			Verbs: []string{"get"}}},
	})).To(Succeed())
	Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "registry-uauth-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "registry-uauth-reader"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "carol"}},
	})).To(Succeed())
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		userCfgs[name] = addUser(name)
	}
	userCfgs["admin"] = rest.CopyConfig(adminCfg)
	userCfgs["admin"].QPS, userCfgs["admin"].Burst = 1000, 1000

	Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: registryNS}})).To(Succeed())
	userAuth("alice-c1", "alice", "c1")
	userAuth("alice-c2", "alice", "c2")
	userAuth("bob-c1", "bob", "c1")
})

func resourceFor(user string) dynamic.NamespaceableResourceInterface {
	dyn, err := dynamic.NewForConfig(userCfgs[user])
	Expect(err).NotTo(HaveOccurred())
	return dyn.Resource(authv1alpha1.Resource)
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

var _ = Describe("clusteruserauths through the kube-apiserver", func() {
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

	It("shows every object to admins (system:masters, or get on the registry's clusteruserauths)", func() {
		for _, user := range []string{"admin", "carol"} {
			list, err := resourceFor(user).List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(names(list)).To(Equal([]string{"alice-c1", "alice-c2", "bob-c1"}), user)
			_, err = resourceFor(user).Get(ctx, "bob-c1", metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred(), user)
		}
	})

	It("refuses users without RBAC and unauthenticated requests", func() {
		_, err := resourceFor("dave").List(ctx, metav1.ListOptions{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "got %v", err)

		anon := rest.AnonymousClientConfig(adminCfg)
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
		userAuth("bob-c2", "bob", "c2")
		userAuth("alice-c3", "alice", "c3")
		// The initial ADDED events for alice-c1 and alice-c2, then alice-c3; never bob's.
		seen := []string{}
		Eventually(func(g Gomega) {
			var ev watch.Event
			g.Expect(w.ResultChan()).To(Receive(&ev))
			u := ev.Object.(*unstructured.Unstructured)
			seen = append(seen, u.GetName())
			g.Expect(u.GetName()).To(Equal("alice-c3"))
			g.Expect(ev.Type).To(Equal(watch.Added))
			g.Expect(field(u, "credentials", "kubeconfig")).To(Equal("kubeconfig-of-alice-c3"))
		}, 20*time.Second, 10*time.Millisecond).Should(Succeed())
		Expect(seen).NotTo(ContainElement(HavePrefix("bob-")))
	})
})

var _ = Describe("the extension server directly", func() {
	var base string
	BeforeEach(func() {
		base = fmt.Sprintf("https://127.0.0.1:%d/apis/%s/clusteruserauths", server.Port(), authv1alpha1.SchemeGroupVersion)
	})

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
					Expect(do([]tls.Certificate{frontProxy}, http.Header{"X-Remote-User": {"alice"}})).To(Equal(http.StatusOK))
				}
			}()
		}
		wg.Wait()
		GinkgoWriter.Printf("200 direct lists in %v\n", time.Since(start))
	})

	It("accepts request headers signed by the front-proxy client certificate", func() {
		Expect(do([]tls.Certificate{frontProxy}, http.Header{"X-Remote-User": {"alice"}})).To(Equal(http.StatusOK))
		Expect(do([]tls.Certificate{frontProxy}, http.Header{"X-Remote-User": {"dave"}})).To(Equal(http.StatusForbidden))
	})
})
