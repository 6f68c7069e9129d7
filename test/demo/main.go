// Command demo runs the whole local system on loopback: the OpenStack simulator, a real
// kube-apiserver with etcd, machine-controller-manager, this project's machine-controller and a
// node simulator. It applies the sample Secret, MachineClass and MachineDeployment from
// kubernetes/examples, shows the machines coming up, prints what it made and how to look at it,
// and cleans up on Ctrl-C. With --check it exits once the machines are Running (for CI).
//
// With --reseller it also runs the reseller controller and applies kubernetes/examples/reseller
// instead: a Region on the simulated Reseller API, a Project, a User and a binding whose
// credentials Secret the MachineClass uses, so the machines run in a new reseller project.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/registrar"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

func main() {
	check := flag.Bool("check", false, "exit once the machines are Running, printing a DEMO line (no terminal needed)")
	replicas := flag.Int("machines", 3, "replicas of the sample MachineDeployment")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	flag.BoolVar(&resellerMode, "reseller", false, "run the machines in a reseller project made by the reseller controller (kubernetes/examples/reseller)")
	flag.Parse()
	// Before anything logs: envtest, the registrar and the reseller controller log through
	// controller-runtime, which otherwise prints a "log.SetLogger(...) was never called" stack
	// trace. The demo prints its own progress; the controllers' logs are in their log files.
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	restore := takeTerminal()
	code := demo(*replicas, *check, *timeout)
	restore()
	os.Exit(code)
}

// demo runs the demo until Ctrl-C (or, with check, until the machines run) and returns the
// exit code.
func demo(replicas int, check bool, timeout time.Duration) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, replicas, check, timeout)
	if interrupted := ctx.Err() != nil; interrupted && !check {
		// Ctrl-C is how the demo ends: run has cleaned up, so it is a success.
		return 0
	} else if interrupted {
		err = errors.New("interrupted before the machines were Running")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		return 1
	}
	return 0
}

