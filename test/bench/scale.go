package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

// The scale group: a MachineDeployment of --machines machines brought to Running on the
// integration stack (test/integration/framework: simulator, kube-apiserver + etcd, MCM's
// machine-controller-manager, the provider's machine-controller, node simulator), once with our
// machine-controller and once with gardener's provider-openstack machine-controller built from
// its module (cmd/machine-controller at the version test/bench's go.mod pins), then scaled to 0.
// Both runs get a fresh stack with the same simulator settings, MachineClass and Secret
// (kubernetes/examples, as make demo applies them), MCM core flags and node simulator. Only the
// provider process differs, and each runs with the flags its own deployment uses: ours those of
// charts/mcm-provider-pco (values.yaml), the peer those of its module's Makefile `start` target
// (the flags its sample deployment sets are a subset). Flags both controllers share
// (--concurrent-syncs 50, --kube-api-qps 20, --kube-api-burst 30: MCM's provider-app defaults)
// are left at their defaults by both, so they bound both sides alike; the run prints how long
// each provider waited on its kube client's rate limiter so it shows when they did.
//
// What bounds a run of 500 on 2 CPUs (measured; the CPUs were about a quarter busy): until all
// servers are ACTIVE, the driver. Ours sends at most --pco-openstack-qps=50 requests a second
// (its chart default) at about 5 requests per machine, and had all 500 servers ACTIVE after about
// 90s; the peer polls every 10s in CreateMachine, so MCM's 50 workers finish about 5 machines a
// second (all ACTIVE after about 105s). After that, and while scaling to 0, MCM's
// --kube-api-qps=20 of the machine-controller: Machine and Node updates wait on its rate limiter,
// the same for both sides. A run of 500 takes about 7.5 minutes per side (2.5-3 to converge, 4.5
// to scale to 0), 15 minutes for both: not a default group. --scale-kube-api-qps raises the kube
// client cap of both machine-controllers alike, to see the drivers without it (neither
// deployment sets it).

// scaleNamespace is the control namespace of the scale runs (the stack's default).
const scaleNamespace = "machine-controller"

// scaleSide is one provider controller under test.
type scaleSide struct {
	name string
	// binary is the provider's machine-controller; "" runs ours (framework.BuildBinaries).
	binary string
	// args are the flags of the provider's own deployment (besides what the stack passes to every
	// controller: kubeconfigs, namespace, --leader-elect=false, --address, --port, --v and
	// --machine-safety-orphan-vms-period, which orphanPeriod sets).
	args         []string
	orphanPeriod time.Duration
}

// scaleSides are ours (flags of charts/mcm-provider-pco/values.yaml) and the peer (flags of its
// Makefile's start target).
func scaleSides(peerBinary string) []scaleSide {
	return []scaleSide{
		{name: "ours", orphanPeriod: 15 * time.Minute, args: []string{
			"--machine-creation-timeout=20m", "--machine-health-timeout=10m", "--machine-drain-timeout=2h",
			"--pco-server-create-timeout=15m", "--pco-openstack-qps=50", "--pco-openstack-burst=100", "--v=3",
		}},
		{name: "peer", binary: peerBinary, orphanPeriod: 30 * time.Minute, args: []string{
			"--machine-creation-timeout=20m", "--machine-drain-timeout=5m", "--machine-health-timeout=10m",
			"--machine-pv-detach-timeout=2m", "--machine-safety-apiserver-statuscheck-timeout=30s",
			"--machine-safety-apiserver-statuscheck-period=1m", "--v=3",
		}},
	}
}

// scaleConfig is what the scale group's flags set.
type scaleConfig struct {
	machines  int
	timeout   time.Duration // per phase: convergence, scale to 0
	buildTime time.Duration // the simulator's BuildTime; 0 is its default
	keep      bool          // keep the stacks' folders (logs, kubeconfig)
	// kubeQPS, when above 0, is --kube-api-qps (and twice it --kube-api-burst) of both
	// machine-controllers instead of MCM's default 20 (burst 30), to see the drivers without
	// that cap. Not what either deployment sets: off by default.
	kubeQPS float64
}

