package integration_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

// The Gardener sidecar specs run our binary as gardener-extension-provider-openstack v1.57.0's
// control-plane webhook injects it: the container's exact arguments (testdata), inClusterConfig
// from a service account token and the generic target kubeconfig at the paths Gardener mounts
// (in a private mount namespace, so nothing on the machine changes), its fixed port 10259, and a
// MachineClass the extension's chart renders (test/gardener/testdata/rendered). An MCM core of
// its own watches the Shoot's control namespace, as in a seed.
var _ = Describe("Gardener's injected provider sidecar (extension v1.57.0)", Ordered, func() {
	const (
		ns         = "shoot--dev--gardener"
		deployment = "shoot--dev--gardener-cpu-z1"
		replicas   = 2
	)
	var (
		container  corev1.Container
		providerBn string
		dir        string
		mcm        *framework.Process
		sidecar    *framework.Process
		port       int
	)

	BeforeAll(func(ctx SpecContext) {
		simulatorOnly() // the rendered class names the simulator's flavor and image
		raw, err := os.ReadFile(filepath.Join("testdata", "gardener-sidecar-openstack.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.UnmarshalStrict(raw, &container)).To(Succeed())
		Expect(container.Name).To(Equal("machine-controller-manager-openstack"))
		Expect(container.Env).To(BeEmpty())
		port = int(container.Ports[0].ContainerPort)
		Expect(container.Args).To(ContainElement("--port=" + strconv.Itoa(port)))
		Expect(container.Args).To(ContainElement("--namespace=" + ns))

		ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		Expect(err).NotTo(HaveOccurred(), "the sidecar's fixed port %d must be free on this machine", port)
		Expect(ln.Close()).To(Succeed())

		dir = GinkgoT().TempDir()
		var mcmBin string
		mcmBin, providerBn, err = framework.BuildBinaries(filepath.Join(stack.Opts.Dir, "bin"))
		Expect(err).NotTo(HaveOccurred())
		files := gardenerPodFiles(ctx, ns, dir)

		mcmPort, err := framework.FreePort()
		Expect(err).NotTo(HaveOccurred())
		// Logs go to the stack's folder, where the suite's secret scan reads every *.log.
		mcm, err = framework.StartProcess("gardener-machine-controller-manager", stack.Opts.Dir, mcmBin,
			"--control-kubeconfig="+stack.CP.KubeconfigPath, "--target-kubeconfig="+stack.CP.KubeconfigPath,
			"--namespace="+ns, "--leader-elect=false", "--address=127.0.0.1", fmt.Sprintf("--port=%d", mcmPort),
			"--safety-up=2", "--safety-down=1")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(mcm.Stop)

		// sh lays Gardener's mounts out in the private mount namespace, then execs our binary with
		// exactly the container's arguments.
		script := `set -e
run="$(readlink -f /var/run)"
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$run"
mkdir -p "$run/secrets/kubernetes.io" "$run/secrets/gardener.cloud/shoot"
cp -r "$PCO_FILES/serviceaccount" "$run/secrets/kubernetes.io/serviceaccount"
cp -r "$PCO_FILES/generic-kubeconfig" "$run/secrets/gardener.cloud/shoot/generic-kubeconfig"
exec "$@"`
		args := append([]string{"--mount", "--propagation", "private", "--", "env",
			"KUBERNETES_SERVICE_HOST=" + files.host, "KUBERNETES_SERVICE_PORT=" + files.port, "PCO_FILES=" + files.dir,
			"sh", "-c", script, "sh", providerBn}, container.Args...)
		sidecar, err = framework.StartProcess("gardener-sidecar", stack.Opts.Dir, "unshare", args...)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sidecar.Stop)
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() && sidecar != nil {
			AddReportEntry("gardener sidecar log", sidecar.Tail(6000))
			AddReportEntry("gardener machine-controller-manager log", mcm.Tail(3000))
		}
	})

	It("serves the container's liveness probe (/healthz on port 10259) with Gardener's arguments", func(ctx SpecContext) {
		probe := container.LivenessProbe.HTTPGet
		Expect(probe.Port).To(Equal(intstr.FromInt32(int32(port))))
		Eventually(func() (int, error) {
			if !sidecar.Running() {
				StopTrying("the sidecar exited:\n" + sidecar.Tail(3000)).Now()
			}
			return httpStatus(ctx, fmt.Sprintf("http://127.0.0.1:%d%s", port, probe.Path))
		}).WithTimeout(time.Minute).WithPolling(250 * time.Millisecond).Should(Equal(http.StatusOK))
	})

	It("brings the extension-rendered MachineClass's machines to Running, one server each, with the pool's node labels and taints", func(ctx SpecContext) {
		Expect(applyRenderedClass(ctx, ns, filepath.Join(testenv.RepoRoot(), "test", "gardener", "testdata", "rendered", "name-pinned-subnet.yaml"))).To(Succeed())
		classes := &mcmv1alpha1.MachineClassList{}
		Expect(stack.CP.Client.List(ctx, classes, client.InNamespace(ns))).To(Succeed())
		Expect(classes.Items).To(HaveLen(1))
		Expect(stack.CP.Client.Create(ctx, gardenerMachineDeployment(ns, deployment, classes.Items[0].Name, replicas))).To(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(sidecar.Running()).To(BeTrue(), "the sidecar exited:\n%s", sidecar.Tail(3000))
			list := &mcmv1alpha1.MachineList{}
			g.Expect(stack.CP.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			running := 0
			for _, m := range list.Items {
				if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning {
					running++
				}
			}
			g.Expect(running).To(Equal(replicas))
		}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
		servers := 0
		for _, srv := range stack.Sim.Servers() {
			if srv.Metadata["kubernetes.io-cluster-shoot--dev--gardener"] == "1" {
				servers++
			}
		}
		Expect(servers).To(Equal(replicas), "one server per machine, none twice")

		// The pool's labels and taints reach the Nodes through the MachineDeployment, not the class.
		Eventually(func(g Gomega) {
			list := &mcmv1alpha1.MachineList{}
			g.Expect(stack.CP.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			for _, m := range list.Items {
				node := &corev1.Node{}
				g.Expect(stack.CP.Client.Get(ctx, client.ObjectKey{Name: m.Labels["node"]}, node)).To(Succeed())
				g.Expect(node.Labels).To(HaveKeyWithValue("worker.gardener.cloud/team", "web"))
				g.Expect(node.Spec.Taints).To(ContainElement(HaveField("Key", "dedicated")))
			}
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
	})

	It("moves MCM's mcm_cloud_api_* metrics on the sidecar's /metrics after creates and deletes", func(ctx SpecContext) {
		Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
			md := &mcmv1alpha1.MachineDeployment{}
			if err := stack.CP.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: deployment}, md); err != nil {
				return err
			}
			md.Spec.Replicas = 0
			return stack.CP.Client.Update(ctx, md)
		})).To(Succeed())
		Eventually(func(g Gomega) {
			list := &mcmv1alpha1.MachineList{}
			g.Expect(stack.CP.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			g.Expect(list.Items).To(BeEmpty())
		}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())

		body, err := httpBody(ctx, fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		Expect(err).NotTo(HaveOccurred())
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "mcm_cloud_api_") && !strings.Contains(line, "_bucket{") {
				GinkgoWriter.Println(line)
			}
		}
		Expect(sample(body, `mcm_cloud_api_requests_total{provider="openstack",service="nova"}`)).To(BeNumerically(">=", 2*replicas))
		Expect(sample(body, `mcm_cloud_api_requests_total{provider="openstack",service="neutron"}`)).To(BeNumerically(">=", 1))
		Expect(sample(body, `mcm_cloud_api_api_request_duration_seconds_count{provider="openstack",service="nova"}`)).To(BeNumerically(">=", 2*replicas))
		// MCM may call CreateMachine again for a machine whose provider ID it has not stored yet; the
		// driver then finds the server it made, so a create counts at least once per machine.
		Expect(sample(body, `mcm_cloud_api_driver_request_duration_seconds_count{operation="CreateMachine",provider="openstack"}`)).To(BeNumerically(">=", replicas))
		Expect(sample(body, `mcm_cloud_api_driver_request_duration_seconds_count{operation="DeleteMachine",provider="openstack"}`)).To(BeNumerically(">=", replicas))
		// MCM asks for the status of a machine it has not created yet: NotFound (5) is counted failed.
		Expect(sample(body, `mcm_cloud_api_driver_requests_failed_total{error_code="5",operation="GetMachineStatus",provider="openstack"}`)).To(BeNumerically(">=", replicas))
		Expect(body).To(ContainSubstring(`pco_driver_calls_total{code="OK",method="CreateMachine"}`))
	})

	It("refuses a flag MCM v0.62.1 does not know with exit code 2 and one line naming docs/gardener.md", func(ctx SpecContext) {
		args := append(append([]string{}, container.Args...), "--machine-future-flag=true")
		cmd := exec.CommandContext(ctx, providerBn, args...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		Expect(errors.As(err, &exit)).To(BeTrue(), "exits with an error: %v", err)
		Expect(exit.ExitCode()).To(Equal(2))
		Expect(string(out)).To(HavePrefix("machine-controller: unknown flag: --machine-future-flag\n"))
		Expect(string(out)).To(ContainSubstring("docs/gardener.md"))
		Expect(strings.Count(string(out), "\n")).To(Equal(2), "no usage dump: %s", out)
	})
})

// podFiles is what a pod of the MCM Deployment sees: the service account files and Gardener's
// generic kubeconfig, under dir, and the API server that KUBERNETES_SERVICE_* name.
type podFiles struct{ dir, host, port string }

// gardenerPodFiles makes the MCM service account (bound to cluster-admin: RBAC is not under test
// here), requests its token as the kubelet would, and writes the files a seed pod mounts.
func gardenerPodFiles(ctx context.Context, ns, dir string) podFiles {
	GinkgoHelper()
	c := stack.CP.Client
	Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "machine-controller-manager", Namespace: ns}}
	Expect(c.Create(ctx, sa)).To(Succeed())
	Expect(c.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "pco-gardener-mcm"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: ns}},
	})).To(Succeed())
	tr, err := stack.CP.Clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa.Name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())

	files := podFiles{dir: filepath.Join(dir, "pod")}
	saDir := filepath.Join(files.dir, "serviceaccount")
	kcDir := filepath.Join(files.dir, "generic-kubeconfig")
	Expect(os.MkdirAll(saDir, 0o700)).To(Succeed())
	Expect(os.MkdirAll(kcDir, 0o700)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(saDir, "token"), []byte(tr.Status.Token), 0o600)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(saDir, "ca.crt"), stack.CP.Config.CAData, 0o600)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(saDir, "namespace"), []byte(ns), 0o600)).To(Succeed())
	kubeconfig, err := os.ReadFile(stack.CP.KubeconfigPath)
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(filepath.Join(kcDir, "kubeconfig"), kubeconfig, 0o600)).To(Succeed())

	u := strings.TrimPrefix(strings.TrimPrefix(stack.CP.Config.Host, "https://"), "http://")
	files.host, files.port, err = net.SplitHostPort(u)
	Expect(err).NotTo(HaveOccurred())
	return files
}

