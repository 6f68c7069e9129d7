package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// The realistic group: a real cloud's latencies (ossim.RealisticLatencies: builds 20-60 s with a
// long tail, boot from volume 30-75 s, deletes 2-10 s, volumes 5-15 s), pluscloud open's
// default kind of flavor (diskless, booting from a Cinder volume of realisticRootDisk GiB) and
// realisticMachines machines at once, as a MachineDeployment scaling up and down makes MCM do.
const (
	disklessFlavor    = "SCS-2V-4"
	realisticRootDisk = 20
	// realisticSeed makes both drivers' simulators draw from the same sequence.
	realisticSeed = 20260101
)

// realisticResult is what one driver cost for the realistic group.
type realisticResult struct {
	upRequests, requests int
	cycleWall            time.Duration // summed over the machines: each one's up and down calls
	wall                 time.Duration // first call to last answer
	volumesLeft          int
	counts               ossim.Counts // per request kind, for the breakdown line
}

// benchRealistic brings machines machines up at once (GetMachineStatus, CreateMachine,
// InitializeMachine, GetMachineStatus each), and when all are up takes them down at once
// (DeleteMachine each), for both drivers at the same time, each on its own in-process simulator
// with realistic latencies.
func benchRealistic(machines int) error {
	drivers, err := newDrivers()
	if err != nil {
		return err
	}
	var (
		res  [2]realisticResult
		errs [2]error
		wg   sync.WaitGroup
	)
	for i, nd := range drivers {
		wg.Go(func() {
			lat := ossim.RealisticLatencies()
			lat.Seed = realisticSeed
			sim, err := ossim.Start(ossim.Options{Latencies: lat})
			if err != nil {
				errs[i] = err
				return
			}
			defer sim.Close()
			if res[i], err = runRealistic(nd.d, sim, machines); err != nil {
				errs[i] = fmt.Errorf("realistic, %s driver: %w", nd.name, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	ours, peer := res[0], res[1]
	n := float64(machines)
	fmt.Printf("# realistic: %d machines at once per driver (both drivers at the same time, each on its own simulator), diskless %s booting from a %d GiB volume, simulator latencies %s builds, %s boot from volume, %s deletes, %s volumes; wall up+down ours=%.0fs peer=%.0fs; volumes left (not deleting) ours=%d peer=%d\n",
		machines, disklessFlavor, realisticRootDisk, ossim.RealisticLatencies().Build, ossim.RealisticLatencies().BuildVolume, ossim.RealisticLatencies().Delete,
		ossim.RealisticLatencies().Volume, ours.wall.Seconds(), peer.wall.Seconds(), ours.volumesLeft, peer.volumesLeft)
	fmt.Println("# requests_per_cycle_realistic: all requests (up and down) / machines; cycle_wall_seconds_realistic: mean of each machine's call time up plus down; requests_per_machine_realistic: requests until every machine is up / machines")
	fmt.Printf("# realistic requests by kind, ours: %s\n# realistic requests by kind, peer: %s\n", oneLine(ours.counts), oneLine(peer.counts))
	line("requests_per_cycle_realistic", float64(ours.requests)/n, float64(peer.requests)/n)
	line("cycle_wall_seconds_realistic", ours.cycleWall.Seconds()/n, peer.cycleWall.Seconds()/n)
	line("requests_per_machine_realistic", float64(ours.upRequests)/n, float64(peer.upRequests)/n)
	return nil
}

func runRealistic(d mcmdriver.Driver, sim *ossim.Sim, machines int) (realisticResult, error) {
	var res realisticResult
	class, secret, err := objectsWithRootDisk(sim.Seed(), sim.AuthURL(), disklessFlavor, realisticRootDisk)
	if err != nil {
		return res, err
	}
	ctx := context.Background()
	ms := make([]*mcmv1alpha1.Machine, machines)
	took := make([]time.Duration, machines)
	start := time.Now()
	if err := each(machines, func(i int) error {
		ms[i] = &mcmv1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("real-%d", i), Namespace: "bench"}}
		t := time.Now()
		err := up(ctx, d, class, secret, ms[i])
		took[i] = time.Since(t)
		return err
	}); err != nil {
		return res, err
	}
	res.upRequests = sim.Counts().Total()
	if err := each(machines, func(i int) error {
		t := time.Now()
		_, err := d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: ms[i], MachineClass: class, Secret: secret})
		took[i] += time.Since(t)
		if err != nil {
			return fmt.Errorf("%s: delete: %w", ms[i].Name, err)
		}
		return nil
	}); err != nil {
		return res, err
	}
	res.wall = time.Since(start)
	res.counts = sim.Counts()
	res.requests = res.counts.Total()
	for _, t := range took {
		res.cycleWall += t
	}
	if left := len(sim.Servers()) + len(sim.Ports()); left != 0 {
		return res, fmt.Errorf("%d servers/ports left behind", left)
	}
	for _, v := range sim.Volumes() {
		if v.Status != "deleting" { // Cinder is still removing the ones Nova deleted with their servers
			res.volumesLeft++
		}
	}
	return res, nil
}

// up is the first half of cycle: what MCM calls until a machine is Running.
func up(ctx context.Context, d mcmdriver.Driver, class *mcmv1alpha1.MachineClass, secret *corev1.Secret, m *mcmv1alpha1.Machine) error {
	_, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: m, MachineClass: class, Secret: secret})
	if c := code(err); c != codes.NotFound && c != codes.Unimplemented {
		if err == nil {
			return fmt.Errorf("%s: status before create: the machine exists already", m.Name)
		}
		return fmt.Errorf("%s: status before create: %w", m.Name, err)
	}
	created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: m, MachineClass: class, Secret: secret})
	if err != nil {
		return fmt.Errorf("%s: create: %w", m.Name, err)
	}
	m.Spec.ProviderID = created.ProviderID
	if _, err := d.InitializeMachine(ctx, &mcmdriver.InitializeMachineRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil && code(err) != codes.Unimplemented {
		return fmt.Errorf("%s: initialize: %w", m.Name, err)
	}
	if _, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil && code(err) != codes.Unimplemented {
		return fmt.Errorf("%s: status: %w", m.Name, err)
	}
	return nil
}

// each runs f for 0..n-1 all at once and returns the errors joined.
func each(n int, f func(int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// oneLine prints counters as "kind=n; kind=n" on one line, sorted by kind.
func oneLine(c ossim.Counts) string {
	parts := make([]string, 0, len(c))
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
	}
	return strings.Join(parts, "; ")
}
