// Command bench drives this project's driver and gardener's machine-controller-manager-provider-
// openstack v0.27.1 ("the peer") through the same MachineClass, Secret and MCM call sequence
// against the OpenStack simulator (internal/sim/ossim), and prints one line per metric:
//
//	BENCH <metric> ours=<x> peer=<y> ratio=<ours/peer>
//
// Lines starting with "#" explain the line after them. The metrics, by group (--only):
//
// cycles: --cycles sequential machine cycles per driver (GetMachineStatus, CreateMachine,
// InitializeMachine, GetMachineStatus, DeleteMachine, as MCM calls them), each driver against a
// fresh simulator with BuildTime 3s and DeleteTime 1s, run in a child process (see simproc.go):
//   - requests_per_cycle: OpenStack API requests the simulator counted, divided by cycles.
//   - keystone_auths_per_cycle: of those, Keystone token requests (POST /v3/auth/tokens).
//   - cycle_wall_seconds: wall time of all cycles divided by cycles.
//
// alloc: the same sequential run as cycles (measured once when both groups are chosen):
//   - alloc_bytes_per_cycle: runtime.MemStats.TotalAlloc growth across the cycles (after a
//     runtime.GC), divided by cycles. The simulator runs in a child process, so this is the
//     driver's own allocation (with its HTTP client and the bench's few request objects), not the
//     simulator's request handling.
//
// wall100: 100 machine cycles per driver against a fresh in-process simulator at its default
// latency (ossim.Options zero values: BuildTime 1s, DeleteTime 200ms), run by --concurrency
// workers (default 25, like MCM's --concurrent-syncs) because the peer's fixed ~10s polls in
// create and in delete would make 100 sequential cycles take about half an hour. The two drivers
// run at the same time, each on its own simulator, to keep the bench short (both mostly wait):
//   - cycle_wall_100: seconds from the first cycle's start to the last one's end.
//
// list: a fresh in-process simulator at default settings (page size MaxLimit 1000) with 5,000
// servers in the project (ossim.Sim.AddServers), 500 each for ten clusters; the bench's cluster's
// 500 carry both drivers' ownership markers (see list.go). After one warm-up call each driver's
// ListMachines is called 3 times and must return exactly those 500 servers:
//   - listmachines_wall_5000: median wall seconds of the 3 calls.
//   - listmachines_requests_5000: median OpenStack requests per call (simulator counter deltas).
//
// realistic: a real cloud's latencies (ossim.RealisticLatencies: builds 20-60 s with a long
// tail, boot from volume 30-75 s, deletes 2-10 s), the diskless flavor SCS-2V-4 booting from a
// 20 GiB Cinder volume (pluscloud open's default kind of flavor), and --realistic-machines (100)
// machines at once per driver: all brought up (GetMachineStatus, CreateMachine,
// InitializeMachine, GetMachineStatus), then all deleted, both drivers at the same time on their
// own in-process simulators drawing from the same seed (see realistic.go):
//   - requests_per_cycle_realistic: all requests, up and down, divided by the machines.
//   - cycle_wall_seconds_realistic: mean of each machine's call time, up plus down.
//   - requests_per_machine_realistic: requests until every machine is up, divided by the machines.
//
// scale (only with --only scale; it takes a long while, see scale.go): the integration stack
// (test/integration/framework: simulator at its defaults, kube-apiserver + etcd, MCM v0.62.1's
// machine-controller-manager, node simulator) brings a MachineDeployment of --machines machines
// (default 500; kubernetes/examples' MachineClass and Secret) to Running, once with our
// machine-controller and once with the peer's (its module's cmd/machine-controller, built once
// into ~/.cache/mcm-provider-pco/bench), each with the flags of its own chart or Makefile and
// MCM's defaults for the rest; then scales to 0 and checks that every Machine, Node, server, port
// and volume is gone (the bench fails, after printing its lines, if not). N is --machines:
//   - converge_N: seconds from creating the MachineDeployment until all N Machines are Running.
//   - requests_per_machine_N: simulator requests (all services) in that time, divided by N.
//   - controller_peak_rss_N: the machine-controller process's VmHWM in MiB after the scale to 0.
//
// Comment lines before them give each side's flags, requests per service, scale-down time, CPU
// seconds per process while converging, and the kube client rate limiter waits of both
// controllers (what bounded the run). Other flags: --scale-timeout (per phase, default 30m),
// --scale-sim-build-time, --scale-keep (keep logs) and --scale-kube-api-qps (raise MCM's kube
// client rate limit of both machine-controllers alike; off by default).
//
// Real OpenStack (--real-clouds FILE, --real-cloud NAME, default oslab-demo; or the environment
// variables BENCH_REAL_CLOUDS and BENCH_REAL_CLOUD, so `BENCH_REAL_CLOUDS=FILE make bench` works):
// only the cycles group runs, on that cloud instead of the simulator, --cycles cycles per driver
// (keep it small: the peer waits ~10s per create and per delete), printed after a line
// "# real OpenStack: <auth url>". The bench makes a run-scoped fixture (test/integration/framework
// NewRealCloud: network, subnet, security group, keypair; removed at the end, also on error or
// Ctrl-C), and both drivers get the same MachineClass (the fixture's flavor with a local disk,
// image, network, keypair, security group, region, the bench cluster's tags) and Secret, whose
// authURL is a counting reverse proxy on loopback (proxy.go). The proxy rewrites the service
// catalog of token responses (and origins in every other JSON response, such as version
// documents and pagination links) to its own routes, so every request of both drivers passes
// through it and is counted there, per method and path; Keystone token POSTs are the
// keystone_auths. Only requests of the measured cycles count (counters reset after setup). Each
// driver's request list goes to stderr. After each driver's cycles no server named bench-* and
// no port on the fixture's network may remain, or the bench fails.
//
// It is its own Go module so the peer's dependencies never enter the project's go.mod.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// groups are the metric groups --only selects from, in the order they run and print.
var groups = []string{"cycles", "alloc", "wall100", "list", "realistic", "scale"}

