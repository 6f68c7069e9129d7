package node_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

const (
	ns      = "pco-e2e"
	release = "pco"
)

var _ = Describe("the chart on a real node", Ordered, func() {
	var (
		ctx      context.Context
		stack    *framework.Stack // the node cluster as the control cluster, and the simulator
		target   *envtest.Environment
		sim      *ossim.Sim
		chart    = filepath.Join(testenv.RepoRoot(), "charts", "mcm-provider-pco")
		values   []string
		measured = map[string]time.Duration{}
	)

	helm := func(args ...string) string {
		GinkgoHelper()
		bin, err := testenv.HelmBinary()
		Expect(err).NotTo(HaveOccurred())
		cmd := exec.Command(bin, args...)
		dir := GinkgoT().TempDir()
		cmd.Env = append(os.Environ(), "KUBECONFIG="+nodeEnv["KUBECONFIG"], "HELM_CACHE_HOME="+dir, "HELM_CONFIG_HOME="+dir, "HELM_DATA_HOME="+dir)
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "helm %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}
	kubectl := func(args ...string) string {
		out, _ := exec.Command(nodeEnv["KUBECTL"], append([]string{"--kubeconfig", nodeEnv["KUBECONFIG"]}, args...)...).CombinedOutput()
		return string(out)
	}
	// pods of the release (the MCM pod and the reseller controller's), by name.
	pods := func() []corev1.Pod {
		GinkgoHelper()
		var list corev1.PodList
		Expect(stack.CP.Client.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels{"app.kubernetes.io/instance": release})).To(Succeed())
		return slices.DeleteFunc(list.Items, func(p corev1.Pod) bool { return p.Labels["app.kubernetes.io/component"] == "test" })
	}
	// providerIDs of the Machines, sorted; serverPosts counts the simulator's server creations.
	providerIDs := func() []string {
		GinkgoHelper()
		machines, err := stack.Machines(ctx)
		Expect(err).NotTo(HaveOccurred())
		var ids []string
		for _, m := range machines {
			ids = append(ids, m.Spec.ProviderID)
		}
		slices.Sort(ids)
		return ids
	}
	serverPosts := func() int { return sim.Counts().Get("compute POST /servers") }
	running := func() int {
		n, err := stack.RunningMachines(ctx)
		Expect(err).NotTo(HaveOccurred())
		return n
	}
	diagnose := func() {
		if !CurrentSpecReport().Failed() {
			return
		}
		GinkgoWriter.Println(kubectl("get", "pods,deploy,machines,machinesets,machinedeployments", "-A", "-o", "wide"))
		GinkgoWriter.Println(kubectl("-n", ns, "describe", "pods"))
		GinkgoWriter.Printf("--- helm test pod\n%s\n", tail(kubectl("-n", ns, "logs", "pco-mcm-provider-pco-test-health"), 20))
		for _, p := range pods() {
			for _, c := range p.Spec.Containers {
				GinkgoWriter.Printf("--- logs %s/%s\n%s\n", p.Name, c.Name, tail(kubectl("-n", ns, "logs", p.Name, "-c", c.Name), 40))
			}
		}
	}

	BeforeAll(func() {
		ctx = context.Background()
		nodeIP := nodeEnv["NODE_IP"]
		var err error
		// The simulator on the node's address: the pods reach it through the pod network.
		sim, err = ossim.Start(ossim.Options{Addr: nodeIP + ":0"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)

		// The target cluster the machines join: a second kube-apiserver on the node's address.
		assets, err := testenv.EnvtestAssets()
		Expect(err).NotTo(HaveOccurred())
		target = &envtest.Environment{BinaryAssetsDirectory: assets}
		port, err := framework.FreePort()
		Expect(err).NotTo(HaveOccurred())
		// Both set, or envtest picks a loopback address of its own.
		target.ControlPlane.GetAPIServer().SecureServing.Address = nodeIP
		target.ControlPlane.GetAPIServer().SecureServing.Port = strconv.Itoa(port)
		targetCfg, err := target.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(target.Stop)
		admin, err := target.AddUser(envtest.User{Name: "pco-target-admin", Groups: []string{"system:masters"}}, nil)
		Expect(err).NotTo(HaveOccurred())
		targetKubeconfig, err := admin.KubeConfig()
		Expect(err).NotTo(HaveOccurred())

		// The node cluster is MCM's control cluster.
		restCfg, err := clientcmd.BuildConfigFromFlags("", nodeEnv["KUBECONFIG"])
		Expect(err).NotTo(HaveOccurred())
		scheme := runtime.NewScheme()
		Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
		Expect(mcmv1alpha1.AddToScheme(scheme)).To(Succeed())
		Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
		cl, err := client.New(restCfg, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		cs, err := kubernetes.NewForConfig(restCfg)
		Expect(err).NotTo(HaveOccurred())
		stack = &framework.Stack{Opts: framework.StackOptions{Namespace: ns}, Sim: sim, Cloud: framework.SimCloud(sim),
			CP: &testenv.ControlPlane{Config: restCfg, KubeconfigPath: nodeEnv["KUBECONFIG"], Client: cl, Clientset: cs, Scheme: scheme}}

		Expect(cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		Expect(cl.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "target-kubeconfig"},
			Data: map[string][]byte{"kubeconfig": targetKubeconfig}})).To(Succeed())

		// The node simulator plays the machines' kubelets in the target.
		targetCS, err := kubernetes.NewForConfig(targetCfg)
		Expect(err).NotTo(HaveOccurred())
		nodesCtx, stopNodes := context.WithCancel(context.Background())
		DeferCleanup(stopNodes)
		go (&framework.NodeSimulator{Cloud: stack.Cloud, Client: targetCS, Region: sim.Seed().Region}).Run(nodesCtx)

		repo, tag := nodeEnv["PCO_E2E_IMAGE_REPO"], nodeEnv["PCO_E2E_IMAGE_TAG"]
		values = []string{"--namespace", ns, "--wait", "--timeout", "5m",
			"--set", "mcm.crds.enabled=true", "--set", "reseller.enabled=true",
			"--set", "targetKubeconfig.secretName=target-kubeconfig",
			"--set", "provider.extraArgs={--pco-poll-interval=250ms,--pco-max-poll-interval=1s}"}
		for key, image := range map[string]string{"mcm": "machine-controller-manager", "provider": "machine-controller",
			"registrar": "cluster-registrar", "reseller": "reseller-controller"} {
			values = append(values, "--set", key+".image.repository="+repo+"/"+image, "--set", key+".image.tag="+tag,
				"--set", key+".image.pullPolicy=Never")
		}
		DeferCleanup(func() {
			// Whatever happened: no release, no namespace left in the node cluster.
			bin, _ := testenv.HelmBinary()
			_ = exec.Command(bin, "uninstall", release, "--namespace", ns, "--wait", "--kubeconfig", nodeEnv["KUBECONFIG"]).Run()
			// With MCM gone nothing removes its finalizers; the namespace would stay Terminating.
			removeFinalizers(cl)
			_ = cl.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
			for k, v := range measured {
				fmt.Fprintf(GinkgoWriter, "E2E-NODE %s=%.1fs\n", k, v.Seconds())
			}
		})
	})
	AfterEach(diagnose)

	It("installs: the MCM pod with our sidecars and the reseller controller run from the local images as 65532", func() {
		start := time.Now()
		helm(append([]string{"install", release, chart}, values...)...)
		measured["install_to_ready"] = time.Since(start)
		ps := pods()
		Expect(ps).To(HaveLen(2))
		images := map[string]string{}
		for _, p := range ps {
			Expect(p.Status.Phase).To(Equal(corev1.PodRunning), p.Name)
			Expect(*p.Spec.SecurityContext.RunAsUser).To(BeEquivalentTo(65532))
			for _, c := range p.Status.ContainerStatuses {
				Expect(c.State.Running).NotTo(BeNil(), "%s/%s: %+v", p.Name, c.Name, c.State)
				Expect(c.Ready).To(BeTrue(), "%s/%s", p.Name, c.Name)
				images[c.Name] = c.Image
			}
		}
		repo, tag := nodeEnv["PCO_E2E_IMAGE_REPO"], nodeEnv["PCO_E2E_IMAGE_TAG"]
		Expect(images).To(Equal(map[string]string{
			"machine-controller-manager": repo + "/machine-controller-manager:" + tag,
			"machine-controller":         repo + "/machine-controller:" + tag,
			"cluster-registrar":          repo + "/cluster-registrar:" + tag,
			"reseller-controller":        repo + "/reseller-controller:" + tag,
		}))
		// MCM's CRDs came from the chart (mcm.crds.enabled).
		crd := &apiextensionsv1.CustomResourceDefinition{}
		Expect(stack.CP.Client.Get(ctx, client.ObjectKey{Name: "machines.machine.sapcloud.io"}, crd)).To(Succeed())
		Expect(crd.Annotations).To(HaveKeyWithValue("meta.helm.sh/release-name", release))
	})

	It("brings a MachineDeployment of 3 to Running against the simulator", func() {
		objs, err := stack.ExampleObjects()
		Expect(err).NotTo(HaveOccurred())
		start := time.Now()
		Expect(stack.Apply(ctx, objs...)).To(Succeed())
		Eventually(running).WithTimeout(4 * time.Minute).WithPolling(time.Second).Should(Equal(3))
		measured["machines_running"] = time.Since(start)
		Expect(stack.ActiveServers()).To(Equal(3))
		Expect(serverPosts()).To(Equal(3))
	})

	It("passes helm test", func() {
		out := helm("test", release, "--namespace", ns, "--timeout", "3m")
		Expect(out).To(ContainSubstring("Phase:          Succeeded"))
	})

	It("is refused nothing by RBAC: no container logged a forbidden request", func() {
		for _, p := range pods() {
			for _, c := range p.Spec.Containers {
				logs := kubectl("-n", ns, "logs", p.Name, "-c", c.Name)
				Expect(logs).NotTo(BeEmpty())
				Expect(logs).NotTo(ContainSubstring("forbidden"), "%s/%s", p.Name, c.Name)
			}
		}
	})

	It("rolls the MCM pod on an upgrade with a changed value and keeps every machine", func() {
		before, posts := providerIDs(), serverPosts()
		Expect(before).To(HaveLen(3))
		old := map[string]bool{}
		for _, p := range pods() {
			old[p.Name] = true
		}
		start := time.Now()
		helm(append([]string{"upgrade", release, chart, "--set", "provider.args.verbosity=4"}, values...)...)
		// The rolled pod is Running with the new flag; the old one is gone.
		Eventually(func(g Gomega) {
			var rolled int
			for _, p := range pods() {
				g.Expect(p.DeletionTimestamp).To(BeNil(), p.Name)
				if p.Labels["app.kubernetes.io/component"] == "" && !old[p.Name] {
					g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
					g.Expect(p.Spec.Containers[1].Command).To(ContainElement("--v=4"))
					rolled++
				}
			}
			g.Expect(rolled).To(Equal(1))
		}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
		measured["upgrade_rolled"] = time.Since(start)
		// The new controllers have taken over and agree: same machines, no new server.
		Consistently(func(g Gomega) {
			g.Expect(running()).To(Equal(3))
			g.Expect(providerIDs()).To(Equal(before))
		}).WithTimeout(20 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
		Expect(serverPosts()).To(Equal(posts))
		Expect(stack.ActiveServers()).To(Equal(3))
	})

	It("leaves no pod after helm uninstall, and the servers stay until the MachineDeployment is deleted", func() {
		ids, posts := providerIDs(), serverPosts()
		helm("uninstall", release, "--namespace", ns, "--wait")
		Eventually(pods).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(BeEmpty())
		Expect(stack.ActiveServers()).To(Equal(3), "uninstalling the chart must not delete servers")
		// MCM's CRDs were kept (helm.sh/resource-policy: keep), so the Machines are still there.
		Expect(providerIDs()).To(Equal(ids))

		// Installed again, it adopts the same machines and creates no server.
		helm(append([]string{"install", release, chart}, values...)...)
		Consistently(func(g Gomega) {
			g.Expect(running()).To(Equal(3))
			g.Expect(providerIDs()).To(Equal(ids))
		}).WithTimeout(15 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
		Expect(serverPosts()).To(Equal(posts))

		// Deleting the MachineDeployment is what deletes the servers.
		md := &mcmv1alpha1.MachineDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: machineDeploymentName()}}
		Expect(stack.CP.Client.Delete(ctx, md)).To(Succeed())
		Eventually(func() int { return len(sim.Servers()) }).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(BeZero())
		Eventually(providerIDs).WithTimeout(time.Minute).Should(BeEmpty())
		helm("uninstall", release, "--namespace", ns, "--wait")
		Eventually(pods).WithTimeout(2 * time.Minute).Should(BeEmpty())
	})
})

// removeFinalizers clears the finalizers of the MCM objects and Secrets left in the namespace.
func removeFinalizers(cl client.Client) {
	ctx := context.Background()
	lists := []client.ObjectList{&mcmv1alpha1.MachineList{}, &mcmv1alpha1.MachineSetList{}, &mcmv1alpha1.MachineDeploymentList{},
		&mcmv1alpha1.MachineClassList{}, &corev1.SecretList{}}
	for _, list := range lists {
		if err := cl.List(ctx, list, client.InNamespace(ns)); err != nil {
			continue
		}
		_ = meta.EachListItem(list, func(o runtime.Object) error {
			obj := o.(client.Object)
			if len(obj.GetFinalizers()) > 0 {
				patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
				obj.SetFinalizers(nil)
				_ = cl.Patch(ctx, obj, patch)
			}
			return nil
		})
	}
}

// machineDeploymentName is the name of the MachineDeployment in kubernetes/examples.
func machineDeploymentName() string {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "kubernetes", "examples", "machine-deployment.yaml"))
	Expect(err).NotTo(HaveOccurred())
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "  name: "); ok {
			return strings.TrimSpace(name)
		}
	}
	Fail("no metadata.name in kubernetes/examples/machine-deployment.yaml")
	return ""
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
