package connect_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar/connect"
)

// logBuffer keeps everything the controller logged, to look for secrets in it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const (
	connectRegistryNS = "pco-registry-system"
	connectTenantNS   = "tenant-a"
	// Tokens of the fixtures: none may show up in a status, an event or a log.
	fixtureTokenGarbage = "FIXTURE-TOKEN-garbage-6c0f2a9e41d7"
	fixtureTokenExec    = "FIXTURE-TOKEN-exec-b83e5d1f0a22"
	fixtureTokenFile    = "FIXTURE-TOKEN-file-17ad94c3e5b0"
	fixtureTokenUnreach = "FIXTURE-TOKEN-unreachable-4e6b2c8d"
	fixtureTokenBogus   = "FIXTURE-TOKEN-bogus-9d3f7a1c5e2b"
)

var _ = Describe("ClusterConnect", Ordered, func() {
	var (
		mgmt, target     *testenv.ControlPlane
		c                client.Client // management, with the registry's kinds
		targetKubeconfig []byte
		targetCfg        *rest.Config // admin of the target, from its kubeconfig
		targetDown       atomic.Bool  // the reconciler's target clients see an unreachable server
		logs             logBuffer
		leakSecrets      []string // must never appear in statuses, events or logs
		statusTexts      []string // every ClusterConnect status seen
		statusMu         sync.Mutex
		ctx              = context.Background()
	)

	BeforeAll(func() {
		ctrl.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(GinkgoWriter, &logs)), zap.UseDevMode(true)))
		SetDefaultEventuallyTimeout(30 * time.Second)
		SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
		start := func(prefix string) *testenv.ControlPlane {
			dir, err := os.MkdirTemp("", prefix)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(os.RemoveAll, dir)
			cp, err := testenv.StartControlPlane(dir)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(cp.Stop)
			return cp
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer GinkgoRecover(); defer wg.Done(); mgmt = start("pco-connect-mgmt-") }()
		go func() { defer GinkgoRecover(); defer wg.Done(); target = start("pco-connect-target-") }()
		wg.Wait()
		Expect(mgmt).NotTo(BeNil())
		Expect(target).NotTo(BeNil())

		scheme := runtime.NewScheme()
		Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
		Expect(regv1.AddToScheme(scheme)).To(Succeed())
		var err error
		c, err = client.New(mgmt.Config, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		targetKubeconfig, err = os.ReadFile(target.KubeconfigPath)
		Expect(err).NotTo(HaveOccurred())
		targetCfg, err = clientcmd.RESTConfigFromKubeConfig(targetKubeconfig)
		Expect(err).NotTo(HaveOccurred())
		// The target admin's client key, in both forms, is a secret too.
		leakSecrets = append(leakSecrets, string(targetCfg.KeyData)[40:120], base64.StdEncoding.EncodeToString(targetCfg.KeyData)[20:100],
			fixtureTokenGarbage, fixtureTokenExec, fixtureTokenFile, fixtureTokenUnreach, fixtureTokenBogus)

		for _, ns := range []string{connectRegistryNS, connectTenantNS} {
			Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		}
		skip := true
		mgr, err := ctrl.NewManager(mgmt.Config, ctrl.Options{
			Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
			Controller: config.Controller{SkipNameValidation: &skip},
		})
		Expect(err).NotTo(HaveOccurred())
		r := &connect.Reconciler{
			Client: mgr.GetClient(), Namespace: connectRegistryNS, Recorder: mgr.GetEventRecorder("pco-cluster-registrar"),
			TokenWait: time.Second, DisconnectTimeout: 6 * time.Second,
			// The tenant's kubeconfigs are in their namespace, and both clusters are on
			// loopback: the operator allows both explicitly.
			Options: connect.Options{ConfigNamespaces: []string{connectRegistryNS, connectTenantNS}, AllowLocalAddresses: true},
			NewTargetClient: func(cfg *rest.Config) (kubernetes.Interface, error) {
				if targetDown.Load() {
					cfg = rest.CopyConfig(cfg)
					cfg.Host = "https://127.0.0.1:1"
				}
				return kubernetes.NewForConfig(cfg)
			},
		}
		Expect(r.SetupWithManager(mgr)).To(Succeed())
		mctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(done)
			Expect(mgr.Start(mctx)).To(Succeed())
		}()
		DeferCleanup(func() { cancel(); <-done })
	})

	// --- helpers ---

	kubeconfigSecret := func(name, key string, data []byte) regv1.SecretKeyReference {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: connectTenantNS, Name: name}, Data: map[string][]byte{key: data}}
		ExpectWithOffset(1, c.Create(ctx, s)).To(Succeed())
		return regv1.SecretKeyReference{Namespace: connectTenantNS, Name: name, Key: key}
	}

	connectStatus := func(name string) func() regv1.ClusterConnectStatus {
		return func() regv1.ClusterConnectStatus {
			var cc regv1.ClusterConnect
			if err := c.Get(ctx, client.ObjectKey{Name: name}, &cc); err != nil {
				return regv1.ClusterConnectStatus{Reason: "get: " + err.Error()}
			}
			statusMu.Lock()
			statusTexts = append(statusTexts, cc.Status.Reason+" "+cc.Status.Message)
			statusMu.Unlock()
			return cc.Status
		}
	}

	gone := func(obj client.Object) func() bool {
		return func() bool {
			err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj)
			return apierrors.IsNotFound(err)
		}
	}

	deleteConnect := func(name string) {
		cc := &regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: name}}
		ExpectWithOffset(1, c.Delete(ctx, cc)).To(Succeed())
		EventuallyWithOffset(1, gone(cc)).Should(BeTrue(), "ClusterConnect %s is not gone", name)
	}

	// clientFromSecret builds a client of the target from a registry Secret's kubeconfig.
	clientFromSecret := func(ref regv1.SecretReference) kubernetes.Interface {
		var s corev1.Secret
		ExpectWithOffset(1, c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &s)).To(Succeed())
		cfg, err := clientcmd.RESTConfigFromKubeConfig(s.Data[regv1.KeyKubeconfig])
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		ExpectWithOffset(1, cfg.BearerToken).NotTo(BeEmpty())
		ExpectWithOffset(1, cfg.CAData).To(Equal(targetCfg.CAData))
		kc, err := kubernetes.NewForConfig(cfg)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		return kc
	}

	userAuths := func(cluster string) map[string]regv1.ClusterUserAuth {
		var list regv1.ClusterUserAuthList
		ExpectWithOffset(1, c.List(ctx, &list, client.MatchingLabels{regv1.LabelCluster: cluster})).To(Succeed())
		out := map[string]regv1.ClusterUserAuth{}
		for _, ua := range list.Items {
			out[ua.Spec.User] = ua
		}
		return out
	}

	targetLabelled := func(cluster string) metav1.ListOptions {
		return metav1.ListOptions{LabelSelector: regv1.LabelCluster + "=" + cluster}
	}

	// rememberTokens adds the tokens and kubeconfigs of the cluster's registry Secrets to the
	// secrets that must not leak.
	rememberTokens := func(cluster string) {
		var secrets corev1.SecretList
		ExpectWithOffset(1, c.List(ctx, &secrets, client.InNamespace(connectRegistryNS), client.MatchingLabels{regv1.LabelCluster: cluster})).To(Succeed())
		ExpectWithOffset(1, secrets.Items).NotTo(BeEmpty())
		for _, s := range secrets.Items {
			tok := string(s.Data[regv1.KeyToken])
			ExpectWithOffset(1, len(tok)).To(BeNumerically(">", 100))
			leakSecrets = append(leakSecrets, tok[len(tok)-60:])
		}
	}

	connectCluster := func(name string, tmpl regv1.ClusterTemplate, adminUser string, withKey bool) *regv1.ClusterConnect {
		key := regv1.KeyKubeconfig
		if withKey {
			key = "config"
		}
		ref := kubeconfigSecret(name+"-admin", key, targetKubeconfig)
		if !withKey {
			ref.Key = "" // the default
		}
		cc := &regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: regv1.ClusterConnectSpec{ConfigSecretRef: ref, AdminUser: adminUser, ClusterTemplate: tmpl}}
		ExpectWithOffset(1, c.Create(ctx, cc)).To(Succeed())
		EventuallyWithOffset(1, connectStatus(name)).Should(And(HaveField("Phase", connect.PhaseInitialized), HaveField("Failed", false)))
		return cc
	}

	Describe("connecting the target with an admin kubeconfig", Ordered, func() {
		const cluster = "prod-eu"
		var alice, team, admin regv1.ClusterUserAuth

		BeforeAll(func() {
			connectCluster("prod", regv1.ClusterTemplate{
				Name: cluster, DisplayName: "Production EU", Owner: &regv1.UserOrTeam{User: "olivia"},
				Access: []regv1.Access{
					{Verbs: []string{"get", "list"}, Subresources: []string{"configmaps"}, Users: []string{"alice"}},
					{Verbs: []string{"get"}, Subresources: []string{"pods"}, Teams: []string{"ops"}},
				},
			}, "admin@example.com", true)
			rememberTokens(cluster)
			uas := userAuths(cluster)
			Expect(uas).To(HaveLen(3))
			Expect(uas).To(HaveKey("alice"))
			Expect(uas).To(HaveKey("team:ops"))
			Expect(uas).To(HaveKey("admin@example.com"))
			alice, team, admin = uas["alice"], uas["team:ops"], uas["admin@example.com"]
		})

		It("sets up the namespace, service accounts, bindings and ClusterRoles in the target", func() {
			kc := target.Clientset
			ns, err := kc.CoreV1().Namespaces().Get(ctx, connect.DefaultManagementNamespace, metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(ns.Labels).To(HaveKeyWithValue(regv1.LabelCluster, cluster))
			_, err = kc.CoreV1().ServiceAccounts(ns.Name).Get(ctx, connect.AdminServiceAccount, metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())
			crb, err := kc.RbacV1().ClusterRoleBindings().Get(ctx, connect.AdminBinding, metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(crb.RoleRef.Name).To(Equal("cluster-admin"))
			Expect(crb.Subjects).To(ConsistOf(rbacv1.Subject{Kind: "ServiceAccount", Name: connect.AdminServiceAccount, Namespace: ns.Name}))
			tokenSecret, err := kc.CoreV1().Secrets(ns.Name).Get(ctx, connect.AdminTokenSecret, metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(tokenSecret.Type).To(Equal(corev1.SecretTypeServiceAccountToken))
			Expect(tokenSecret.Annotations).To(HaveKeyWithValue(corev1.ServiceAccountNameKey, connect.AdminServiceAccount))

			cr, err := kc.RbacV1().ClusterRoles().Get(ctx, "pco-user-alice", metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(cr.Rules).To(ConsistOf(rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}}))
			_, err = kc.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "pco-user-alice", metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())
			b, err := kc.RbacV1().ClusterRoleBindings().Get(ctx, "pco-user-alice", metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(b.RoleRef.Name).To(Equal("pco-user-alice"))
			roles, err := kc.RbacV1().ClusterRoles().List(ctx, targetLabelled(cluster))
			Expect(err).NotTo(HaveOccurred())
			Expect(roles.Items).To(HaveLen(3))
		})

		It("registers the cluster: ClusterInfo with the target's version and uid, ClusterAuthInfo and Secrets", func() {
			version, err := target.Clientset.Discovery().ServerVersion()
			Expect(err).NotTo(HaveOccurred())
			kubeSystem, err := target.Clientset.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())

			var info regv1.ClusterInfo
			Expect(c.Get(ctx, client.ObjectKey{Name: cluster}, &info)).To(Succeed())
			Expect(info.Spec.Name).To(Equal(cluster))
			Expect(info.Spec.DisplayName).To(Equal("Production EU"))
			Expect(info.Spec.Owner).To(Equal("olivia"))
			Expect(info.Spec.Provider).To(Equal("Generic"))
			Expect(info.Spec.Endpoint).To(Equal(targetCfg.Host))
			Expect(info.Spec.KubernetesVersion).To(Equal(version.GitVersion))
			Expect(info.Spec.UID).To(Equal(string(kubeSystem.UID)))
			Expect(info.Spec.Source).To(Equal(regv1.ClusterSource{Type: "Connect", Connect: "prod"}))
			Expect(info.Spec.AuthInfo).To(Equal(cluster))
			Expect(info.Spec.CreatedAt).NotTo(BeZero())
			Expect(info.Status.Phase).To(Equal(regv1.PhaseActive))

			var auth regv1.ClusterAuthInfo
			Expect(c.Get(ctx, client.ObjectKey{Name: cluster}, &auth)).To(Succeed())
			Expect(auth.Spec.SecretRef).To(Equal(regv1.SecretReference{Namespace: connectRegistryNS, Name: "cluster-" + cluster + "-auth"}))
			Expect(auth.Spec.Keys).To(ConsistOf(regv1.KeyKubeconfig, regv1.KeyToken, regv1.KeyCAData))
			Expect(auth.Spec.Username).To(Equal("system:serviceaccount:pco-registry:pco-registry-admin"))
			var s corev1.Secret
			Expect(c.Get(ctx, client.ObjectKey{Namespace: connectRegistryNS, Name: auth.Spec.SecretRef.Name}, &s)).To(Succeed())
			Expect(s.Labels).To(HaveKeyWithValue(regv1.LabelCluster, cluster))

			var cc regv1.ClusterConnect
			Expect(c.Get(ctx, client.ObjectKey{Name: "prod"}, &cc)).To(Succeed())
			Expect(cc.Status.ClusterInfo).To(Equal(cluster))
			Expect(cc.Finalizers).To(ContainElement(connect.Finalizer))

			Expect(alice.Spec.Cluster).To(Equal(cluster))
			Expect(alice.Spec.Verbs).To(Equal([]string{"get", "list"}))
			Expect(alice.Spec.Subresources).To(Equal([]string{"configmaps"}))
			Expect(alice.Spec.SecretRef.Name).To(Equal("cluster-" + cluster + "-user-alice"))
			Expect(alice.Name).To(Equal(cluster + "-alice"))
			Expect(team.Name).To(HavePrefix(cluster + "-team-ops-"))
		})

		It("the registry's own token is cluster-admin in the target", func() {
			var auth regv1.ClusterAuthInfo
			Expect(c.Get(ctx, client.ObjectKey{Name: cluster}, &auth)).To(Succeed())
			kc := clientFromSecret(auth.Spec.SecretRef)
			_, err := kc.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred())
		})

		It("a user's credentials do exactly what the access rule allows", func() {
			kc := clientFromSecret(alice.Spec.SecretRef)
			_, err := kc.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred(), "listing configmaps is allowed")
			_, err = kc.CoreV1().ConfigMaps("kube-system").List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred(), "in every namespace")
			_, err = kc.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "alice-was-here"}}, metav1.CreateOptions{})
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "creating a configmap is forbidden: %v", err)
			_, err = kc.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{})
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing secrets is forbidden: %v", err)

			kc = clientFromSecret(team.Spec.SecretRef)
			_, err = kc.CoreV1().Pods("default").Get(ctx, "nope", metav1.GetOptions{})
			Expect(apierrors.IsNotFound(err)).To(BeTrue(), "getting a pod is allowed to the team: %v", err)
			_, err = kc.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "listing pods is not: %v", err)
		})

		It("the admin user can do anything", func() {
			Expect(admin.Spec.Verbs).To(Equal([]string{"*"}))
			Expect(admin.Spec.Subresources).To(Equal([]string{"*"}))
			kc := clientFromSecret(admin.Spec.SecretRef)
			cm, err := kc.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "admin-was-here"}}, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(kc.CoreV1().ConfigMaps("default").Delete(ctx, cm.Name, metav1.DeleteOptions{})).To(Succeed())
			_, err = kc.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred())
			ns, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "admin-ns"}}, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(kc.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})).To(Succeed())
			_, err = kc.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
			Expect(err).NotTo(HaveOccurred(), "non-resource URLs too")
		})

		It("keeps going on its own token once the admin kubeconfig is deleted, and follows access rule changes", func() {
			Expect(c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: connectTenantNS, Name: "prod-admin"}})).To(Succeed())
			var cc regv1.ClusterConnect
			Expect(c.Get(ctx, client.ObjectKey{Name: "prod"}, &cc)).To(Succeed())
			cc.Spec.ClusterTemplate.Access = cc.Spec.ClusterTemplate.Access[:1] // the team loses its access
			cc.Spec.ClusterTemplate.Access[0].Verbs = []string{"get", "list", "create"}
			Expect(c.Update(ctx, &cc)).To(Succeed())
			Eventually(func() []string {
				var keys []string
				for k := range userAuths(cluster) {
					keys = append(keys, k)
				}
				return keys
			}).Should(ConsistOf("alice", "admin@example.com"))
			Eventually(connectStatus("prod")).Should(And(HaveField("Phase", connect.PhaseInitialized), HaveField("Failed", false),
				HaveField("ObservedGeneration", cc.Generation)))
			Eventually(func() error {
				_, err := target.Clientset.RbacV1().ClusterRoles().Get(ctx, connect.UserPrefix+team.Spec.SecretRef.Name[len("cluster-"+cluster+"-user-"):], metav1.GetOptions{})
				return err
			}).Should(Satisfy(apierrors.IsNotFound))
			roles, err := target.Clientset.RbacV1().ClusterRoles().List(ctx, targetLabelled(cluster))
			Expect(err).NotTo(HaveOccurred())
			Expect(roles.Items).To(HaveLen(2))
			Expect(gone(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: team.Spec.SecretRef.Namespace, Name: team.Spec.SecretRef.Name}})()).To(BeTrue())
			kc := clientFromSecret(alice.Spec.SecretRef)
			cm, err := kc.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "alice-may-now"}}, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(target.Clientset.CoreV1().ConfigMaps("default").Delete(ctx, cm.Name, metav1.DeleteOptions{})).To(Succeed())
		})

		It("disconnecting removes everything in the target and the registry", func() {
			deleteConnect("prod")
			kc := target.Clientset
			roles, err := kc.RbacV1().ClusterRoles().List(ctx, targetLabelled(cluster))
			Expect(err).NotTo(HaveOccurred())
			Expect(roles.Items).To(BeEmpty())
			bindings, err := kc.RbacV1().ClusterRoleBindings().List(ctx, targetLabelled(cluster))
			Expect(err).NotTo(HaveOccurred())
			Expect(bindings.Items).To(BeEmpty())
			// envtest runs no namespace controller: the namespace stays Terminating.
			ns, err := kc.CoreV1().Namespaces().Get(ctx, connect.DefaultManagementNamespace, metav1.GetOptions{})
			if err == nil {
				Expect(ns.DeletionTimestamp).NotTo(BeNil())
			} else {
				Expect(apierrors.IsNotFound(err)).To(BeTrue())
			}
			sas, err := kc.CoreV1().ServiceAccounts(connect.DefaultManagementNamespace).List(ctx, targetLabelled(cluster))
			Expect(err).NotTo(HaveOccurred())
			for _, sa := range sas.Items {
				Expect(sa.Name).To(Equal(connect.AdminServiceAccount), "user service accounts are deleted; the admin's goes with its namespace")
			}

			Expect(gone(&regv1.ClusterInfo{ObjectMeta: metav1.ObjectMeta{Name: cluster}})()).To(BeTrue())
			Expect(gone(&regv1.ClusterAuthInfo{ObjectMeta: metav1.ObjectMeta{Name: cluster}})()).To(BeTrue())
			Expect(userAuths(cluster)).To(BeEmpty())
			var secrets corev1.SecretList
			Expect(c.List(ctx, &secrets, client.InNamespace(connectRegistryNS))).To(Succeed())
			Expect(secrets.Items).To(BeEmpty())
		})
	})

	It("disconnecting with the admin kubeconfig removes the admin service account too", func() {
		connectCluster("dev", regv1.ClusterTemplate{ManagementNamespace: "pco-dev"}, "bob", false)
		rememberTokens("dev")
		Expect(userAuths("dev")).To(HaveLen(1))
		deleteConnect("dev")
		kc := target.Clientset
		_, err := kc.CoreV1().ServiceAccounts("pco-dev").Get(ctx, connect.AdminServiceAccount, metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		_, err = kc.CoreV1().Secrets("pco-dev").Get(ctx, connect.AdminTokenSecret, metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		_, err = kc.RbacV1().ClusterRoleBindings().Get(ctx, connect.AdminBinding, metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		Expect(gone(&regv1.ClusterInfo{ObjectMeta: metav1.ObjectMeta{Name: "dev"}})()).To(BeTrue())
	})

	It("gives up on an unreachable target after the disconnect timeout, says what may be left, and removes the registry's objects", func() {
		connectCluster("flaky", regv1.ClusterTemplate{ManagementNamespace: "pco-flaky"}, "carol", true)
		rememberTokens("flaky")
		targetDown.Store(true)
		DeferCleanup(func() { targetDown.Store(false) })
		start := time.Now()
		Expect(c.Delete(ctx, &regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: "flaky"}})).To(Succeed())
		Eventually(connectStatus("flaky")).Should(HaveField("Reason", connect.ReasonDisconnecting))
		Consistently(gone(&regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: "flaky"}}), 3*time.Second).Should(BeFalse(), "retries for a while")
		Eventually(gone(&regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: "flaky"}})).Should(BeTrue())
		Expect(time.Since(start)).To(BeNumerically(">=", 5*time.Second))
		Expect(gone(&regv1.ClusterInfo{ObjectMeta: metav1.ObjectMeta{Name: "flaky"}})()).To(BeTrue())
		Expect(userAuths("flaky")).To(BeEmpty())
		events, err := mgmt.Clientset.EventsV1().Events("").List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		var warning string
		for _, e := range events.Items {
			if e.Regarding.Name == "flaky" && e.Reason == "DisconnectIncomplete" {
				warning = e.Note
			}
		}
		Expect(warning).To(And(ContainSubstring("pco-flaky"), ContainSubstring(connect.AdminBinding)))
		// What was left in the target is still there; clean it up by hand.
		_, err = target.Clientset.CoreV1().ServiceAccounts("pco-flaky").Get(ctx, "pco-user-carol", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(target.Clientset.RbacV1().ClusterRoleBindings().DeleteCollection(ctx, metav1.DeleteOptions{}, targetLabelled("flaky"))).To(Succeed())
		Expect(target.Clientset.RbacV1().ClusterRoles().DeleteCollection(ctx, metav1.DeleteOptions{}, targetLabelled("flaky"))).To(Succeed())
	})

	DescribeTable("a bad kubeconfig fails with InvalidKubeconfig and no payload in the message",
		func(name, token string, kubeconfig func() []byte, want string) {
			ref := kubeconfigSecret(name, regv1.KeyKubeconfig, kubeconfig())
			ref.Key = ""
			Expect(c.Create(ctx, &regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: regv1.ClusterConnectSpec{ConfigSecretRef: ref, AdminUser: "dave"}})).To(Succeed())
			Eventually(connectStatus(name)).Should(And(HaveField("Failed", true), HaveField("Phase", connect.PhaseFailed),
				HaveField("Reason", connect.ReasonInvalidKubeconfig)))
			st := connectStatus(name)()
			Expect(st.Message).To(ContainSubstring(want))
			Expect(st.Message).To(ContainSubstring("Secret " + connectTenantNS + "/" + name))
			Expect(st.Message).NotTo(ContainSubstring(token))
			Expect(gone(&regv1.ClusterInfo{ObjectMeta: metav1.ObjectMeta{Name: name}})()).To(BeTrue())
			deleteConnect(name)
		},
		Entry("garbage", "bad-garbage", fixtureTokenGarbage, func() []byte {
			return []byte("users:\n- token: " + fixtureTokenGarbage + "\n\t: : [[")
		}, "not valid YAML"),
		Entry("an exec plugin", "bad-exec", fixtureTokenExec, func() []byte {
			return connectReplaceUser(targetKubeconfig, "exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/echo\n      args: ['"+fixtureTokenExec+"']")
		}, "exec credential plugin"),
		Entry("a file reference", "bad-file", fixtureTokenFile, func() []byte {
			return connectReplaceUser(targetKubeconfig, "token: "+fixtureTokenFile+"\n    client-certificate: /etc/kubernetes/pki/admin.crt\n    client-key: /etc/kubernetes/pki/admin.key")
		}, "client-certificate or client-key file"),
	)

	It("an unreachable server fails with ClusterUnreachable", func() {
		kubeconfig := connectReplaceUser(targetKubeconfig, "token: "+fixtureTokenUnreach)
		kubeconfig = []byte(strings.Replace(string(kubeconfig), targetCfg.Host, "https://127.0.0.1:1", 1))
		ref := kubeconfigSecret("unreachable", regv1.KeyKubeconfig, kubeconfig)
		Expect(c.Create(ctx, &regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: "unreachable"},
			Spec: regv1.ClusterConnectSpec{ConfigSecretRef: ref}})).To(Succeed())
		Eventually(connectStatus("unreachable")).Should(And(HaveField("Failed", true), HaveField("Reason", connect.ReasonClusterUnreachable),
			HaveField("Message", ContainSubstring("127.0.0.1:1"))))
		deleteConnect("unreachable")
	})

	It("credentials the target refuses fail with Unauthorized", func() {
		ref := kubeconfigSecret("bogus", regv1.KeyKubeconfig, connectReplaceUser(targetKubeconfig, "token: "+fixtureTokenBogus))
		Expect(c.Create(ctx, &regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: "bogus"},
			Spec: regv1.ClusterConnectSpec{ConfigSecretRef: ref}})).To(Succeed())
		Eventually(connectStatus("bogus")).Should(And(HaveField("Failed", true), HaveField("Reason", connect.ReasonUnauthorized)))
		deleteConnect("bogus")
	})

	It("never copies a hostile target's answer into the status or events: a fixed sentence and the HTTP code", func() {
		const hostile = "HOSTILE-BODY-5e1d7c"
		// client-go quotes a text answer in its error ("an error on the server (...)").
		ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, hostile)
		}))
		defer ts.Close()
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["h"] = &clientcmdapi.Cluster{Server: ts.URL,
			CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})}
		cfg.AuthInfos["h"] = &clientcmdapi.AuthInfo{Token: "hostile-target-token"}
		cfg.Contexts["h"] = &clientcmdapi.Context{Cluster: "h", AuthInfo: "h"}
		cfg.CurrentContext = "h"
		kubeconfig, err := clientcmd.Write(*cfg)
		Expect(err).NotTo(HaveOccurred())
		ref := kubeconfigSecret("hostile", regv1.KeyKubeconfig, kubeconfig)
		Expect(c.Create(ctx, &regv1.ClusterConnect{ObjectMeta: metav1.ObjectMeta{Name: "hostile"},
			Spec: regv1.ClusterConnectSpec{ConfigSecretRef: ref}})).To(Succeed())
		Eventually(connectStatus("hostile")).Should(And(HaveField("Failed", true), HaveField("Reason", connect.ReasonTargetError),
			HaveField("Message", ContainSubstring("HTTP 500"))))
		Expect(connectStatus("hostile")().Message).NotTo(ContainSubstring(hostile))
		Eventually(func() []string {
			events, err := mgmt.Clientset.EventsV1().Events("").List(ctx, metav1.ListOptions{})
			Expect(err).NotTo(HaveOccurred())
			var notes []string
			for _, e := range events.Items {
				if e.Regarding.Name == "hostile" {
					notes = append(notes, e.Note)
				}
			}
			return notes
		}).Should(And(Not(BeEmpty()), HaveEach(Not(ContainSubstring(hostile)))))
		deleteConnect("hostile")
	})

	It("never shows a token or key in statuses, events or logs", func() {
		events, err := mgmt.Clientset.EventsV1().Events("").List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(events.Items).NotTo(BeEmpty())
		var texts []string
		reasons := map[string]bool{}
		for _, e := range events.Items {
			texts = append(texts, fmt.Sprintf("%s %s %s", e.Reason, e.Note, e.Regarding.Name))
			reasons[e.Reason] = true
		}
		for _, r := range []string{"Connected", "Disconnected", connect.ReasonInvalidKubeconfig, connect.ReasonClusterUnreachable, connect.ReasonUnauthorized} {
			Expect(reasons).To(HaveKey(r))
		}
		statusMu.Lock()
		texts = append(texts, statusTexts...)
		statusMu.Unlock()
		texts = append(texts, logs.String())
		Expect(len(leakSecrets)).To(BeNumerically(">", 10))
		for _, text := range texts {
			for _, secret := range leakSecrets {
				Expect(text).NotTo(ContainSubstring(secret))
			}
		}
	})
})

// connectReplaceUser swaps the user entry of an envtest kubeconfig (client certificate) for
// other YAML (indented as a user's fields).
func connectReplaceUser(kubeconfig []byte, user string) []byte {
	cfg, err := clientcmd.Load(kubeconfig)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	for _, u := range cfg.AuthInfos {
		u.ClientCertificateData, u.ClientKeyData = nil, nil
	}
	out, err := clientcmd.Write(*cfg)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "user: {}" {
			lines[i] = strings.Replace(l, "{}", "\n    "+user, 1)
		}
	}
	return []byte(strings.Join(lines, "\n"))
}
