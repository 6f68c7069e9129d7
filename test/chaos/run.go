package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
	"github.com/pco-mcm/mcm-provider-pco/test/secretscan"
)

// restart is one planned stop of the machine-controller.
type restart struct {
	at   time.Duration // after the chaos phase began
	kill bool          // SIGKILL (a crash) instead of SIGTERM
}

// planRestarts spreads n restarts over the rounds. The kills land shortly after a scale change,
// while servers are being created or deleted; the graceful restarts anywhere in a round.
func planRestarts(rng *rand.Rand, n, rounds int, roundTime time.Duration) []restart {
	var plan []restart
	for i := range n {
		round := i * rounds / max(n, 1)
		kill := i%2 == 0
		var offset time.Duration
		if kill {
			offset = 500*time.Millisecond + time.Duration(rng.Int64N(int64(min(5*time.Second, roundTime/2))))
		} else {
			offset = time.Second + time.Duration(rng.Int64N(int64(max(roundTime-3*time.Second, time.Second))))
		}
		plan = append(plan, restart{at: time.Duration(round)*roundTime + offset, kill: kill})
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].at < plan[j].at })
	return plan
}

// deployments are the MachineDeployments of the run: the example's (a diskless flavor booting
// from a Cinder volume, on ports Nova makes) and a copy whose MachineClass pins the subnet (the
// driver makes, reuses and deletes the ports itself), also booting from a volume.
var deployments = []string{"pco-workers", "pco-pinned"}

