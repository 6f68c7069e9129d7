// Command chaos runs the whole local system (OpenStack simulator with a real cloud's latency
// spreads, scaled down, kube-apiserver + etcd, machine-controller-manager, this project's
// machine-controller at -v=10 and the node simulator) with two MachineDeployments: the example's
// (diskless SCS-2V-4 booting from a Cinder volume, ports made by Nova) and a copy whose
// MachineClass pins the subnet (the driver makes, reuses and deletes its ports), and then makes
// life hard for the driver for a while:
//
//   - the simulator answers a share of the compute, network, image and volume requests with
//     500/503, 429 with Retry-After, dropped connections, lost responses after the work was done
//     (after-commit) and extra latency; Keystone gets only a little latency and a few 503s;
//   - inside Nova, builds fail as a real Nova fails them: ERROR with "No valid host was found",
//     ERROR after a failed network allocation leaving Nova's port behind, ERROR after a boot
//     volume that did not finish leaving the volume behind, BUILD for good; and deletes are
//     accepted and lost (the server stays ACTIVE with task_state deleting);
//   - both MachineDeployments are scaled up and down every round, out of step;
//   - our machine-controller is stopped and started again at random moments (SIGTERM + start)
//     or killed in the middle of creating and deleting machines (SIGKILL + start).
//
// Then it clears the faults, sets a final replica count that must converge, scales both to 0,
// counts what the cloud still holds and what it made along the way, and scans every place a
// secret could end up in for the secrets it knows of.
//
// Run it with `go run ./test/chaos` (or `make chaos`); -h lists the knobs. It exits non-zero when
// something leaked, a Machine had two servers, a secret was found, or the final count did not
// converge. The summary lines mean:
//
//	CHAOS machines=<n> running=<n> leaked_servers=<n> leaked_ports=<n> leaked_volumes=<n> duplicate_servers=<n>
//	  machines          Machine objects at the final count (before scale to 0)
//	  running           of those, Machines in phase Running
//	  leaked_servers    servers the cloud still holds after scale to 0 (the simulator's seed aside)
//	  leaked_ports      ports it still holds after scale to 0: the driver's, Nova's, and those
//	                    Nova left behind after an ERROR build
//	  leaked_volumes    volumes it still holds after scale to 0 (boot volumes included)
//	  duplicate_servers servers created, at any time of the run, while another server of the
//	                    same name (Machine) was live (created and no delete taken effect), from
//	                    the simulator's record of every server it made; orphan collection
//	                    removing one later does not hide it
//	CHAOS restarts=<n> faults_injected=<n> requests=<n> server_posts=<n> max_posts_per_machine=<n>
//	  restarts          times our machine-controller was stopped or killed and started again
//	  faults_injected   request-level faults the simulator applied (latency included)
//	  requests          OpenStack API requests the simulator served (all services)
//	  server_posts      servers the cloud made (successful creates, answered or not)
//	  max_posts_per_machine  the most servers made for one Machine name (retries after ERROR)
//	CHAOS nova_faults no_valid_host=<n> network_left_port=<n> volume_left_behind=<n> stuck_build=<n> lost_delete=<n>
//	  how often each Nova fault happened; each at least once (the first creates and the first
//	  delete get one each), or the run fails for not having tested that cleanup path
//	SECRETS leaked=<n>
//	  occurrences of a known secret value, whatever its length, raw, base64, hex, JSON-, Go- or
//	  URL-escaped (and Keystone tokens, JWTs and private keys by their shape) in the controllers'
//	  logs, snapshots of the Machine, MachineSet and MachineDeployment objects (statuses
//	  included) taken before each restart, at the final count and at the end, the Events of the
//	  control namespace and the machine-controller's /metrics; each finding is listed by place and
//	  secret name, never with the value.
//
// The secrets it knows of: the passwords and application credential secret of the simulator's
// seed, a random canary line it adds to the Secret's userData, every userData the simulator got
// and every bootstrap token MCM made, and every Keystone token the simulator issued (a small
// proxy in front of Keystone, which the Secret's authURL points at, records X-Subject-Token and
// X-Auth-Token; the simulator's admin API does not list tokens).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

type config struct {
	rounds          int
	roundTime       time.Duration
	sequence        []int
	restarts        int
	final           int
	convergeTimeout time.Duration
	orphanPeriod    time.Duration
	verbosity       int
	seed            uint64
	keep            bool
	faults          faultRates
	novaFaults      novaFaultRates
	latencyScale    float64
	createTimeout   time.Duration
	deleteTimeout   time.Duration
	drainTimeout    time.Duration
	realClouds      string
	realCloud       string
}

