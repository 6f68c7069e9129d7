package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
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

func run(ctx context.Context, cfg config, rng *rand.Rand) (ok bool, err error) {
	dir, err := os.MkdirTemp("", "pco-chaos-")
	if err != nil {
		return false, err
	}
	fmt.Printf("chaos: seed=%d rounds=%d round-time=%s restarts=%d final=%d v=%d dir=%s\n",
		cfg.seed, cfg.rounds, cfg.roundTime, cfg.restarts, cfg.final, cfg.verbosity, dir)
	if _, err := framework.EnvtestAssets(); err != nil {
		return false, err
	}
	stack, err := framework.StartStack(framework.StackOptions{
		Dir:                dir,
		Sim:                ossim.Options{BuildTime: 2 * time.Second},
		SafetyOrphanPeriod: cfg.orphanPeriod,
		Verbosity:          cfg.verbosity,
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
	sec := framework.NewSecrets()
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
	const deployment = "pco-workers"
	for _, o := range objs {
		switch o.GetKind() {
		case "Secret":
			// Keystone through the token-recording proxy; the catalog sends the rest directly.
			_ = unstructured.SetNestedField(o.Object, proxy.URL+"/identity/v3", "stringData", "authURL")
			ud, _, _ := unstructured.NestedString(o.Object, "stringData", "userData")
			ud += "- echo " + canary + "\n"
			_ = unstructured.SetNestedField(o.Object, ud, "stringData", "userData")
			sec.Add("Secret pco-credentials userData", ud)
		case "MachineDeployment":
			if o.GetName() != deployment {
				return false, fmt.Errorf("unexpected MachineDeployment %s in kubernetes/examples", o.GetName())
			}
			_ = unstructured.SetNestedField(o.Object, int64(cfg.sequence[0]), "spec", "replicas")
		}
	}
	injectFaults(stack.Sim, cfg.faults)
	if err := stack.Apply(ctx, objs...); err != nil {
		return false, err
	}
	begin := time.Now()
	stamp := func() string { return fmt.Sprintf("[%6.1fs]", time.Since(begin).Seconds()) }
	fmt.Printf("%s stack up, examples applied, faults armed\n", stamp())

	state := func() string {
		machines, _ := stack.Machines(ctx)
		running := 0
		for _, m := range machines {
			if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning {
				running++
			}
		}
		return fmt.Sprintf("machines=%d running=%d servers=%d", len(machines), running, len(stack.Sim.Servers()))
	}
	setReplicas := func(n int) error {
		return stack.UpdateMachineDeployment(ctx, deployment, func(md *mcmv1alpha1.MachineDeployment) { md.Spec.Replicas = int32(n) })
	}

	var metricsText strings.Builder
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

	// Chaos phase.
	plan := planRestarts(rng, cfg.restarts, cfg.rounds, cfg.roundTime)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastCollect := time.Time{}
	for round := range cfg.rounds {
		replicas := cfg.sequence[round%len(cfg.sequence)]
		if err := setReplicas(replicas); err != nil {
			return false, err
		}
		fmt.Printf("%s round %d/%d: replicas=%d (%s)\n", stamp(), round+1, cfg.rounds, replicas, state())
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
				metricsText.WriteString(framework.ScrapeMetrics(stack.ProviderPort))
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

	// The end: no more faults, a final count, convergence, one orphan collection period.
	injected, err := faultsUsed(stack.Sim)
	if err != nil {
		return false, err
	}
	stack.Sim.ClearFaults()
	if err := setReplicas(cfg.final); err != nil {
		return false, err
	}
	fmt.Printf("%s faults cleared, replicas=%d (%s)\n", stamp(), cfg.final, state())
	converged := false
	deadline := time.Now().Add(cfg.convergeTimeout)
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
		machines, err := stack.Machines(ctx)
		if err != nil {
			continue
		}
		running := 0
		for _, m := range machines {
			if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning && m.DeletionTimestamp == nil {
				running++
			}
		}
		if len(machines) == cfg.final && running == cfg.final {
			converged = true
			break
		}
	}
	if converged {
		fmt.Printf("%s converged (%s); waiting one orphan collection period (%s)\n", stamp(), state(), cfg.orphanPeriod)
	} else {
		fmt.Printf("%s NOT converged after %s (%s); waiting one orphan collection period (%s)\n", stamp(), cfg.convergeTimeout, state(), cfg.orphanPeriod)
	}
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-time.After(cfg.orphanPeriod + 5*time.Second):
	}
	collect(ctx, sec, stack)

	machines, err := stack.Machines(ctx)
	if err != nil {
		return false, err
	}
	cmp := compare(machines, stack.Sim.Servers(), stack.Sim.Ports(), stack.Sim.Volumes())
	for _, d := range cmp.details {
		fmt.Println("  " + d)
	}
	fmt.Printf("CHAOS machines=%d running=%d leaked_servers=%d leaked_ports=%d leaked_volumes=%d duplicate_servers=%d\n",
		cmp.machines, cmp.running, cmp.leakedServers, cmp.leakedPorts, cmp.leakedVolumes, cmp.duplicateServers)
	fmt.Printf("CHAOS restarts=%d faults_injected=%d requests=%d\n", restarts, injected, stack.Sim.Counts().Total())
	if crashes > 0 {
		fmt.Printf("CHAOS controller exits not caused by the run: %d\n", crashes)
	}

	leaked, err := scanSecrets(ctx, stack, sec, proxy, metricsText.String()+framework.ScrapeMetrics(stack.ProviderPort))
	if err != nil {
		return false, err
	}
	fmt.Printf("SECRETS leaked=%d\n", leaked)
	return converged && crashes == 0 && !cmp.failed() && leaked == 0, nil
}

// scanSecrets looks for every known secret in the logs, the MCM objects and Events of the control
// namespace and the metrics, and prints where it found them.
func scanSecrets(ctx context.Context, stack *framework.Stack, sec *framework.Secrets, proxy *framework.TokenProxy, metrics string) (int, error) {
	tokens := proxy.Tokens()
	for i, t := range tokens {
		sec.Add(fmt.Sprintf("Keystone token #%d", i+1), t)
	}
	issued := stack.Sim.Counts().Get("identity POST /v3/auth/tokens")
	sc := framework.NewScanner(sec.Needles())
	var findings []framework.Finding
	for _, p := range []*framework.Process{stack.MCM, stack.Provider} {
		b, err := os.ReadFile(p.LogPath)
		if err != nil {
			return 0, err
		}
		findings = append(findings, sc.ScanLog(p.Name+".log", b)...)
	}
	objs, counts, err := framework.MCMObjectsJSON(ctx, stack.CP.Client, client.InNamespace(stack.Opts.Namespace))
	if err != nil {
		return 0, err
	}
	for _, o := range objs {
		findings = append(findings, sc.Scan(o.Place, o.JSON)...)
	}
	findings = append(findings, sc.Scan("/metrics", []byte(metrics))...)
	fmt.Printf("secrets: %d values (%d Keystone tokens seen, %d issued by the simulator) in %d forms; scanned 2 logs, %d Machines, %d MachineSets, %d MachineDeployments, %d Events, %d bytes of /metrics\n",
		sec.Len(), len(tokens), issued, len(sc.Needles), counts["Machine"], counts["MachineSet"], counts["MachineDeployment"], counts["Event"], len(metrics))
	return framework.ReportFindings(os.Stdout, findings), nil
}
