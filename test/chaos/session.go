package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
	"github.com/pco-mcm/mcm-provider-pco/test/secretscan"
)

// session is what the simulator run and the real-cloud run share: the stack, the clock, the
// scaling of both deployments, the restarts of crashed controllers, and what the secret scan
// reads at the end (metrics and object snapshots taken along the way).
type session struct {
	ctx   context.Context
	stack *framework.Stack
	sec   *secretscan.Secrets
	begin time.Time
	// collect adds the secrets that appear during the run (bootstrap tokens, user data).
	collect func()
	// poll is the wait between looks in wait.
	poll time.Duration
	// crashes counts controller exits the run did not cause.
	crashes         int
	metrics         strings.Builder
	objectSnapshots []framework.ObjectJSON
}

func (s *session) stamp() string { return fmt.Sprintf("[%6.1fs]", time.Since(s.begin).Seconds()) }

// setReplicas scales the two deployments (see deployments).
func (s *session) setReplicas(workers, pinned int) error {
	for i, n := range []int{workers, pinned} {
		if n < 0 || n > math.MaxInt32 {
			return fmt.Errorf("%d replicas are out of range", n)
		}
		replicas := int32(n)
		if err := s.stack.UpdateMachineDeployment(s.ctx, deployments[i], func(md *mcmv1alpha1.MachineDeployment) { md.Spec.Replicas = replicas }); err != nil {
			return err
		}
	}
	return nil
}

// machines counts the Machines and those Running (not being deleted).
func (s *session) machines() (all, running int, err error) {
	ms, err := s.stack.Machines(s.ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range ms {
		if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning && m.DeletionTimestamp == nil {
			running++
		}
	}
	return len(ms), running, nil
}

// scrapeMetrics keeps the machine-controller's /metrics for the secret scan (before a restart
// loses them, and at the end).
func (s *session) scrapeMetrics() {
	s.metrics.WriteString(secretscan.ScrapeMetrics(s.stack.ProviderPort))
}

// snapshotObjects keeps the MCM objects and Events as they are now for the secret scan.
func (s *session) snapshotObjects(when string) {
	objs, _, err := framework.MCMObjectsJSON(s.ctx, s.stack.CP.Client, client.InNamespace(s.stack.Opts.Namespace))
	if err != nil {
		return
	}
	for _, o := range objs {
		o.Place += " (" + when + ")"
		s.objectSnapshots = append(s.objectSnapshots, o)
	}
}

// checkAlive restarts a controller that exited by itself, and counts it.
func (s *session) checkAlive() error {
	for _, p := range []*framework.Process{s.stack.MCM, s.stack.Provider} {
		if !p.Running() {
			s.crashes++
			fmt.Printf("%s %s exited by itself; last log lines:\n%s\n", s.stamp(), p.Name, p.Tail(1500))
			if err := p.Restart(); err != nil {
				return err
			}
		}
	}
	return nil
}

// wait looks every poll until done says so, the timeout passes or ctx ends.
func (s *session) wait(timeout time.Duration, done func() bool) (bool, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.ctx.Done():
			return false, s.ctx.Err()
		case <-time.After(s.poll):
		}
		if err := s.checkAlive(); err != nil {
			return false, err
		}
		s.collect()
		if done() {
			return true, nil
		}
	}
	return false, nil
}

// converge scales both deployments to final and waits until all their machines run; t gets the
// counts.
func (s *session) converge(final int, timeout time.Duration, t *tally) (bool, error) {
	if err := s.setReplicas(final, final); err != nil {
		return false, err
	}
	return s.wait(timeout, func() bool {
		all, running, err := s.machines()
		if err != nil {
			return false
		}
		t.machines, t.running = all, running
		return all == 2*final && running == 2*final
	})
}
