package integration_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
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

	It("lints and renders the chart cleanly, with and without a target kubeconfig and ServiceMonitor", func() {
		Expect(helm("lint", "--strict", chart)).To(ContainSubstring("0 chart(s) failed"))
		for _, set := range [][]string{nil, {"--set", "targetKubeconfig.secretName=target", "--set", "serviceMonitor.enabled=true", "--set", "reseller.enabled=true"}} {
			out := helm(append([]string{"template", "pco", chart, "--namespace", "garden"}, set...)...)
			Expect(out).To(ContainSubstring("kind: Deployment"))
			Expect(out).To(ContainSubstring("readOnlyRootFilesystem: true"))
			Expect(out).To(ContainSubstring("runAsNonRoot: true"))
		}
	})

	It("installs into the real apiserver and creates what it promises", func(ctx SpecContext) {
		ns := "chart-test"
		Expect(stack.CP.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		helm("install", "pco", chart, "--namespace", ns, "--set", "provider.image.tag=test", "--set", "reseller.enabled=true")
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
