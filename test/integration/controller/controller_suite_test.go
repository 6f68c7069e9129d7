// Package controller_test runs MCM's own provider integration-test framework
// (pkg/test/integration/common of the pinned machine-controller-manager module, the suite
// gardener's providers run against real clouds) against our machine-controller, MCM's core
// controller, a real kube-apiserver and the OpenStack simulator.
//
// The framework expects what a provider repository has: this package three levels below the
// root, `make start` in the root (our machine-controller), MCM's repository in dev/mcm with its
// own `make start` and kubernetes/crds, .ci/controllers-test/machine-class-patch.json, and its
// settings in environment variables that it reads when the test binary starts. So TestMain
// prepares the cloud, the control plane, the node simulator and those files, then runs the
// specs in a child process of the same test binary with the environment set, and tears
// everything down afterwards.
//
// The framework kills every process on the machine whose command line starts with
// "machine-controller --control-kubeconfig" or "machine-controller-manager --control-kubeconfig"
// (its stopMCM), so it must never run next to the other integration tests or the demo: it only
// runs when PCO_MCM_FRAMEWORK=1 is set (make integration-mcm, run by make test after the rest).
package controller_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/test/integration/common"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

const (
	enableEnv = "PCO_MCM_FRAMEWORK"
	childEnv  = "PCO_MCM_FRAMEWORK_CHILD"
	namespace = "mcm-it"
	// clusterName is the framework's TARGET_CLUSTER_NAME; the MachineClasses carry its cluster tag.
	clusterName = "shoot--pco--it"
)

var tracker = &framework.ResourcesTracker{}

// The framework's own polling: 240 s per step is ample against the simulator (a machine takes
// about 2 s), 1 s between probes.
var commons = common.NewIntegrationTestFramework(tracker, 240, 1)

var _ = BeforeSuite(commons.SetupBeforeSuite)

var _ = AfterSuite(commons.Cleanup)

var _ = Describe("MCM provider integration-test framework", func() {
	commons.BeforeEachCheck()
	commons.ControllerTests()
})

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() && len(tracker.Last) > 0 {
		AddReportEntry("orphans", strings.Join(tracker.Last, "\n"))
	}
})

func TestController(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "MCM provider integration-test framework (real kube-apiserver, MCM and machine-controller, simulator)")
}

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(childEnv) == "1":
		os.Exit(m.Run())
	case os.Getenv(enableEnv) != "1":
		fmt.Printf("skipping MCM's integration-test framework: set %s=1 (make integration-mcm); it kills every machine-controller on this machine, so it runs alone\n", enableEnv)
		os.Exit(0)
	}
	code, err := runWithStack()
	if err != nil {
		fmt.Fprintln(os.Stderr, "MCM integration-test framework:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// runWithStack prepares everything the framework expects and runs the specs in a child process.
func runWithStack() (int, error) {
	root := testenv.RepoRoot()
	dir, err := os.MkdirTemp("", "pco-mcm-framework-")
	if err != nil {
		return 0, err
	}
	fmt.Println("MCM framework: work dir", dir)

	mcmBin, providerBin, err := framework.BuildBinaries(filepath.Join(dir, "bin"))
	if err != nil {
		return 0, err
	}
	sim, err := ossim.Start(ossim.Options{BuildTime: 500 * time.Millisecond, DeleteTime: 100 * time.Millisecond})
	if err != nil {
		return 0, err
	}
	defer sim.Close()
	cp, err := testenv.StartControlPlane(dir)
	if err != nil {
		return 0, err
	}
	defer func() { _ = cp.Stop() }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := cp.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		return 0, err
	}
	if err := createSecret(ctx, cp, sim); err != nil {
		return 0, err
	}
	v1, v2, err := writeMachineClasses(dir, sim)
	if err != nil {
		return 0, err
	}
	mcmDir := filepath.Join(root, "dev", "mcm")
	if err := writeMCMShim(mcmDir, mcmBin); err != nil {
		return 0, err
	}
	defer os.RemoveAll(filepath.Join(root, "dev"))
	if err := os.MkdirAll(filepath.Join(root, ".ci", "controllers-test", "logs"), 0o750); err != nil {
		return 0, err
	}
	providerPort, err := framework.FreePort()
	if err != nil {
		return 0, err
	}

	nodes := &framework.NodeSimulator{Cloud: framework.SimCloud(sim), Client: cp.Clientset, Region: sim.Seed().Region}
	go nodes.Run(ctx)

	child := exec.Command(os.Args[0], os.Args[1:]...)
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	child.Env = append(os.Environ(),
		childEnv+"=1",
		"CONTROL_KUBECONFIG="+cp.KubeconfigPath,
		"TARGET_KUBECONFIG="+cp.KubeconfigPath,
		"CONTROL_CLUSTER_NAMESPACE="+namespace,
		"TARGET_CLUSTER_NAME="+clusterName,
		"MACHINECLASS_V1="+v1,
		"MACHINECLASS_V2="+v2,
		// Read by our Makefile's start target, which the framework runs.
		"MACHINE_CONTROLLER="+providerBin,
		fmt.Sprintf("START_ARGS=--address=127.0.0.1 --port=%d --machine-creation-timeout=5m --machine-safety-orphan-vms-period=30s --pco-poll-interval=250ms --pco-max-poll-interval=1s --v=3", providerPort),
	)
	err = child.Run()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		fmt.Printf("MCM framework: controller logs in %s\n", filepath.Join(root, ".ci", "controllers-test", "logs"))
		return exit.ExitCode(), nil
	}
	return 0, err
}