// applyRenderedClass creates the Secrets and MachineClass the extension's chart rendered, with the
// SIM_* placeholders bound to the simulator, plus the Shoot's cloudprovider credentials Secret.
func applyRenderedClass(ctx context.Context, ns, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	seed := stack.Sim.Seed()
	text := strings.NewReplacer("SIM_NETWORK_ID", seed.NetworkID, "SIM_SUBNET_ID", seed.SubnetID,
		"SIM_KEY_NAME", seed.KeyName, "SIM_NODES_SG", seed.SecurityGroupName).Replace(string(raw))
	if left := regexp.MustCompile(`SIM_[A-Z_]+`).FindString(text); left != "" {
		return fmt.Errorf("%s: placeholder %s has no value here", path, left)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := mcmv1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	for _, doc := range strings.Split(text, "\n---\n") {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) == "" {
			continue
		}
		obj, _, err := decoder.Decode([]byte(doc), nil, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := stack.CP.Client.Create(ctx, obj.(client.Object)); err != nil {
			return err
		}
	}
	return stack.CP.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cloudprovider", Namespace: ns},
		Data: map[string][]byte{
			"authURL": []byte(stack.Sim.AuthURL()), "domainName": []byte(seed.DomainName), "tenantName": []byte(seed.ProjectName),
			"username": []byte(seed.Username), "password": []byte(seed.Password),
		}})
}

