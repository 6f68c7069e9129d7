// Command chaos runs the whole local system (OpenStack simulator, kube-apiserver + etcd,
// machine-controller-manager, this project's machine-controller at -v=10 and the node simulator),
// applies kubernetes/examples, and then makes life hard for the driver for a while:
//
//   - the simulator answers a share of the compute, network, image and volume requests with
//     500/503, 429 with Retry-After, dropped connections, lost responses after the work was done
//     (after-commit) and extra latency; Keystone gets only a little latency and a few 503s;
//   - the MachineDeployment is scaled up and down every round (3 -> 8 -> 2 -> 6 -> 0 -> 4 -> ...);
//   - our machine-controller is stopped and started again at random moments (SIGTERM + start)
//     or killed in the middle of creating and deleting machines (SIGKILL + start).
//
// Then it clears the faults, sets a final replica count, waits until the Machines are Running,
// gives MCM's orphan collection one period, compares the cloud with the cluster and scans every
// place a secret could end up in for the secrets it knows of.
//
// Run it with `go run ./test/chaos` (or `make chaos`); -h lists the knobs. It exits non-zero when
// something leaked, a Machine has two servers, a secret was found, or the final count did not
// converge. The summary lines mean:
//
//	CHAOS machines=<n> running=<n> leaked_servers=<n> leaked_ports=<n> leaked_volumes=<n> duplicate_servers=<n>
//	  machines          Machine objects in the control namespace at the end
//	  running           of those, Machines in phase Running
//	  leaked_servers    simulator servers that back no Machine (not the server of a Machine's
//	                    provider ID, nor, for a Machine without provider ID, named like it)
//	  leaked_ports      ports the driver made (named after a machine, or bound to a server) whose
//	                    device is empty or a server that no longer exists
//	  leaked_volumes    volumes that are not attached to an existing server
//	  duplicate_servers for each Machine name, the servers beyond the first carrying that name
//	CHAOS restarts=<n> faults_injected=<n> requests=<n>
//	  restarts          times our machine-controller was stopped or killed and started again
//	  faults_injected   request-level faults the simulator applied (latency included)
//	  requests          OpenStack API requests the simulator served (all services)
//	SECRETS leaked=<n>
//	  occurrences of a known secret value (raw or base64) in the controllers' logs, the Machine,
//	  MachineSet and MachineDeployment objects, the Events of the control namespace and the
//	  machine-controller's /metrics; each finding is listed by place and secret name, never
//	  with the value.
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
}

func main() {
	var cfg config
	var seq string
	flag.IntVar(&cfg.rounds, "rounds", 8, "scaling rounds with faults and restarts")
	flag.DurationVar(&cfg.roundTime, "round-time", 20*time.Second, "how long each round lasts")
	flag.StringVar(&seq, "sequence", "3,8,2,6,0,4,7,1", "replica counts of the rounds, repeated as needed")
	flag.IntVar(&cfg.restarts, "restarts", 6, "times the machine-controller is restarted or killed (at least 5 asked for)")
	flag.IntVar(&cfg.final, "final", 3, "final replica count, set after the faults are cleared")
	flag.DurationVar(&cfg.convergeTimeout, "converge-timeout", 3*time.Minute, "how long the final count may take")
	flag.DurationVar(&cfg.orphanPeriod, "orphan-period", 20*time.Second, "--machine-safety-orphan-vms-period of the machine-controller")
	flag.IntVar(&cfg.verbosity, "v", 10, "-v of the controllers")
	flag.Uint64Var(&cfg.seed, "seed", 0, "random seed (0: from the clock); printed so a run can be repeated")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the stack's folder (logs, kubeconfig) afterwards")
	flag.Float64Var(&cfg.faults.errors, "error-rate", 0.10, "share of requests answered 500/503")
	flag.Float64Var(&cfg.faults.rateLimit, "ratelimit-rate", 0.05, "share of requests answered 429 with Retry-After: 1")
	flag.Float64Var(&cfg.faults.drop, "drop-rate", 0.02, "share of requests whose connection is dropped unanswered")
	flag.Float64Var(&cfg.faults.afterCommit, "after-commit-rate", 0.02, "share of creates (POST) that take effect but lose their response")
	flag.Float64Var(&cfg.faults.latency, "latency-rate", 0.20, "share of requests delayed (50ms to 500ms)")
	flag.Float64Var(&cfg.faults.identityErrors, "identity-error-rate", 0.02, "share of Keystone requests answered 503")
	flag.Parse()
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
	ok, err := run(ctx, cfg, rand.New(rand.NewPCG(cfg.seed, cfg.seed>>1|1)))
	fmt.Printf("wall time %s\n", time.Since(start).Round(time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos failed:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}