// scaleResult is what one side's run measured.
type scaleResult struct {
	converge    time.Duration
	counts      ossim.Counts
	rssConverge float64 // VmHWM MiB when all machines were Running
	rssEnd      float64 // VmHWM MiB after the scale to 0
	scaleDown   time.Duration
	leftBehind  string // what the scale to 0 did not remove, "" when nothing
	cpu         []procCPU
	throttle    throttleStats
	mcmThrottle throttleStats
	allActive   time.Duration // from creating the MachineDeployment until all servers were ACTIVE
}

// benchScale runs the scale group: ours, then the peer, each on a fresh stack.
func benchScale(cfg scaleConfig) error {
	if cfg.machines < 1 {
		return fmt.Errorf("--machines must be at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctrllog.SetLogger(logr.Discard()) // envtest logs through controller-runtime; the bench needs none of it
	start := time.Now()
	fmt.Fprintln(os.Stderr, "# scale: building or finding kube-apiserver/etcd and the peer's machine-controller ...")
	if _, err := testenv.EnvtestAssets(); err != nil {
		return err
	}
	peer, err := framework.PeerProviderBinary()
	if err != nil {
		return err
	}
	sides := scaleSides(peer)
	if cfg.kubeQPS > 0 {
		for i := range sides {
			sides[i].args = append(sides[i].args, fmt.Sprintf("--kube-api-qps=%g", cfg.kubeQPS), fmt.Sprintf("--kube-api-burst=%d", int(2*cfg.kubeQPS)))
		}
	}
	var res [2]scaleResult
	for i, side := range sides {
		if res[i], err = runScale(ctx, side, cfg); err != nil {
			return fmt.Errorf("scale, %s: %w", side.name, err)
		}
	}
	n := cfg.machines
	nf := float64(n)
	sim := ossim.Options{BuildTime: cfg.buildTime}
	if sim.BuildTime == 0 {
		sim.BuildTime = time.Second
	}
	fmt.Printf("# scale: a MachineDeployment of %d machines (kubernetes/examples: diskless SCS-2V-4 booting from a 20 GiB volume) on the integration stack, simulator BuildTime %s, on %d CPUs; each side on a fresh stack with the controller flags of its own deployment; both sides took %s in all\n",
		n, sim.BuildTime, runtime.NumCPU(), time.Since(start).Round(time.Second))
	for i, side := range sides {
		r := res[i]
		fmt.Printf("# %s: flags %s\n", side.name, strings.Join(append([]string{"--machine-safety-orphan-vms-period=" + side.orphanPeriod.String()}, side.args...), " "))
		fmt.Printf("# %s: all servers ACTIVE after %.1fs, all Machines Running after %.1fs, scaled to 0 in %.1fs; requests while converging keystone=%d compute=%d network=%d image=%d volume=%d\n",
			side.name, r.allActive.Seconds(), r.converge.Seconds(), r.scaleDown.Seconds(), r.counts.Service("identity"), r.counts.Service("compute"),
			r.counts.Service("network"), r.counts.Service("image"), r.counts.Service("volume"))
		fmt.Printf("# %s: CPU seconds while converging (%.0fs wall, %d CPUs): %s\n", side.name, r.converge.Seconds(), runtime.NumCPU(), cpuSummary(r.cpu))
		fmt.Printf("# %s: kube client rate limiter (--kube-api-qps) while converging: machine-controller %s (on average %.1f requests waiting); machine-controller-manager (-v=2: only waits over 1s) %s\n",
			side.name, r.throttle, r.throttle.total.Seconds()/r.converge.Seconds(), r.mcmThrottle)
		if r.leftBehind != "" {
			fmt.Printf("# %s: LEFT BEHIND after the scale to 0: %s\n", side.name, r.leftBehind)
		}
	}
	fmt.Printf("# converge_%d: seconds from creating the MachineDeployment until all %d Machines are Running (polled every second)\n", n, n)
	line(fmt.Sprintf("converge_%d", n), res[0].converge.Seconds(), res[1].converge.Seconds())
	fmt.Printf("# requests_per_machine_%d: simulator requests (all services) from creating the MachineDeployment until all are Running, / %d\n", n, n)
	line(fmt.Sprintf("requests_per_machine_%d", n), float64(res[0].counts.Total())/nf, float64(res[1].counts.Total())/nf)
	fmt.Printf("# controller_peak_rss_%d: the machine-controller process's VmHWM in MiB after converging and scaling to 0 (when all were Running: ours=%.1f peer=%.1f)\n",
		n, res[0].rssConverge, res[1].rssConverge)
	line(fmt.Sprintf("controller_peak_rss_%d", n), res[0].rssEnd, res[1].rssEnd)
	var errs []error
	for i, side := range sides {
		if res[i].leftBehind != "" {
			errs = append(errs, fmt.Errorf("%s: left behind after the scale to 0: %s", side.name, res[i].leftBehind))
		}
	}
	return errors.Join(errs...)
}

// runScale starts a stack with side's provider, creates the MachineDeployment, waits until all
// machines are Running, scales to 0, waits until everything is gone and stops the stack.
func runScale(ctx context.Context, side scaleSide, cfg scaleConfig) (res scaleResult, err error) {
	dir, err := os.MkdirTemp("", "pco-bench-scale-"+side.name+"-")
	if err != nil {
		return res, err
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "# scale %s [%s] %s\n", side.name, time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	logf("starting the stack in %s", dir)
	stack, err := framework.StartStack(framework.StackOptions{
		Dir:                 dir,
		Namespace:           scaleNamespace,
		Sim:                 ossim.Options{BuildTime: cfg.buildTime},
		ProviderBinary:      side.binary,
		ProviderOwnDefaults: true,
		ProviderArgs:        side.args,
		SafetyOrphanPeriod:  side.orphanPeriod,
		Verbosity:           2, // MCM core's -v in charts/mcm-provider-pco; the providers' --v=3 comes last in args
	})
	if err != nil {
		return res, err
	}
	defer func() {
		stack.Stop()
		if cfg.keep || err != nil {
			logf("logs and kubeconfig kept in %s", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	sim := stack.Sim
	seed := sim.Seed()
	// Every project of the simulator starts without quota limits; say so explicitly: the runs
	// must never hit a quota.
	sim.SetQuota(seed.ProjectID, ossim.Unlimited)

	for _, p := range []*framework.Process{stack.MCM, stack.Provider} {
		if err := waitForLog(ctx, stack, p, "Starting machine-controller-manager", 2*time.Minute); err != nil {
			return res, err
		}
	}
	objs, err := stack.ExampleObjects()
	if err != nil {
		return res, err
	}
	var md *unstructured.Unstructured
	var rest []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "MachineDeployment" {
			md = o
		} else {
			rest = append(rest, o)
		}
	}
	if md == nil {
		return res, fmt.Errorf("no MachineDeployment in kubernetes/examples")
	}
	if err := unstructured.SetNestedField(md.Object, int64(cfg.machines), "spec", "replicas"); err != nil {
		return res, err
	}
	if err := stack.Apply(ctx, rest...); err != nil {
		return res, err
	}
	basePorts, baseVolumes := len(sim.Ports()), len(sim.Volumes())
	mcmLog0, provLog0 := fileSize(stack.MCM.LogPath), fileSize(stack.Provider.LogPath)

	// Convergence: from creating the MachineDeployment until all machines are Running.
	pids := stackPids(stack)
	cpu0 := sampleCPU(pids)
	sim.ResetCounts()
	start := time.Now()
	if err := stack.Apply(ctx, md); err != nil {
		return res, err
	}
	logf("MachineDeployment %s with %d replicas created", md.GetName(), cfg.machines)
	err = poll(ctx, cfg.timeout, func(elapsed time.Duration, report bool) (bool, error) {
		if err := stack.Healthy(); err != nil {
			return false, err
		}
		running, err := stack.RunningMachines(ctx)
		if err != nil {
			return false, err
		}
		active := stack.ActiveServers()
		if res.allActive == 0 && active >= cfg.machines {
			res.allActive = time.Since(start)
		}
		if running >= cfg.machines {
			res.converge = time.Since(start)
			res.counts = sim.Counts()
			return true, nil
		}
		if report {
			logf("%d/%d Machines Running, %d servers ACTIVE, %d requests (%.0fs)", running, cfg.machines, active, sim.Counts().Total(), elapsed.Seconds())
		}
		return false, nil
	})
	if err != nil {
		return res, fmt.Errorf("waiting for %d Running Machines: %w", cfg.machines, err)
	}
	res.cpu = cpuDelta(cpu0, sampleCPU(pids))
	res.rssConverge = vmHWMMiB(stack.Provider.Pid())
	res.throttle = throttleIn(stack.Provider.LogPath, provLog0, fileSize(stack.Provider.LogPath))
	res.mcmThrottle = throttleIn(stack.MCM.LogPath, mcmLog0, fileSize(stack.MCM.LogPath))
	logf("all %d Machines Running after %.1fs, %d requests", cfg.machines, res.converge.Seconds(), res.counts.Total())

	// Scale to 0: every Machine, server, Nova-made port and root volume and Node must go.
	start = time.Now()
	if err := stack.UpdateMachineDeployment(ctx, md.GetName(), func(d *mcmv1alpha1.MachineDeployment) { d.Spec.Replicas = 0 }); err != nil {
		return res, err
	}
	logf("scaled to 0")
	left := ""
	err = poll(ctx, cfg.timeout, func(elapsed time.Duration, report bool) (bool, error) {
		if err := stack.Healthy(); err != nil {
			return false, err
		}
		left, err = leftovers(ctx, stack, basePorts, baseVolumes)
		if err != nil {
			return false, err
		}
		if left == "" {
			return true, nil
		}
		if report {
			logf("left: %s (%.0fs)", left, elapsed.Seconds())
		}
		return false, nil
	})
	res.scaleDown = time.Since(start)
	if errors.Is(err, errPollTimeout) {
		res.leftBehind = left
		logf("LEFT BEHIND after %s: %s", cfg.timeout, left)
	} else if err != nil {
		return res, fmt.Errorf("scaling to 0: %w", err)
	} else {
		logf("everything deleted after %.1fs", res.scaleDown.Seconds())
	}
	res.rssEnd = vmHWMMiB(stack.Provider.Pid())
	return res, nil
}

// leftovers describes what of the run still exists: Machines, servers, ports and volumes beyond
// those seeded, and Nodes; "" when nothing.
func leftovers(ctx context.Context, stack *framework.Stack, basePorts, baseVolumes int) (string, error) {
	machines, err := stack.Machines(ctx)
	if err != nil {
		return "", err
	}
	var nodes corev1.NodeList
	if err := stack.CP.Client.List(ctx, &nodes, client.HasLabels{"pco.plusserver.com/simulated-node"}); err != nil {
		return "", err
	}
	counts := []struct {
		what string
		n    int
	}{
		{"Machines", len(machines)},
		{"Nodes", len(nodes.Items)},
		{"servers", len(stack.Sim.Servers())},
		{"ports", len(stack.Sim.Ports()) - basePorts},
		{"volumes", len(stack.Sim.Volumes()) - baseVolumes},
	}
	var parts []string
	for _, c := range counts {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return strings.Join(parts, ", "), nil
}

var errPollTimeout = errors.New("timed out")

// poll calls check every second until it is done, fails, ctx ends or timeout passes; report is
// true about every 15 seconds (for progress lines).
func poll(ctx context.Context, timeout time.Duration, check func(elapsed time.Duration, report bool) (bool, error)) error {
	start := time.Now()
	lastReport := start
	for {
		report := time.Since(lastReport) >= 15*time.Second
		if report {
			lastReport = time.Now()
		}
		done, err := check(time.Since(start), report)
		if done || err != nil {
			return err
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("%w after %s", errPollTimeout, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// waitForLog waits until p's log has a line containing text (both MCM and the provider app log
// "Starting machine-controller-manager" once their informers have synced).
func waitForLog(ctx context.Context, stack *framework.Stack, p *framework.Process, text string, timeout time.Duration) error {
	return poll(ctx, timeout, func(time.Duration, bool) (bool, error) {
		if err := stack.Healthy(); err != nil {
			return false, err
		}
		b, err := os.ReadFile(p.LogPath)
		return err == nil && strings.Contains(string(b), text), nil
	})
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
