package integration_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

var _ = Describe("delivery", func() {
	chart := filepath.Join(framework.RepoRoot(), "charts", "mcm-provider-pco")

	helm := func(args ...string) string {
		bin, err := framework.HelmBinary()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+stack.CP.KubeconfigPath, "HELM_CACHE_HOME="+GinkgoT().TempDir(),
			"HELM_CONFIG_HOME="+GinkgoT().TempDir(), "HELM_DATA_HOME="+GinkgoT().TempDir())
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "helm %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}
	helmFails := func(args ...string) string {
		bin, err := framework.HelmBinary()
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

	It("installs into the real apiserver and creates what it promises", func(ctx SpecContext) {
		ns := "chart-test"
		Expect(stack.CP.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		helm("install", "pco", chart, "--namespace", ns, "--set", "provider.image.tag=test", "--set", "reseller.enabled=true",
			"--set", "authapi.enabled=true", "--set", "authapi.grantAuthenticated=true")
		key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }

		deploy := &appsv1.Deployment{}
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco"), deploy)).To(Succeed())
		containers := deploy.Spec.Template.Spec.Containers
		Expect(containers).To(HaveLen(4))
		Expect(containers[2].Name).To(Equal("cluster-registrar"))
		Expect(containers[2].Command).To(ContainElement("--registry-namespace=" + ns))
		Expect(containers[3].Name).To(Equal("reseller-controller"))
		Expect(containers[3].Command).To(ContainElement("--namespace=" + ns))
		Expect(containers[1].Name).To(Equal("machine-controller"))
		Expect(containers[1].Image).To(HaveSuffix(":test"))
		Expect(containers[1].Command).To(ContainElement("--namespace=" + ns))
		Expect(*containers[1].SecurityContext.ReadOnlyRootFilesystem).To(BeTrue())
		Expect(*deploy.Spec.Template.Spec.SecurityContext.RunAsNonRoot).To(BeTrue())
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco"), &corev1.ServiceAccount{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco-control"), &rbacv1.Role{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco-control"), &rbacv1.RoleBinding{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-target"}, &rbacv1.ClusterRole{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "pco-mcm-provider-pco-reseller"}, &rbacv1.ClusterRole{})).To(Succeed())
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Name: "projects.pco.plusserver.com"}, &apiextensionsv1.CustomResourceDefinition{})).To(Succeed())
		svc := &corev1.Service{}
		Expect(stack.CP.Client.Get(ctx, key("pco-mcm-provider-pco"), svc)).To(Succeed())
		Expect(svc.Spec.Ports).To(HaveLen(4))
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
		files, err := filepath.Glob(filepath.Join(framework.RepoRoot(), "kubernetes", "rbac", "*.yaml"))
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