func run(ctx context.Context, cfg config, rng *rand.Rand) (ok bool, err error) {
	dir, err := os.MkdirTemp("", "pco-chaos-")
	if err != nil {
		return false, err
	}
	fmt.Printf("chaos: seed=%d rounds=%d round-time=%s restarts=%d final=%d v=%d latency-scale=%g dir=%s\n",
		cfg.seed, cfg.rounds, cfg.roundTime, cfg.restarts, cfg.final, cfg.verbosity, cfg.latencyScale, dir)
	if _, err := testenv.EnvtestAssets(); err != nil {
		return false, err
	}
	latencies := ossim.RealisticLatencies().Scaled(cfg.latencyScale)
	latencies.Seed = cfg.seed
	stack, err := framework.StartStack(framework.StackOptions{
		Dir:                dir,
		Sim:                ossim.Options{Latencies: latencies},
		SafetyOrphanPeriod: cfg.orphanPeriod,
		Verbosity:          cfg.verbosity,
		// Builds stuck in BUILD and lost deletes must end within the run.
		ProviderArgs: []string{"--pco-server-create-timeout=" + cfg.createTimeout.String(), "--pco-server-delete-timeout=" + cfg.deleteTimeout.String()},
	})
	if err != nil {
		return false, err
	}
	defer func() {
		stack.Stop()
		if cfg.keep || !ok {
			fmt.Printf("logs and kubeconfig kept in %s\n", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	proxy, err := framework.StartTokenProxy(stack.Sim.URL())
	if err != nil {
		return false, err
	}
	defer proxy.Close()

	seed := stack.Sim.Seed()
	base := takeBaseline(stack.Sim.Servers(), stack.Sim.Ports(), stack.Sim.Volumes())
	sec := secretscan.NewSecrets()
	sec.Add("Secret pco-credentials password", seed.Password)
	sec.Add("simulator other user's password", seed.OtherPassword)
	sec.Add("simulator reseller password", seed.ResellerPassword)
	sec.Add("simulator application credential secret", seed.AppCredSecret)
	canary := fmt.Sprintf("chaos-canary-%016x%016x", rng.Uint64(), rng.Uint64())
	sec.Add("userData canary line", canary)

	objs, err := stack.ExampleObjects()
	if err != nil {
		return false, err
	}
	var pinned []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "Secret":
			// Keystone through the token-recording proxy; the catalog sends the rest directly.
			_ = unstructured.SetNestedField(o.Object, proxy.URL+"/identity/v3", "stringData", "authURL")
			ud, _, _ := unstructured.NestedString(o.Object, "stringData", "userData")
			ud += "- echo " + canary + "\n"
			_ = unstructured.SetNestedField(o.Object, ud, "stringData", "userData")
			sec.Add("Secret pco-credentials userData", ud)
		case "MachineClass":
			mc := o.DeepCopy()
			mc.SetName("pco-pinned")
			_ = unstructured.SetNestedStringSlice(mc.Object, []string{seed.SubnetID}, "providerSpec", "spec", "subnetIDs")
			pinned = append(pinned, mc)
		case "MachineDeployment":
			if o.GetName() != deployments[0] {
				return false, fmt.Errorf("unexpected MachineDeployment %s in kubernetes/examples", o.GetName())
			}
			_ = unstructured.SetNestedField(o.Object, int64(cfg.sequence[0]), "spec", "replicas")
			md := o.DeepCopy()
			md.SetName(deployments[1])
			_ = unstructured.SetNestedField(md.Object, int64(pinnedReplicas(cfg.sequence, 0)), "spec", "replicas")
			_ = unstructured.SetNestedStringMap(md.Object, map[string]string{"pool": deployments[1]}, "spec", "selector", "matchLabels")
			_ = unstructured.SetNestedStringMap(md.Object, map[string]string{"pool": deployments[1]}, "spec", "template", "metadata", "labels")
			_ = unstructured.SetNestedField(md.Object, "pco-pinned", "spec", "template", "spec", "class", "name")
			pinned = append(pinned, md)
		}
	}
	objs = append(objs, pinned...)
	injectFaults(stack.Sim, cfg.faults)
	injectNovaFaults(stack.Sim, cfg.novaFaults)
	if err := stack.Apply(ctx, objs...); err != nil {
		return false, err
	}
	begin := time.Now()
	stamp := func() string { return fmt.Sprintf("[%6.1fs]", time.Since(begin).Seconds()) }
	fmt.Printf("%s stack up, examples and the pinned-subnet copy applied, faults armed\n", stamp())

	state := func() string {
		machines, _ := stack.Machines(ctx)
		running := 0
		for _, m := range machines {
			if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning {
				running++
			}
		}
		return fmt.Sprintf("machines=%d running=%d servers=%d ports=%d volumes=%d", len(machines), running,
			len(stack.Sim.Servers()), len(stack.Sim.Ports())-len(base.ports), len(stack.Sim.Volumes())-len(base.volumes))
	}
	setReplicas := func(workers, pinned int) error {
		for i, n := range []int{workers, pinned} {
			if n < 0 || n > math.MaxInt32 {
				return fmt.Errorf("%d replicas are out of range", n)
			}
			replicas := int32(n)
			if err := stack.UpdateMachineDeployment(ctx, deployments[i], func(md *mcmv1alpha1.MachineDeployment) { md.Spec.Replicas = replicas }); err != nil {
				return err
			}
		}
		return nil
	}

	var metricsText strings.Builder
	var objectSnapshots []framework.ObjectJSON
	snapshotObjects := func(when string) {
		objs, _, err := framework.MCMObjectsJSON(ctx, stack.CP.Client, client.InNamespace(stack.Opts.Namespace))
		if err != nil {
			return
		}
		for _, o := range objs {
			o.Place += " (" + when + ")"
			objectSnapshots = append(objectSnapshots, o)
		}
	}
	restarts, crashes := 0, 0
	checkAlive := func() error {
		if stack.MCM.Running() && stack.Provider.Running() {
			return nil
		}
		for _, p := range []*framework.Process{stack.MCM, stack.Provider} {
			if !p.Running() {
				crashes++
				fmt.Printf("%s %s exited by itself; last log lines:\n%s\n", stamp(), p.Name, p.Tail(1500))
				if err := p.Restart(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// wait polls every second until done says so, the deadline passes or ctx ends.
	wait := func(timeout time.Duration, done func() bool) (bool, error) {
		deadline := time.Now().Add(timeout)
		for time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(time.Second):
			}
			if err := checkAlive(); err != nil {
				return false, err
			}
			collect(ctx, sec, stack)
			if done() {
				return true, nil
			}
		}
		return false, nil
	}

	// Chaos phase.
	plan := planRestarts(rng, cfg.restarts, cfg.rounds, cfg.roundTime)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastCollect := time.Time{}
	for round := range cfg.rounds {
		workers, pinnedN := cfg.sequence[round%len(cfg.sequence)], pinnedReplicas(cfg.sequence, round)
		if err := setReplicas(workers, pinnedN); err != nil {
			return false, err
		}
		fmt.Printf("%s round %d/%d: replicas=%d+%d (%s)\n", stamp(), round+1, cfg.rounds, workers, pinnedN, state())
		end := time.Duration(round+1) * cfg.roundTime
		for time.Since(begin) < end {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-tick.C:
			}
			if len(plan) > 0 && time.Since(begin) >= plan[0].at {
				r := plan[0]
				plan = plan[1:]
				metricsText.WriteString(secretscan.ScrapeMetrics(stack.ProviderPort))
				snapshotObjects(fmt.Sprintf("before restart %d", restarts+1))
				kind := "SIGTERM+start"
				before := state()
				if r.kill {
					kind = "SIGKILL+start"
					stack.Provider.Kill()
				}
				if err := stack.Provider.Restart(); err != nil {
					return false, fmt.Errorf("restarting the machine-controller: %w", err)
				}
				restarts++
				fmt.Printf("%s restart %d: %s of machine-controller (%s)\n", stamp(), restarts, kind, before)
			}
			if err := checkAlive(); err != nil {
				return false, err
			}
			if time.Since(lastCollect) > time.Second {
				collect(ctx, sec, stack)
				lastCollect = time.Now()
			}
		}
	}

	// The end: no more faults, a final count that must converge, then scale to 0 and count
	// what the cloud still holds.
	injected, err := faultsUsed(stack.Sim)
	if err != nil {
		return false, err
	}
	stack.Sim.ClearFaults()
	if err := setReplicas(cfg.final, cfg.final); err != nil {
		return false, err
	}
	fmt.Printf("%s faults cleared, replicas=%d+%d (%s)\n", stamp(), cfg.final, cfg.final, state())
	var t tally
	converged, err := wait(cfg.convergeTimeout, func() bool {
		machines, err := stack.Machines(ctx)
		if err != nil {
			return false
		}
		t.machines, t.running = len(machines), 0
		for _, m := range machines {
			if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning && m.DeletionTimestamp == nil {
				t.running++
			}
		}
		return t.machines == 2*cfg.final && t.running == 2*cfg.final
	})
	if err != nil {
		return false, err
	}
	if converged {
		fmt.Printf("%s converged (%s); scaling to 0\n", stamp(), state())
	} else {
		fmt.Printf("%s NOT converged after %s (%s); scaling to 0\n", stamp(), cfg.convergeTimeout, state())
	}
	metricsText.WriteString(secretscan.ScrapeMetrics(stack.ProviderPort))
	snapshotObjects("at the final count")
	if err := setReplicas(0, 0); err != nil {
		return false, err
	}
	// Everything should be gone soon; what is left gets up to two orphan collection periods.
	drained, err := wait(cfg.drainTimeout, func() bool {
		machines, err := stack.Machines(ctx)
		return err == nil && len(machines) == 0 && len(stack.Sim.Servers()) == len(base.servers) &&
			len(stack.Sim.Ports()) == len(base.ports) && len(stack.Sim.Volumes()) == len(base.volumes)
	})
	if err != nil {
		return false, err
	}
	if !drained {
		fmt.Printf("%s the cloud still holds resources %s after scale to 0 (%s)\n", stamp(), cfg.drainTimeout, state())
	} else {
		fmt.Printf("%s scaled to 0: nothing left (%s)\n", stamp(), state())
	}
	collect(ctx, sec, stack)

	t.countLeaks(base, stack.Sim.Servers(), stack.Sim.Ports(), stack.Sim.Volumes())
	history := stack.Sim.ServerHistory()
	t.countDuplicates(history, base.servers)
	novaUsed := novaFaultsSeen(history)
	sort.Strings(t.details)
	for _, d := range t.details {
		fmt.Println("  " + d)
	}
	fmt.Printf("CHAOS machines=%d running=%d leaked_servers=%d leaked_ports=%d leaked_volumes=%d duplicate_servers=%d\n",
		t.machines, t.running, t.leakedServers, t.leakedPorts, t.leakedVolumes, t.duplicateServers)
	fmt.Printf("CHAOS restarts=%d faults_injected=%d requests=%d server_posts=%d max_posts_per_machine=%d\n",
		restarts, injected, stack.Sim.Counts().Total(), t.posts, t.maxPostsPerMachine)
	var nf []string
	missing := false
	for _, k := range novaFaultKinds {
		nf = append(nf, fmt.Sprintf("%s=%d", k, novaUsed[k]))
		missing = missing || novaUsed[k] == 0 && cfg.novaFaults.armed(k)
	}
	fmt.Printf("CHAOS nova_faults %s\n", strings.Join(nf, " "))
	if missing {
		fmt.Println("CHAOS a kind of Nova fault never happened: the run did not test its cleanup path")
	}
	if crashes > 0 {
		fmt.Printf("CHAOS controller exits not caused by the run: %d\n", crashes)
	}

	snapshotObjects("at the end")
	leaked, err := scanSecrets(stack, sec, proxy, objectSnapshots, metricsText.String()+secretscan.ScrapeMetrics(stack.ProviderPort))
	if err != nil {
		return false, err
	}
	fmt.Printf("SECRETS leaked=%d\n", leaked)
	return converged && crashes == 0 && !t.failed() && leaked == 0 && !missing, nil
}

// pinnedReplicas is the pinned deployment's count in a round: the sequence half a turn on, so
// the two deployments do not scale in step.
func pinnedReplicas(seq []int, round int) int {
	return seq[(round+len(seq)/2)%len(seq)]
}

// scanSecrets looks for every known secret in every form in the logs, the MCM objects (their
// statuses included) and Events of the control namespace taken during the run, and the
// metrics, and prints where it found them.
func scanSecrets(stack *framework.Stack, sec *secretscan.Secrets, proxy *framework.TokenProxy, objs []framework.ObjectJSON, metrics string) (int, error) {
	var tokens []string
	issued := 0
	if proxy != nil { // on the simulator: every Keystone token that passed
		tokens = proxy.Tokens()
		issued = stack.Sim.Counts().Get("identity POST /v3/auth/tokens")
	}
	for i, t := range tokens {
		sec.Add(fmt.Sprintf("Keystone token #%d", i+1), t)
	}
	sc := secretscan.NewScanner(sec.AllNeedles())
	sc.TokenShapes = true
	var findings []secretscan.Finding
	for _, p := range []*framework.Process{stack.MCM, stack.Provider} {
		b, err := os.ReadFile(p.LogPath)
		if err != nil {
			return 0, err
		}
		findings = append(findings, sc.ScanLog(p.Name+".log", b)...)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[strings.Fields(o.Place)[0]]++
		findings = append(findings, sc.Scan(o.Place, o.JSON)...)
	}
	findings = append(findings, sc.Scan("/metrics", []byte(metrics))...)
	fmt.Printf("secrets: %d values (%s; %d Keystone tokens seen, %d issued by the simulator; on a real cloud they are found by their shape) in %d needles of every form; scanned 2 logs, %d Machine, %d MachineSet, %d MachineDeployment and %d Event snapshots, %d bytes of /metrics\n",
		sec.Len(), sec.Kinds(), len(tokens), issued, len(sc.Needles), kinds["Machine"], kinds["MachineSet"], kinds["MachineDeployment"], kinds["Event"], len(metrics))
	return secretscan.ReportFindings(os.Stdout, findings), nil
}