func main() {
	var cfg config
	var seq string
	flag.IntVar(&cfg.rounds, "rounds", 8, "scaling rounds with faults and restarts")
	flag.DurationVar(&cfg.roundTime, "round-time", 20*time.Second, "how long each round lasts")
	flag.StringVar(&seq, "sequence", "3,8,2,6,0,4,7,1", "replica counts of the rounds, repeated as needed")
	flag.IntVar(&cfg.restarts, "restarts", 6, "times the machine-controller is restarted or killed (at least 5 asked for)")
	flag.IntVar(&cfg.final, "final", 2, "final replica count of each MachineDeployment, set after the faults are cleared (then they scale to 0)")
	flag.DurationVar(&cfg.convergeTimeout, "converge-timeout", 3*time.Minute, "how long the final count may take")
	flag.DurationVar(&cfg.orphanPeriod, "orphan-period", 20*time.Second, "--machine-safety-orphan-vms-period of the machine-controller")
	flag.DurationVar(&cfg.drainTimeout, "drain-timeout", 60*time.Second, "how long scale to 0 may take before what is left counts as leaked")
	flag.Float64Var(&cfg.latencyScale, "latency-scale", 20, "the simulator's realistic latencies divided by this (20: builds of 1-3 s, boot from volume 1.5-3.75 s, tails to 9 s)")
	flag.DurationVar(&cfg.createTimeout, "create-timeout", 30*time.Second, "--pco-server-create-timeout: how long a build stuck in BUILD is waited for")
	flag.DurationVar(&cfg.deleteTimeout, "delete-timeout", 20*time.Second, "--pco-server-delete-timeout: how long a lost delete is waited for")
	flag.Float64Var(&cfg.novaFaults.noValidHost, "novalidhost-rate", 0.06, "share of builds that go to ERROR with No valid host")
	flag.Float64Var(&cfg.novaFaults.networkLeavesPort, "network-fault-rate", 0.06, "share of builds that go to ERROR after a failed network allocation, leaving Nova's port behind")
	flag.Float64Var(&cfg.novaFaults.volumeLeftBehind, "volume-fault-rate", 0.06, "share of builds that go to ERROR after a boot volume did not finish, leaving the volume behind")
	flag.Float64Var(&cfg.novaFaults.stuckBuild, "stuck-build-rate", 0.03, "share of builds that stay in BUILD for good")
	flag.Float64Var(&cfg.novaFaults.lostDelete, "lost-delete-rate", 0.10, "share of server deletes that are accepted and lost (ACTIVE, task_state deleting, until deleted again)")
	flag.IntVar(&cfg.verbosity, "v", 10, "-v of the controllers")
	flag.Uint64Var(&cfg.seed, "seed", 0, "random seed (0: from the clock); printed so a run can be repeated")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the stack's folder (logs, kubeconfig) afterwards")
	flag.Float64Var(&cfg.faults.errors, "error-rate", 0.10, "share of requests answered 500/503")
	flag.Float64Var(&cfg.faults.rateLimit, "ratelimit-rate", 0.05, "share of requests answered 429 with Retry-After: 1")
	flag.Float64Var(&cfg.faults.drop, "drop-rate", 0.02, "share of requests whose connection is dropped unanswered")
	flag.Float64Var(&cfg.faults.afterCommit, "after-commit-rate", 0.02, "share of creates (POST) that take effect but lose their response")
	flag.Float64Var(&cfg.faults.latency, "latency-rate", 0.20, "share of requests delayed (50ms to 500ms)")
	flag.Float64Var(&cfg.faults.identityErrors, "identity-error-rate", 0.02, "share of Keystone requests answered 503")
	flag.StringVar(&cfg.realClouds, "real-clouds", "", "clouds.yaml of the real OpenStack lab: restart its services instead of simulator faults (make chaos-openstack)")
	flag.StringVar(&cfg.realCloud, "real-cloud", "oslab-demo", "with -real-clouds, the cloud in it")
	flag.Parse()
	// envtest logs through controller-runtime, which otherwise prints a "log.SetLogger(...) was
	// never called" stack trace; the controllers' own logs are in the stack's folder.
	ctrllog.SetLogger(logr.Discard())
	for _, f := range strings.Split(seq, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "bad -sequence entry %q\n", f)
			os.Exit(2)
		}
		cfg.sequence = append(cfg.sequence, n)
	}
	if cfg.seed == 0 {
		cfg.seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed>>1|1))
	var ok bool
	var err error
	if cfg.realClouds != "" {
		ok, err = runReal(ctx, cfg, rng)
	} else {
		ok, err = run(ctx, cfg, rng)
	}
	fmt.Printf("wall time %s\n", time.Since(start).Round(time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos failed:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}