// defaultGroups run without --only; scale takes too long for every make bench.
var defaultGroups = []string{"cycles", "alloc", "wall100", "list", "realistic"}

func main() {
	cycles := flag.Int("cycles", 5, "sequential machine cycles per driver for the cycles and alloc groups (the peer waits 10s per create and per delete)")
	concurrency := flag.Int("concurrency", 25, "workers running the wall100 group's 100 cycles (as MCM's --concurrent-syncs)")
	only := flag.String("only", strings.Join(defaultGroups, ","), "comma list of metric groups to run: "+strings.Join(groups, ", ")+" (scale only when named)")
	var scale scaleConfig
	flag.IntVar(&scale.machines, "machines", 500, "replicas of the scale group's MachineDeployment")
	flag.DurationVar(&scale.timeout, "scale-timeout", 30*time.Minute, "scale group: how long each side may take to converge, and to scale to 0")
	flag.DurationVar(&scale.buildTime, "scale-sim-build-time", 0, "scale group: the simulator's BuildTime (0: its default, 1s)")
	flag.BoolVar(&scale.keep, "scale-keep", false, "scale group: keep each stack's folder (controller logs, kubeconfig)")
	flag.Float64Var(&scale.kubeQPS, "scale-kube-api-qps", 0, "scale group: --kube-api-qps of both machine-controllers (burst twice that); 0 keeps MCM's default 20 (burst 30)")
	realisticMachines := flag.Int("realistic-machines", 100, "machines at once in the realistic group")
	serveSim := flag.Bool("serve-sim", false, "internal: serve a simulator for the parent bench process (see simproc.go)")
	simBuild := flag.Duration("sim-build-time", 0, "internal: with --serve-sim, the simulator's BuildTime")
	simDelete := flag.Duration("sim-delete-time", 0, "internal: with --serve-sim, the simulator's DeleteTime")
	realClouds := flag.String("real-clouds", os.Getenv("BENCH_REAL_CLOUDS"), "clouds.yaml of a real OpenStack to run the cycles group on instead of the simulator (env BENCH_REAL_CLOUDS)")
	realCloud := flag.String("real-cloud", envOr("BENCH_REAL_CLOUD", "oslab-demo"), "with --real-clouds, the cloud in it (env BENCH_REAL_CLOUD)")
	flag.Parse()
	onlySet := false
	flag.Visit(func(f *flag.Flag) { onlySet = onlySet || f.Name == "only" })
	var err error
	switch {
	case *serveSim:
		err = serveSimulator(*simBuild, *simDelete)
	case *realClouds != "":
		if onlySet && strings.TrimSpace(*only) != "cycles" {
			err = fmt.Errorf("--real-clouds runs only the cycles group, not --only %s", *only)
		} else if *cycles < 1 {
			err = fmt.Errorf("--cycles must be at least 1")
		} else {
			err = benchRealCycles(*realClouds, *realCloud, *cycles)
		}
	default:
		err = run(*cycles, *concurrency, *only, scale, *realisticMachines)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(cycles, concurrency int, only string, scale scaleConfig, realisticMachines int) error {
	want := map[string]bool{}
	for g := range strings.SplitSeq(only, ",") {
		g = strings.TrimSpace(g)
		if !slices.Contains(groups, g) {
			return fmt.Errorf("--only: unknown group %q (groups: %s)", g, strings.Join(groups, ", "))
		}
		want[g] = true
	}
	if cycles < 1 || concurrency < 1 {
		return fmt.Errorf("--cycles and --concurrency must be at least 1")
	}
	if want["cycles"] || want["alloc"] {
		if err := benchCycles(cycles, want["cycles"], want["alloc"]); err != nil {
			return err
		}
	}
	if want["wall100"] {
		if err := benchWall100(concurrency); err != nil {
			return err
		}
	}
	if want["list"] {
		if err := benchList(); err != nil {
			return err
		}
	}
	if want["realistic"] {
		if err := benchRealistic(realisticMachines); err != nil {
			return err
		}
	}
	if want["scale"] {
		if err := benchScale(scale); err != nil {
			return err
		}
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func line(metric string, ours, peer float64) {
	ratio := 0.0
	if peer > 0 {
		ratio = ours / peer
	}
	fmt.Printf("BENCH %s ours=%.2f peer=%.2f ratio=%.2f\n", metric, ours, peer, ratio)
}
