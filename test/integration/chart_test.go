package integration_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	auditpolicy "k8s.io/apiserver/pkg/audit/policy"
	"sigs.k8s.io/yaml"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
)

var _ = Describe("delivery", func() {
	chart := filepath.Join(testenv.RepoRoot(), "charts", "mcm-provider-pco")

	helm := func(args ...string) string {
		bin, err := testenv.HelmBinary()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+stack.CP.KubeconfigPath, "HELM_CACHE_HOME="+GinkgoT().TempDir(),
			"HELM_CONFIG_HOME="+GinkgoT().TempDir(), "HELM_DATA_HOME="+GinkgoT().TempDir())
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "helm %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}
	helmFails := func(args ...string) string {
		bin, err := testenv.HelmBinary()
		Expect(err).NotTo(HaveOccurred())
		out, err := exec.Command(bin, args...).CombinedOutput()
		Expect(err).To(HaveOccurred(), "helm %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}

	It("lints and renders the chart cleanly, with and without a target kubeconfig and ServiceMonitor", func() {
		Expect(helm("lint", "--strict", chart)).To(ContainSubstring("0 chart(s) failed"))
		for _, set := range [][]string{nil, {"--set", "targetKubeconfig.secretName=target", "--set", "serviceMonitor.enabled=true", "--set", "reseller.enabled=true"}} {
			out := helm(append([]string{"template", "pco", chart, "--namespace", "garden"}, set...)...)
			Expect(out).To(ContainSubstring("kind: Deployment"))
			Expect(out).To(ContainSubstring("readOnlyRootFilesystem: true"))
			Expect(out).To(ContainSubstring("runAsNonRoot: true"))
		}
	})

	It("renders imagePullSecrets, priorityClassName, the PodDisruptionBudgets and the helm test hook", func() {
		out := helm("template", "pco", chart, "--namespace", "garden", "--set", "reseller.enabled=true",
			"--set", "imagePullSecrets[0].name=regcred", "--set", "priorityClassName=system-cluster-critical")
		Expect(strings.Count(out, "- name: regcred")).To(Equal(3), "MCM pod, reseller pod, test pod")
		Expect(strings.Count(out, "priorityClassName: system-cluster-critical")).To(Equal(3))
		Expect(strings.Count(out, "kind: PodDisruptionBudget")).To(Equal(2))
		Expect(out).To(ContainSubstring("helm.sh/hook: test"))
		Expect(out).To(ContainSubstring("- /healthprobe"))
		Expect(helm("template", "pco", chart, "--set", "podDisruptionBudget.enabled=false")).NotTo(ContainSubstring("kind: PodDisruptionBudget"))
	})

	It("refuses values its schema does not allow", func() {
		Expect(helmFails("template", "pco", chart, "--set", "replicaCount=two")).To(ContainSubstring("replicaCount"))
		Expect(helmFails("template", "pco", chart, "--set", "provider.imag.tag=x")).To(ContainSubstring("imag"))
		Expect(helmFails("template", "pco", chart, "--set", "provider.args.machineDrainTimeout=2 hours")).To(ContainSubstring("machineDrainTimeout"))
	})

	It("has appVersion equal to VERSION and image tags v<VERSION>", func() {
		b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "VERSION"))
		Expect(err).NotTo(HaveOccurred())
		Expect(chartAppVersion()).To(Equal(strings.TrimSpace(string(b))), "charts/mcm-provider-pco/Chart.yaml appVersion")
		out := helm("template", "pco", chart, "--set", "reseller.enabled=true")
		for _, image := range []string{"machine-controller", "cluster-registrar", "reseller-controller"} {
			Expect(out).To(ContainSubstring(`image: "ghcr.io/pco-mcm/mcm-provider-pco/` + image + `:v` + chartAppVersion() + `"`))
		}
	})

	It("carries MCM's CRDs as the pinned module has them, kept on uninstall, only when mcm.crds.enabled", func() {
		mcmDir, err := testenv.MCMModuleDir()
		Expect(err).NotTo(HaveOccurred())
		module, err := filepath.Glob(filepath.Join(mcmDir, "kubernetes", "crds", "machine.sapcloud.io_*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(module).NotTo(BeEmpty())
		copies, err := filepath.Glob(filepath.Join(chart, "mcm-crds", "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(copies).To(HaveLen(len(module)))
		for _, m := range module {
			want, err := os.ReadFile(m)
			Expect(err).NotTo(HaveOccurred())
			got, err := os.ReadFile(filepath.Join(chart, "mcm-crds", filepath.Base(m)))
			Expect(err).NotTo(HaveOccurred(), "docs/install.md says how to copy MCM's CRDs after a bump")
			Expect(string(got)).To(Equal(string(want)), "%s differs from the pinned MCM module's; docs/install.md says how to copy it", filepath.Base(m))
		}
		Expect(helm("template", "pco", chart)).NotTo(ContainSubstring("machine.sapcloud.io_"))
		out := helm("template", "pco", chart, "--set", "mcm.crds.enabled=true")
		Expect(strings.Count(out, "kind: CustomResourceDefinition")).To(Equal(len(module)))
		Expect(strings.Count(out, "helm.sh/resource-policy: keep")).To(Equal(len(module)))
	})

	It("refuses a second release with a reseller controller in the same cluster", func(ctx SpecContext) {
		for _, ns := range []string{"reseller-a", "reseller-b"} {
			Expect(stack.CP.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		}
		helm("install", "first", chart, "--namespace", "reseller-a", "--set", "reseller.enabled=true", "--set", "registrar.enabled=false")
		bin, err := testenv.HelmBinary()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			cmd := exec.Command(bin, "uninstall", "first", "--namespace", "reseller-a")
			cmd.Env = append(os.Environ(), "KUBECONFIG="+stack.CP.KubeconfigPath)
			Expect(cmd.Run()).To(Succeed())
		})
		cmd := exec.Command(bin, "install", "second", chart, "--namespace", "reseller-b", "--set", "reseller.enabled=true", "--set", "registrar.enabled=false")
		cmd.Env = append(os.Environ(), "KUBECONFIG="+stack.CP.KubeconfigPath)
		out, err := cmd.CombinedOutput()
		Expect(err).To(HaveOccurred(), "%s", out)
		Expect(string(out)).To(ContainSubstring("a reseller controller already runs in this cluster (Deployment reseller-a/first-mcm-provider-pco-reseller"))
		// Without the reseller controller a second release is fine.
		helm("install", "second", chart, "--namespace", "reseller-b", "--set", "registrar.enabled=false")
		helm("uninstall", "second", "--namespace", "reseller-b")
	})

	It("renders the auth API in both certificate modes and refuses what cannot work", func() {
		certManager := []string{"--set", "authapi.enabled=true", "--set", "authapi.certMode=certManager"}
		Expect(helm(append([]string{"lint", "--strict", chart}, certManager...)...)).To(ContainSubstring("0 chart(s) failed"))
		Expect(helm("template", "pco", chart, "--namespace", "garden")).NotTo(ContainSubstring("authapi"), "off by default")

		// Self-signed: the registrar registers the APIService; the chart has none.
		out := helm("template", "pco", chart, "--namespace", "garden", "--set", "authapi.enabled=true")
		for _, want := range []string{"--authapi-port=8443", "--authapi-register-apiservice",
			"--authapi-apiservice-owner=pco-mcm-provider-pco-authapi-register", "--authapi-service-name=pco-mcm-provider-pco-authapi",
			"name: system:auth-delegator", "name: extension-apiserver-authentication-reader", `resourceNames: ["v1alpha1.auth.registry.pco-mcm.io"]`} {
			Expect(out).To(ContainSubstring(want))
		}
		Expect(out).NotTo(ContainSubstring("kind: APIService"))
		Expect(out).NotTo(ContainSubstring("name: system:authenticated"))

		// cert-manager: Certificate and Issuers, the Secret mounted, the CA injected into the chart's APIService.
		out = helm(append([]string{"template", "pco", chart, "--namespace", "garden", "--set", "replicaCount=2"}, certManager...)...)
		for _, want := range []string{"kind: APIService", "cert-manager.io/inject-ca-from: garden/pco-mcm-provider-pco-authapi-tls",
			"kind: Certificate", "kind: Issuer", "--authapi-cert-dir=/etc/authapi-tls", "secretName: pco-mcm-provider-pco-authapi-tls",
			"- pco-mcm-provider-pco-authapi.garden.svc"} {
			Expect(out).To(ContainSubstring(want))
		}
		Expect(out).NotTo(ContainSubstring("--authapi-register-apiservice"))

		Expect(helmFails("template", "pco", chart, "--set", "authapi.enabled=true", "--set", "replicaCount=2")).To(ContainSubstring("one replica only"))
		Expect(helmFails("template", "pco", chart, "--set", "authapi.enabled=true", "--set", "registrar.enabled=false")).To(ContainSubstring("needs registrar.enabled"))
	})

	It("passes the auth API's watch cap, and with authapi.audit.enabled an audit policy the auth API loads, mounted where its flag points", func() {
		out := helm("template", "pco", chart, "--namespace", "garden", "--set", "authapi.enabled=true")
		Expect(out).To(ContainSubstring("--authapi-max-watches-per-user=10"))
		Expect(out).NotTo(ContainSubstring("--authapi-audit"), "no audit log by default")

		out = helm("template", "pco", chart, "--namespace", "garden", "--set", "authapi.enabled=true",
			"--set", "authapi.audit.enabled=true", "--set", "authapi.maxWatchesPerUser=3")
		var policyYAML string
		var registrar *corev1.Container
		var pod corev1.PodTemplateSpec
		for _, doc := range strings.Split(out, "\n---") {
			var head struct {
				Kind     string
				Metadata struct{ Name string }
			}
			Expect(yaml.Unmarshal([]byte(doc), &head)).To(Succeed())
			switch {
			case head.Kind == "ConfigMap" && head.Metadata.Name == "pco-mcm-provider-pco-authapi-audit":
				var cm corev1.ConfigMap
				Expect(yaml.Unmarshal([]byte(doc), &cm)).To(Succeed())
				policyYAML = cm.Data["policy.yaml"]
			case head.Kind == "Deployment" && head.Metadata.Name == "pco-mcm-provider-pco":
				var d appsv1.Deployment
				Expect(yaml.Unmarshal([]byte(doc), &d)).To(Succeed())
				pod = d.Spec.Template
				for i := range pod.Spec.Containers {
					if pod.Spec.Containers[i].Name == "cluster-registrar" {
						registrar = &pod.Spec.Containers[i]
					}
				}
			}
		}
		policy, err := auditpolicy.LoadPolicyFromBytes([]byte(policyYAML))
		Expect(err).NotTo(HaveOccurred(), "the auth API loads the chart's default policy")
		Expect(policy.Rules).NotTo(BeEmpty())
		Expect(registrar).NotTo(BeNil())
		Expect(registrar.Command).To(ContainElements("--authapi-max-watches-per-user=3",
			"--authapi-audit-policy-file=/etc/authapi-audit/policy.yaml", "--authapi-audit-log-path=-"))
		Expect(registrar.VolumeMounts).To(ContainElement(And(HaveField("Name", "authapi-audit"), HaveField("MountPath", "/etc/authapi-audit"))))
		Expect(pod.Spec.Volumes).To(ContainElement(And(HaveField("Name", "authapi-audit"),
			HaveField("VolumeSource.ConfigMap.Name", "pco-mcm-provider-pco-authapi-audit"))))
		Expect(pod.Annotations).To(HaveKey("checksum/authapi-audit-policy"), "a changed policy rolls the pods")

		Expect(helmFails("template", "pco", chart, "--set", "authapi.enabled=true", "--set", "authapi.maxWatchesPerUser=-2")).To(ContainSubstring("maxWatchesPerUser"))
	})

	It("installs into the real apiserver and creates what it promises", func(ctx SpecContext) {
		ns := "chart-test"
		Expect(stack.CP.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		helm("install", "pco", chart, "--namespace", ns, "--set", "provider.image.tag=test", "--set", "reseller.enabled=true",
			"--set", "authapi.enabled=true", "--set", "authapi.grantAuthenticated=true")
		key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }

		deploy := &appsv1.Deployment{}
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco"), deploy)).To(Succeed())
		containers := deploy.Spec.Template.Spec.Containers
		Expect(containers).To(HaveLen(3), "the reseller controller is not in the MCM pod")
		Expect(containers[2].Name).To(Equal("cluster-registrar"))
		Expect(containers[2].Command).To(ContainElement("--registry-namespace=" + ns))
		// The reseller controller: its own Deployment and ServiceAccount, one replica.
		reseller := &appsv1.Deployment{}
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco-reseller"), reseller)).To(Succeed())
		Expect(*reseller.Spec.Replicas).To(BeEquivalentTo(1))
		Expect(reseller.Spec.Template.Spec.ServiceAccountName).To(Equal("pco-mcm-provider-pco-reseller"))
		Expect(reseller.Spec.Template.Spec.Containers).To(ConsistOf(And(HaveField("Name", "reseller-controller"),
			HaveField("Command", ContainElement("--namespace="+ns)), HaveField("Image", HaveSuffix("/reseller-controller:v"+chartAppVersion())))))
		Expect(metav1.LabelSelectorAsMap(reseller.Spec.Selector)).NotTo(Equal(deploy.Spec.Selector.MatchLabels))
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco"), &policyv1.PodDisruptionBudget{})).To(Succeed())
		Expect(containers[1].Name).To(Equal("machine-controller"))
		Expect(containers[1].Image).To(HaveSuffix(":test"))
		Expect(containers[1].Command).To(ContainElement("--namespace=" + ns))
		Expect(*containers[1].SecurityContext.ReadOnlyRootFilesystem).To(BeTrue())
		Expect(*deploy.Spec.Template.Spec.SecurityContext.RunAsNonRoot).To(BeTrue())
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco"), &corev1.ServiceAccount{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco-control"), &rbacv1.Role{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco-control"), &rbacv1.RoleBinding{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-target"}, &rbacv1.ClusterRole{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "mcm-provider-pco-reseller-controller"}, &rbacv1.ClusterRole{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "projects.pco.plusserver.com"}, &apiextensionsv1.CustomResourceDefinition{})).To(Succeed())
		svc := &corev1.Service{}
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco"), svc)).To(Succeed())
		Expect(svc.Spec.Ports).To(HaveLen(3))
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-registrar"}, &rbacv1.ClusterRole{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "clusterinfos.registry.pco-mcm.io"}, &apiextensionsv1.CustomResourceDefinition{})).To(Succeed())

		// The auth API (self-signed, self-registering): its Service, RBAC and port; no
		// APIService from the chart, so this apiserver, where no pod runs, keeps its discovery.
		Expect(containers[2].Command).To(ContainElements("--authapi-port=8443", "--authapi-register-apiservice",
			"--authapi-service-namespace="+ns, "--authapi-service-name=pco-mcm-provider-pco-authapi"))
		Expect(containers[2].Ports).To(ContainElement(HaveField("Name", "authapi")))
		authSvc := &corev1.Service{}
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco-authapi"), authSvc)).To(Succeed())
		Expect(authSvc.Spec.Ports).To(ConsistOf(HaveField("Port", int32(443))))
		delegator := &rbacv1.ClusterRoleBinding{}
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-authapi-auth-delegator"}, delegator)).To(Succeed())
		Expect(delegator.RoleRef.Name).To(Equal("system:auth-delegator"))
		reader := &rbacv1.RoleBinding{}
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Namespace: "kube-system", Name: "pco-mcm-provider-pco-authapi-auth-reader"}, reader)).To(Succeed())
		Expect(reader.RoleRef.Name).To(Equal("extension-apiserver-authentication-reader"))
		userRole := &rbacv1.ClusterRole{}
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-authapi-user"}, userRole)).To(Succeed())
		Expect(userRole.Rules).To(ConsistOf(HaveField("Resources", ConsistOf("clusteruserauths", "clusters"))))
		userBinding := &rbacv1.ClusterRoleBinding{}
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-authapi-user"}, userBinding)).To(Succeed())
		Expect(userBinding.Subjects).To(ConsistOf(HaveField("Name", "system:authenticated")))
		register := &rbacv1.ClusterRole{}
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-authapi-register"}, register)).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-authapi-register"}, &rbacv1.ClusterRoleBinding{})).To(Succeed())
		apiSvc := &unstructured.Unstructured{}
		apiSvc.SetAPIVersion("apiregistration.k8s.io/v1")
		apiSvc.SetKind("APIService")
		err := stack.CP.Client.Get(ctx, types.NamespacedName{Name: "v1alpha1.auth.registry.pco-mcm.io"}, apiSvc)
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
		// The service account may register the APIService (and nothing else of its kind).
		sa := "system:serviceaccount:" + ns + ":pco-mcm-provider-pco"
		for verb, allowed := range map[string]bool{"create": true, "update": true} {
			review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: sa,
				ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "apiregistration.k8s.io", Resource: "apiservices",
					Verb: verb, Name: "v1alpha1.auth.registry.pco-mcm.io"}}}
			Expect(stack.CP.Client.Create(ctx, review)).To(Succeed())
			Expect(review.Status.Allowed).To(Equal(allowed), verb)
		}
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: sa,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "apiregistration.k8s.io", Resource: "apiservices",
				Verb: "update", Name: "v1beta1.metrics.k8s.io"}}}
		Expect(stack.CP.Client.Create(ctx, review)).To(Succeed())
		Expect(review.Status.Allowed).To(BeFalse())

		helm("uninstall", "pco", "--namespace", ns)
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco"), &appsv1.Deployment{})).NotTo(Succeed())
	})

	It("applies kubernetes/rbac with server-side apply", func(ctx SpecContext) {
		Expect(stack.CP.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "machine-controller"}})).To(Or(Succeed(), MatchError(ContainSubstring("already exists"))))
		files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "kubernetes", "rbac", "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		for _, f := range files {
			b, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			for _, doc := range strings.Split(string(b), "\n---") {
				u := &unstructured.Unstructured{}
				Expect(yaml.Unmarshal([]byte(doc), &u.Object)).To(Succeed())
				if len(u.Object) == 0 {
					continue
				}
				Expect(stack.Apply(ctx, u)).To(Succeed(), f)
			}
		}
	})
})

// chartAppVersion is Chart.yaml's appVersion.
func chartAppVersion() string {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "charts", "mcm-provider-pco", "Chart.yaml"))
	Expect(err).NotTo(HaveOccurred())
	var c struct {
		AppVersion string `json:"appVersion"`
	}
	Expect(yaml.Unmarshal(b, &c)).To(Succeed())
	return c.AppVersion
}
