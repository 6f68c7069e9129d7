package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
)

// wallCycles is the number of machine cycles the wall100 group runs per driver.
const wallCycles = 100

// benchWall100 runs 100 machine cycles per driver at the simulator's default latency. The peer
// polls with fixed ~10s intervals in CreateMachine and in DeleteMachine, so 100 sequential peer
// cycles would take about half an hour. Instead, as MCM's machine controller does with
// --concurrent-syncs workers, concurrency workers take the cycles one after another from a
// shared queue (so at most concurrency cycles run at a time), identically for both drivers.
//
// To keep the bench short the two drivers run at the same time, each against its own
// simulator; both mostly wait (on polls, and ours on its per-credential rate limit), so they
// hardly compete for CPU.
func benchWall100(concurrency int) error {
	drivers, err := newDrivers()
	if err != nil {
		return err
	}
	var (
		walls    [2]time.Duration
		requests [2]int
		errs     [2]error
		wg       sync.WaitGroup
	)
	for i, nd := range drivers {
		wg.Go(func() {
			// A fresh in-process simulator per driver at its defaults (BuildTime 1s, DeleteTime 200ms).
			sim, err := ossim.Start(ossim.Options{})
			if err != nil {
				errs[i] = err
				return
			}
			defer sim.Close()
			walls[i], err = runConcurrent(nd.d, sim, wallCycles, concurrency)
			if err != nil {
				errs[i] = fmt.Errorf("wall100, %s driver: %w", nd.name, err)
			}
			requests[i] = sim.Counts().Total()
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	fmt.Printf("# cycle_wall_100: seconds for %d machine cycles at the simulator's default latency, run by %d concurrent workers (as MCM's --concurrent-syncs) for each driver, both drivers at once on separate simulators; requests ours=%d peer=%d (ours limits itself to %g requests/s per credential by default)\n",
		wallCycles, concurrency, requests[0], requests[1], driver.DefaultOptions().Sessions.RequestsPerSecond)
	line("cycle_wall_100", walls[0].Seconds(), walls[1].Seconds())
	return nil
}

// runConcurrent runs n cycles on workers goroutines and returns the wall time until all are done.
// The first failure cancels the cycles not yet started and is returned.
func runConcurrent(d mcmdriver.Driver, sim *ossim.Sim, n, workers int) (time.Duration, error) {
	class, secret, err := objects(sim.Seed(), sim.AuthURL(), simFlavor)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	queue := make(chan int, n)
	for i := range n {
		queue <- i
	}
	close(queue)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	for range min(workers, n) {
		wg.Go(func() {
			for i := range queue {
				if ctx.Err() != nil {
					return
				}
				if err := cycle(ctx, d, class, secret, fmt.Sprintf("wall-%d", i)); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if firstErr != nil {
		return 0, firstErr
	}
	if left := len(sim.Servers()) + len(sim.Ports()); left != 0 {
		return 0, fmt.Errorf("%d servers/ports left behind", left)
	}
	return wall, nil
}