// createSecret makes the Secret both MachineClasses use: the simulator's seeded user.
func createSecret(ctx context.Context, cp *testenv.ControlPlane, sim *ossim.Sim) error {
	seed := sim.Seed()
	_, err := cp.Clientset.CoreV1().Secrets(namespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "test-mc-secret", Namespace: namespace},
		StringData: map[string]string{
			"authURL": sim.AuthURL(), "domainName": seed.DomainName, "tenantName": seed.ProjectName,
			"username": seed.Username, "password": seed.Password,
			"userData": "#cloud-config\n",
		},
	}, metav1.CreateOptions{})
	return err
}

// writeMachineClasses writes test-mc-v1 (a flavor with a local root disk) and test-mc-v2 (a
// diskless SCS flavor, so its machines boot from a Cinder volume the tracker must see go away).
func writeMachineClasses(dir string, sim *ossim.Sim) (v1, v2 string, err error) {
	seed := sim.Seed()
	class := func(name, flavor string, rootDisk int) string {
		disk := ""
		if rootDisk > 0 {
			disk = fmt.Sprintf("    rootDiskSize: %d\n", rootDisk)
		}
		return fmt.Sprintf(`apiVersion: machine.sapcloud.io/v1alpha1
kind: MachineClass
metadata:
  name: %s
  namespace: %s
provider: OpenStack
secretRef:
  name: test-mc-secret
  namespace: %s
credentialsSecretRef:
  name: test-mc-secret
  namespace: %s
providerSpec:
  apiVersion: openstack.machine.gardener.cloud/v1alpha1
  kind: MachineProviderConfig
  spec:
    region: %s
    availabilityZone: nova
    flavorName: %s
%s    imageName: %s
    keyName: %s
    networkID: %s
    securityGroups:
    - %s
    podNetworkCIDRs:
    - 100.96.0.0/11
    tags:
      kubernetes.io-cluster-%s: "1"
      kubernetes.io-role-node: "1"
`, name, namespace, namespace, namespace, seed.Region, flavor, disk, seed.ImageName, seed.KeyName, seed.NetworkID, seed.SecurityGroupName, clusterName)
	}
	v1, v2 = filepath.Join(dir, "test-mc-v1.yaml"), filepath.Join(dir, "test-mc-v2.yaml")
	if err := os.WriteFile(v1, []byte(class("test-mc-v1", "SCS-2V-4-20s", 0)), 0o600); err != nil {
		return "", "", err
	}
	return v1, v2, os.WriteFile(v2, []byte(class("test-mc-v2", "SCS-2V-4", 20)), 0o600)
}

// writeMCMShim stands in for a clone of MCM's repository in dev/mcm: the framework checks that
// it is a git checkout, applies its kubernetes/crds and runs its `make start`. Ours starts the
// MCM core controller built from the pinned module, with the flags of MCM's own start target.
func writeMCMShim(mcmDir, mcmBin string) error {
	crds := filepath.Join(mcmDir, "kubernetes", "crds")
	if err := os.MkdirAll(crds, 0o750); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(mcmDir, ".git"), 0o750); err != nil {
		return err
	}
	mod, err := testenv.MCMModuleDir()
	if err != nil {
		return err
	}
	// Copies, not a symlink: the framework walks the folder with filepath.Walk, which does not
	// follow a symlinked root.
	files, err := filepath.Glob(filepath.Join(mod, "kubernetes", "crds", "*.yaml"))
	if err != nil {
		return fmt.Errorf("no CRDs in %s: %w", mod, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("no CRDs in %s", mod)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(crds, filepath.Base(f)), b, 0o600); err != nil {
			return err
		}
	}
	port, err := framework.FreePort()
	if err != nil {
		return err
	}
	makefile := fmt.Sprintf(`# Generated by test/integration/controller: MCM's integration-test framework runs "make start" here.
MACHINE_SAFETY_OVERSHOOTING_PERIOD ?= 1m
LEADER_ELECT ?= false
start:
	exec %s --control-kubeconfig=$(CONTROL_KUBECONFIG) --target-kubeconfig=$(TARGET_KUBECONFIG) --namespace=$(CONTROL_NAMESPACE) --safety-up=2 --safety-down=1 --machine-safety-overshooting-period=$(MACHINE_SAFETY_OVERSHOOTING_PERIOD) --leader-elect=$(LEADER_ELECT) --address=127.0.0.1 --port=%d --v=3
`, mcmBin, port)
	return os.WriteFile(filepath.Join(mcmDir, "Makefile"), []byte(makefile), 0o600)
}