// gardenerMachineDeployment is the MachineDeployment gardener's worker actuator makes for a pool:
// the pool's labels and taints go to the nodes through the node template, not to the class.
func gardenerMachineDeployment(ns, name, class string, replicas int32) *mcmv1alpha1.MachineDeployment {
	labels := map[string]string{"name": name}
	return &mcmv1alpha1.MachineDeployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"worker.gardener.cloud/pool": "cpu"}},
		Spec: mcmv1alpha1.MachineDeploymentSpec{
			Replicas: replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: mcmv1alpha1.MachineDeploymentStrategy{Type: mcmv1alpha1.RollingUpdateMachineDeploymentStrategyType,
				RollingUpdate: &mcmv1alpha1.RollingUpdateMachineDeployment{UpdateConfiguration: mcmv1alpha1.UpdateConfiguration{
					MaxSurge: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(0))}}},
			Template: mcmv1alpha1.MachineTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: mcmv1alpha1.MachineSpec{
					Class: mcmv1alpha1.ClassSpec{Kind: "MachineClass", Name: class},
					NodeTemplateSpec: mcmv1alpha1.NodeTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"worker.gardener.cloud/pool": "cpu", "worker.gardener.cloud/team": "web"}},
						Spec:       corev1.NodeSpec{Taints: []corev1.Taint{{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule}}},
					},
				},
			},
		},
	}
}

func httpStatus(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func httpBody(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// sample is the value of one series in a Prometheus text exposition; -1 when it is absent.
func sample(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}
