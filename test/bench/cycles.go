package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// seqResult is what one driver cost for its sequential cycles.
type seqResult struct {
	requests, auths int
	wall            time.Duration
	allocBytes      uint64 // runtime.MemStats.TotalAlloc growth
}

// benchCycles runs the sequential cycles of both drivers, each against a fresh simulator in a
// child process, and prints the cycles and/or alloc group's lines.
func benchCycles(cycles int, printCycles, printAlloc bool) error {
	drivers, err := newDrivers()
	if err != nil {
		return err
	}
	var res [2]seqResult
	for i, nd := range drivers {
		// A fresh simulator per driver, same settings, so neither pays for the other's state.
		sim, err := startSimProcess(3*time.Second, time.Second)
		if err != nil {
			return err
		}
		res[i], err = runSequential(nd.d, sim, cycles)
		sim.Close()
		if err != nil {
			return fmt.Errorf("cycles, %s driver: %w", nd.name, err)
		}
	}
	ours, peer := res[0], res[1]
	n := float64(cycles)
	if printCycles {
		line("requests_per_cycle", float64(ours.requests)/n, float64(peer.requests)/n)
		line("keystone_auths_per_cycle", float64(ours.auths)/n, float64(peer.auths)/n)
		line("cycle_wall_seconds", ours.wall.Seconds()/n, peer.wall.Seconds()/n)
	}
	if printAlloc {
		fmt.Printf("# alloc_bytes_per_cycle: TotalAlloc growth over the %d sequential cycles / cycles; the simulator ran in a child process, so its request handling is not included\n", cycles)
		line("alloc_bytes_per_cycle", float64(ours.allocBytes)/n, float64(peer.allocBytes)/n)
	}
	return nil
}

// runSequential runs cycles machine cycles one after the other. Between the two MemStats reads
// only the driver (with its HTTP client) and the bench loop run in this process; the
// simulator's counters and state are read over its admin API outside that window.
func runSequential(d mcmdriver.Driver, sim *simProcess, cycles int) (seqResult, error) {
	ctx := context.Background()
	class, secret, err := objects(sim.Seed(), sim.AuthURL(), simFlavor)
	if err != nil {
		return seqResult{}, err
	}
	if err := sim.ResetCounts(); err != nil {
		return seqResult{}, err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range cycles {
		if err := cycle(ctx, d, class, secret, fmt.Sprintf("bench-%d", i)); err != nil {
			return seqResult{}, err
		}
	}
	wall := time.Since(start)
	runtime.ReadMemStats(&after)
	counts, err := sim.Counts()
	if err != nil {
		return seqResult{}, err
	}
	if n, err := sim.Leftovers(); err != nil {
		return seqResult{}, err
	} else if n != 0 {
		return seqResult{}, fmt.Errorf("%d servers/ports left behind", n)
	}
	if os.Getenv("BENCH_ROUTES") != "" {
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			fmt.Printf("# route %s %d\n", k, counts[k])
		}
	}
	return seqResult{requests: counts.Total(), auths: counts.Get("identity POST /v3/auth/tokens"), wall: wall,
		allocBytes: after.TotalAlloc - before.TotalAlloc}, nil
}

// cycle drives what MCM does per machine: GetMachineStatus (create if NotFound or
// Unimplemented), CreateMachine, InitializeMachine (skipped when Unimplemented),
// GetMachineStatus, DeleteMachine.
func cycle(ctx context.Context, d mcmdriver.Driver, class *mcmv1alpha1.MachineClass, secret *corev1.Secret, name string) error {
	m := &mcmv1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench"}}
	_, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: m, MachineClass: class, Secret: secret})
	if c := code(err); c != codes.NotFound && c != codes.Unimplemented {
		if err == nil {
			return fmt.Errorf("%s: status before create: the machine exists already", name)
		}
		return fmt.Errorf("%s: status before create: %w", name, err)
	}
	created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: m, MachineClass: class, Secret: secret})
	if err != nil {
		return fmt.Errorf("%s: create: %w", name, err)
	}
	m.Spec.ProviderID = created.ProviderID
	if _, err := d.InitializeMachine(ctx, &mcmdriver.InitializeMachineRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil && code(err) != codes.Unimplemented {
		return fmt.Errorf("%s: initialize: %w", name, err)
	}
	if _, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil && code(err) != codes.Unimplemented {
		return fmt.Errorf("%s: status: %w", name, err)
	}
	if _, err := d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil {
		return fmt.Errorf("%s: delete: %w", name, err)
	}
	return nil
}