func run(ctx context.Context, replicas int, check bool, timeout time.Duration) (err error) {
	dir, err := os.MkdirTemp("", "pco-demo-")
	if err != nil {
		return err
	}
	// Registered before the stack starts: Ctrl-C while it starts (go build gets the signal too)
	// must not leave the folder behind. A failure keeps the folder for its logs.
	var stack *framework.Stack
	defer func() {
		fmt.Print("Stopping the controllers, kube-apiserver, etcd and the simulator ... ")
		stack.Stop() // nil-safe; a stack that failed to start has stopped itself
		if err != nil && ctx.Err() == nil {
			fmt.Printf("stopped; logs kept in %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
		fmt.Println("cleaned up")
	}()
	fmt.Println("Building kube-apiserver/etcd (cached after the first run), machine-controller-manager and machine-controller ...")
	assets, err := testenv.EnvtestAssets()
	if err != nil {
		return err
	}
	fmt.Println("Starting the OpenStack simulator, kube-apiserver + etcd, MCM, machine-controller and the node simulator ...")
	stack, err = framework.StartStack(framework.StackOptions{Dir: dir, Sim: ossim.Options{BuildTime: 3 * time.Second}, Verbosity: 2})
	if err != nil {
		return err
	}
	registry, err := startRegistrar(ctx, stack)
	if err != nil {
		return err
	}
	clouds := filepath.Join(dir, "clouds.yaml")
	if err := os.WriteFile(clouds, stack.Sim.CloudsYAML("pco-sim"), 0o600); err != nil {
		return err
	}

	var objs []*unstructured.Unstructured
	if resellerMode {
		objs, err = resellerObjects(ctx, stack)
	} else {
		objs, err = stack.ExampleObjects()
	}
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.GetKind() == "MachineDeployment" {
			if err := unstructured.SetNestedField(o.Object, int64(replicas), "spec", "replicas"); err != nil {
				return err
			}
		}
		fmt.Printf("applying %s %s/%s\n", o.GetKind(), o.GetNamespace(), o.GetName())
	}
	if err := stack.Apply(ctx, objs...); err != nil {
		return err
	}

	deadline := time.Now().Add(timeout)
	last := ""
	for {
		if err := stack.Healthy(); err != nil {
			return err
		}
		running, err := stack.RunningMachines(ctx)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("machines Running: %d/%d   servers ACTIVE: %d", running, replicas, stack.ActiveServers())
		if line != last {
			fmt.Printf("[%s] %s\n", time.Now().Format("15:04:05"), line)
			last = line
		}
		if running == replicas && stack.ActiveServers() == replicas {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("machines not Running after %s; logs in %s", timeout, dir)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if err := printState(ctx, stack); err != nil {
		return err
	}
	if err := printRegistry(ctx, registry, replicas); err != nil {
		return err
	}
	if check {
		running, _ := stack.RunningMachines(ctx)
		fmt.Printf("DEMO machines_running=%d servers_active=%d\n", running, stack.ActiveServers())
		return nil
	}
	fmt.Printf(`
Look around (in another terminal):
  %s/kubectl --kubeconfig %s -n %s get machinedeployments,machinesets,machines,machineclasses
  %s/kubectl --kubeconfig %s get nodes -o wide
  OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=pco-sim openstack server list   # if you have the OpenStack CLI
  curl -s %s/_sim/state                                              # the simulated cloud
  curl -s http://127.0.0.1:%d/metrics | grep pco_                    # the driver's metrics
Controller logs: %s/*.log
Press Ctrl-C to stop and clean up.
`, assets, stack.CP.KubeconfigPath, stack.Opts.Namespace, assets, stack.CP.KubeconfigPath, clouds, stack.Sim.URL(), stack.ProviderPort, dir)
	<-ctx.Done()
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

// resellerMode runs the demo in a reseller project (--reseller).
var resellerMode bool

// resellerObjects starts the reseller controller, applies the reseller examples up to the
// binding, waits for its credentials Secret, makes the keypair the MachineClass names with them
// (as the project's owner would) and returns the MachineDeployment to apply.
func resellerObjects(ctx context.Context, stack *framework.Stack) ([]*unstructured.Unstructured, error) {
	mgr, id, err := controllers.NewManager(ctx, stack.CP.Config, controllers.ManagerOptions{
		Options: controllers.Options{Namespace: stack.Opts.Namespace}, MetricsAddr: "0", HealthAddr: "0",
	})
	if err != nil {
		return nil, err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "reseller controller:", err)
		}
	}()
	fmt.Printf("Reseller controller running (controller identifier %s); Reseller API at %s\n", id, stack.Sim.ResellerEndpoint())
	all, err := stack.ResellerExampleObjects()
	if err != nil {
		return nil, err
	}
	var rest, deployments []*unstructured.Unstructured
	for _, o := range all {
		if o.GetKind() == "MachineDeployment" {
			deployments = append(deployments, o)
			continue
		}
		fmt.Printf("applying %s %s\n", o.GetKind(), strings.TrimPrefix(o.GetNamespace()+"/"+o.GetName(), "/"))
		rest = append(rest, o)
	}
	if err := stack.Apply(ctx, rest...); err != nil {
		return nil, err
	}
	var secret corev1.Secret
	key := client.ObjectKey{Namespace: stack.Opts.Namespace, Name: "machines-workers-credentials"}
	for stack.CP.Client.Get(ctx, key, &secret) != nil {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	var project pcov1.Project
	if err := stack.CP.Client.Get(ctx, client.ObjectKey{Namespace: stack.Opts.Namespace, Name: "workers"}, &project); err != nil {
		return nil, err
	}
	fmt.Printf("Reseller project %s (%s) is ready; credentials in Secret %s\n", project.Status.OpenStackName, project.Status.ProjectID, key.Name)
	if err := framework.CreateKeypair(ctx, secret.Data, "pco-workers"); err != nil {
		return nil, fmt.Errorf("creating the keypair in the reseller project: %w", err)
	}
	return deployments, nil
}

// startRegistrar runs the cluster registrar in this process against the local control plane
// (control and target are the same cluster here) and returns a client that reads the registry.
func startRegistrar(ctx context.Context, stack *framework.Stack) (client.Client, error) {
	mgr, err := registrar.NewManager(ctx, registrar.Options{
		ControlConfig: stack.CP.Config, TargetConfig: stack.CP.Config, ControlNamespace: stack.Opts.Namespace,
		MetricsAddr: "0", HealthAddr: "0", Resync: 2 * time.Second, SkipNameValidation: true,
	})
	if err != nil {
		return nil, err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "cluster registrar:", err)
		}
	}()
	return client.New(stack.CP.Config, client.Options{Scheme: registrar.Scheme()})
}

// printRegistry waits until the registrar shows the cluster with all its nodes and prints it.
func printRegistry(ctx context.Context, c client.Client, replicas int) error {
	var list regv1.ClusterInfoList
	for deadline := time.Now().Add(time.Minute); ; {
		if err := c.List(ctx, &list); err != nil {
			return err
		}
		done := len(list.Items) > 0
		for _, ci := range list.Items {
			done = done && int(ci.Spec.NodeCount) == replicas && ci.Status.Phase == regv1.PhaseActive
		}
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	fmt.Println("Registered clusters (kubectl get clusterinfos):")
	fmt.Printf("  %-24s %-15s %-9s %-6s %-8s %s\n", "NAME", "PROVIDER", "VERSION", "NODES", "PHASE", "ENDPOINT")
	for _, ci := range list.Items {
		fmt.Printf("  %-24s %-15s %-9s %-6d %-8s %s\n", ci.Name, ci.Spec.Provider, ci.Spec.KubernetesVersion, ci.Spec.NodeCount, ci.Status.Phase, ci.Spec.Endpoint)
		fmt.Printf("REGISTRY cluster=%s phase=%s nodes=%d version=%s\n", ci.Name, ci.Status.Phase, ci.Spec.NodeCount, ci.Spec.KubernetesVersion)
	}
	return nil
}

func printState(ctx context.Context, stack *framework.Stack) error {
	machines, err := stack.Machines(ctx)
	if err != nil {
		return err
	}
	sort.Slice(machines, func(i, j int) bool { return machines[i].Name < machines[j].Name })
	fmt.Println("\nMachines:")
	fmt.Printf("  %-32s %-9s %s\n", "NAME", "PHASE", "PROVIDER ID")
	for _, m := range machines {
		fmt.Printf("  %-32s %-9s %s\n", m.Name, phase(m), m.Spec.ProviderID)
	}
	fmt.Println("Servers in the simulated pluscloud open project:")
	fmt.Printf("  %-32s %-7s %-9s %-36s %s\n", "NAME", "STATUS", "FLAVOR", "ID", "VOLUMES")
	for _, s := range stack.Sim.Servers() {
		fmt.Printf("  %-32s %-7s %-9s %-36s %d\n", s.Name, s.Status, s.FlavorName, s.ID, len(s.Volumes))
	}
	counts := stack.Sim.Counts()
	fmt.Printf("OpenStack requests so far: %d (Keystone tokens: %d)\n", counts.Total(), counts.Get("identity POST /v3/auth/tokens"))
	return nil
}

func phase(m mcmv1alpha1.Machine) string {
	if p := m.Status.CurrentStatus.Phase; p != "" {
		return string(p)
	}
	return "-"
}
