package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	osconfig "github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
	"github.com/pco-mcm/mcm-provider-pco/test/secretscan"
)

// labServices are the real lab's services make chaos-openstack restarts, each at least once
// (test/e2e/openstack/restart.sh; keystone runs under uwsgi in the lab).
var labServices = []string{"nova-api", "nova-conductor", "neutron-server", "keystone", "rabbitmq"}

// realClients are the chaos run's own look at the real cloud: volumes and Nova's record of the
// servers made, which the framework's Cloud does not give.
type realClients struct{ compute, network, volume *gophercloud.ServiceClient }

func newRealClients(ctx context.Context, file, cloud string) (*realClients, error) {
	ao, eo, tlsConfig, err := clouds.Parse(clouds.WithCloudName(cloud), clouds.WithLocations(file))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	pc, err := osconfig.NewProviderClient(ctx, ao, osconfig.WithTLSConfig(tlsConfig))
	if err != nil {
		return nil, fmt.Errorf("logging in to %s: %w", cloud, err)
	}
	var c realClients
	if c.compute, err = openstack.NewComputeV2(pc, eo); err != nil {
		return nil, err
	}
	c.compute.Microversion = "2.67"
	if c.network, err = openstack.NewNetworkV2(pc, eo); err != nil {
		return nil, err
	}
	if c.volume, err = openstack.NewBlockStorageV3(pc, eo); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *realClients) volumes(ctx context.Context) ([]ossim.Volume, error) {
	pages, err := volumes.List(c.volume, volumes.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	vs, err := volumes.ExtractVolumes(pages)
	if err != nil {
		return nil, err
	}
	out := make([]ossim.Volume, 0, len(vs))
	for _, v := range vs {
		ov := ossim.Volume{ID: v.ID, Name: v.Name, Status: v.Status, Size: v.Size}
		for _, a := range v.Attachments {
			ov.Attachments = append(ov.Attachments, a.ServerID)
		}
		out = append(out, ov)
	}
	return out, nil
}

// servers are the project's servers named like the run's machines, whatever their state or
// addresses (the framework's Cloud lists only servers with an address on its network, which a
// server in BUILD or ERROR may not have).
func (c *realClients) servers(ctx context.Context, prefixes []string) ([]ossim.Server, error) {
	pages, err := servers.List(c.compute, servers.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	list, err := servers.ExtractServers(pages)
	if err != nil {
		return nil, err
	}
	var out []ossim.Server
	for _, s := range list {
		if hasAnyPrefix(s.Name, prefixes) {
			out = append(out, ossim.Server{ID: s.ID, Name: s.Name, Status: s.Status, TaskState: s.TaskState})
		}
	}
	return out, nil
}

// history is Nova's record of the servers changed since begin, deleted ones included (Nova lists
// them to a project member with changes-since): every server the run made, with when it ended.
func (c *realClients) history(ctx context.Context, begin time.Time, prefixes []string) ([]ossim.ServerRecord, error) {
	pages, err := servers.List(c.compute, servers.ListOpts{ChangesSince: begin.UTC().Format(time.RFC3339)}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	list, err := servers.ExtractServers(pages)
	if err != nil {
		return nil, err
	}
	var out []ossim.ServerRecord
	for _, s := range list {
		if !hasAnyPrefix(s.Name, prefixes) || s.Created.Before(begin.Add(-time.Minute)) {
			continue
		}
		r := ossim.ServerRecord{ID: s.ID, Name: s.Name, Created: s.Created}
		switch {
		case !s.TerminatedAt.IsZero():
			r.Ended = s.TerminatedAt
		case s.Status == "DELETED" || s.Status == "SOFT_DELETED":
			r.Ended = s.Updated
		}
		out = append(out, r)
	}
	return out, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// subnetOf is the first subnet of a network (the pinned MachineClass's subnetIDs).
func (c *realClients) subnetOf(ctx context.Context, networkID string) (string, error) {
	pages, err := subnets.List(c.network, subnets.ListOpts{NetworkID: networkID}).AllPages(ctx)
	if err != nil {
		return "", err
	}
	list, err := subnets.ExtractSubnets(pages)
	if err != nil {
		return "", fmt.Errorf("no subnet on network %s: %w", networkID, err)
	}
	if len(list) == 0 {
		return "", fmt.Errorf("no subnet on network %s", networkID)
	}
	return list[0].ID, nil
}

// disturbance is one planned restart of a lab service or kill of the controller.
type disturbance struct {
	at      time.Duration
	service string // "" is the machine-controller (SIGKILL + start)
}

// planDisturbances puts each lab service's restart and n controller kills at random moments of
// the chaos phase, no two closer than a few seconds.
func planDisturbances(rng *rand.Rand, kills int, phase time.Duration) []disturbance {
	var plan []disturbance
	for _, s := range labServices {
		plan = append(plan, disturbance{service: s})
	}
	for range kills {
		plan = append(plan, disturbance{})
	}
	slot := phase / time.Duration(len(plan)+1)
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	for i := range plan {
		plan[i].at = time.Duration(i)*slot + 2*time.Second + time.Duration(rng.Int64N(int64(max(slot-4*time.Second, time.Second))))
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].at < plan[j].at })
	return plan
}

// runReal is make chaos-openstack: the real MCM and our controller against the real lab while
// its services are restarted, then scale to 0 and the same counts as on the simulator.
func runReal(ctx context.Context, cfg config, rng *rand.Rand) (ok bool, err error) {
	dir, err := os.MkdirTemp("", "pco-chaos-openstack-")
	if err != nil {
		return false, err
	}
	fmt.Printf("chaos-openstack: seed=%d rounds=%d round-time=%s kills=%d final=%d cloud=%s dir=%s\n",
		cfg.seed, cfg.rounds, cfg.roundTime, cfg.restarts, cfg.final, cfg.realCloud, dir)
	rc, err := newRealClients(ctx, cfg.realClouds, cfg.realCloud)
	if err != nil {
		return false, err
	}
	if _, err := testenv.EnvtestAssets(); err != nil {
		return false, err
	}
	stack, err := framework.StartStack(framework.StackOptions{
		Dir: dir, CloudsFile: cfg.realClouds, CloudName: cfg.realCloud,
		SafetyOrphanPeriod: cfg.orphanPeriod, Verbosity: cfg.verbosity,
		ProviderArgs: []string{"--pco-server-create-timeout=" + cfg.createTimeout.String(), "--pco-server-delete-timeout=" + cfg.deleteTimeout.String()},
	})
	if err != nil {
		return false, err
	}
	defer func() {
		stack.Stop()
		stack.Cloud.Close()
		if cfg.keep || !ok {
			fmt.Printf("logs and kubeconfig kept in %s\n", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	prefixes := []string{deployments[0] + "-", deployments[1] + "-"}
	cloudState := func() ([]ossim.Server, []ossim.Port, []ossim.Volume, error) {
		srvs, err := rc.servers(ctx, prefixes)
		if err != nil {
			return nil, nil, nil, err
		}
		ps, err := stack.Cloud.Ports(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		vs, err := rc.volumes(ctx)
		return srvs, ps, vs, err
	}
	srvs, ps, vs, err := cloudState()
	if err != nil {
		return false, err
	}
	base := takeBaseline(srvs, ps, vs)

	sec := secretscan.NewSecrets()
	if b, err := os.ReadFile(cfg.realClouds); err == nil {
		sec.AddStructured("clouds.yaml", string(b))
	}
	canary := fmt.Sprintf("chaos-canary-%016x%016x", rng.Uint64(), rng.Uint64())
	sec.Add("userData canary line", canary)
	objs, err := stack.ExampleObjects()
	if err != nil {
		return false, err
	}
	fx := stack.Cloud.Fixture()
	sec.Add("Secret pco-credentials password", fx.Password)
	subnet, err := rc.subnetOf(ctx, fx.NetworkID)
	if err != nil {
		return false, err
	}
	var extra []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "Secret":
			ud, _, _ := unstructured.NestedString(o.Object, "stringData", "userData")
			ud += "- echo " + canary + "\n"
			_ = unstructured.SetNestedField(o.Object, ud, "stringData", "userData")
			sec.Add("Secret pco-credentials userData", ud)
		case "MachineClass":
			mc := o.DeepCopy()
			mc.SetName("pco-pinned")
			_ = unstructured.SetNestedStringSlice(mc.Object, []string{subnet}, "providerSpec", "spec", "subnetIDs")
			extra = append(extra, mc)
		case "MachineDeployment":
			_ = unstructured.SetNestedField(o.Object, int64(cfg.sequence[0]), "spec", "replicas")
			md := o.DeepCopy()
			md.SetName(deployments[1])
			_ = unstructured.SetNestedField(md.Object, int64(pinnedReplicas(cfg.sequence, 0)), "spec", "replicas")
			_ = unstructured.SetNestedStringMap(md.Object, map[string]string{"pool": deployments[1]}, "spec", "selector", "matchLabels")
			_ = unstructured.SetNestedStringMap(md.Object, map[string]string{"pool": deployments[1]}, "spec", "template", "metadata", "labels")
			_ = unstructured.SetNestedField(md.Object, "pco-pinned", "spec", "template", "spec", "class", "name")
			extra = append(extra, md)
		}
	}
	s := &session{ctx: ctx, stack: stack, sec: sec, begin: time.Now(), poll: 2 * time.Second,
		collect: func() { sec.CollectBootstrapTokens(ctx, stack.CP.Clientset) }}
	if err := stack.Apply(ctx, append(objs, extra...)...); err != nil {
		return false, err
	}
	stamp := s.stamp
	state := func() string {
		machines, running, _ := s.machines()
		srvs, p, v, _ := cloudState()
		return fmt.Sprintf("machines=%d running=%d servers=%d ports=%d volumes=%d", machines, running, len(srvs)-len(base.servers), len(p)-len(base.ports), len(v)-len(base.volumes))
	}
	restartScript := filepath.Join(testenv.RepoRoot(), "test", "e2e", "openstack", "restart.sh")
	restarted := map[string]int{}

	plan := planDisturbances(rng, cfg.restarts, time.Duration(cfg.rounds)*cfg.roundTime)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for round := range cfg.rounds {
		workers, pinnedN := cfg.sequence[round%len(cfg.sequence)], pinnedReplicas(cfg.sequence, round)
		if err := s.setReplicas(workers, pinnedN); err != nil {
			fmt.Printf("%s round %d: scaling failed (%v), kept going\n", stamp(), round+1, err)
		}
		fmt.Printf("%s round %d/%d: replicas=%d+%d (%s)\n", stamp(), round+1, cfg.rounds, workers, pinnedN, state())
		end := time.Duration(round+1) * cfg.roundTime
		for time.Since(s.begin) < end {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-tick.C:
			}
			if len(plan) > 0 && time.Since(s.begin) >= plan[0].at {
				d := plan[0]
				plan = plan[1:]
				if d.service == "" {
					s.scrapeMetrics()
					s.snapshotObjects(fmt.Sprintf("before kill %d", restarted["machine-controller"]+1))
					stack.Provider.Kill()
					if err := stack.Provider.Restart(); err != nil {
						return false, fmt.Errorf("restarting the machine-controller: %w", err)
					}
					restarted["machine-controller"]++
					fmt.Printf("%s SIGKILL+start of machine-controller\n", stamp())
				} else {
					out, err := exec.CommandContext(ctx, restartScript, d.service).CombinedOutput()
					if err != nil {
						return false, fmt.Errorf("restarting %s: %w: %s", d.service, err, out)
					}
					restarted[d.service]++
					fmt.Printf("%s %s", stamp(), out)
				}
			}
			if err := s.checkAlive(); err != nil {
				return false, err
			}
			s.collect()
		}
	}
	for _, svc := range append([]string{"machine-controller"}, labServices...) {
		if restarted[svc] == 0 {
			return false, fmt.Errorf("%s was never restarted: more rounds or a longer round-time", svc)
		}
	}

	fmt.Printf("%s disturbances over, replicas=%d+%d (%s)\n", stamp(), cfg.final, cfg.final, state())
	var t tally
	converged, err := s.converge(cfg.final, cfg.convergeTimeout, &t)
	if err != nil {
		return false, err
	}
	fmt.Printf("%s converged=%t (%s); scaling to 0\n", stamp(), converged, state())
	s.scrapeMetrics()
	s.snapshotObjects("at the final count")
	if err := s.setReplicas(0, 0); err != nil {
		return false, err
	}
	drained, err := s.wait(cfg.drainTimeout, func() bool {
		machines, err := stack.Machines(ctx)
		srvs, p, v, cerr := cloudState()
		return err == nil && cerr == nil && len(machines) == 0 && len(srvs) == len(base.servers) && len(p) == len(base.ports) && len(v) == len(base.volumes)
	})
	if err != nil {
		return false, err
	}
	fmt.Printf("%s scaled to 0, drained=%t (%s)\n", stamp(), drained, state())
	if srvs, ps, vs, err = cloudState(); err != nil {
		return false, err
	}
	// A shared lab: a named volume of someone else's run (the peer's root volumes are named
	// after their machines) is not ours; unnamed ones (Nova's boot volumes) cannot be told apart.
	vs = slices.DeleteFunc(vs, func(v ossim.Volume) bool { return v.Name != "" && !hasAnyPrefix(v.Name, prefixes) })
	t.countLeaks(base, srvs, ps, vs)
	history, err := rc.history(ctx, s.begin, prefixes)
	if err != nil {
		return false, fmt.Errorf("listing the servers made since %s: %w", s.begin, err)
	}
	t.countDuplicates(history, nil)
	sort.Strings(t.details)
	for _, d := range t.details {
		fmt.Println("  " + d)
	}
	fmt.Printf("CHAOS machines=%d running=%d leaked_servers=%d leaked_ports=%d leaked_volumes=%d duplicate_servers=%d\n",
		t.machines, t.running, t.leakedServers, t.leakedPorts, t.leakedVolumes, t.duplicateServers)
	var rs []string
	for _, svc := range append([]string{"machine-controller"}, labServices...) {
		rs = append(rs, fmt.Sprintf("%s=%d", svc, restarted[svc]))
	}
	fmt.Printf("CHAOS restarts %s server_posts=%d max_posts_per_machine=%d\n", strings.Join(rs, " "), t.posts, t.maxPostsPerMachine)
	s.snapshotObjects("at the end")
	s.scrapeMetrics()
	leaked, err := scanSecrets(stack, sec, nil, s.objectSnapshots, s.metrics.String())
	if err != nil {
		return false, err
	}
	fmt.Printf("SECRETS leaked=%d\n", leaked)
	return converged && drained && s.crashes == 0 && !t.failed() && leaked == 0, nil
}
