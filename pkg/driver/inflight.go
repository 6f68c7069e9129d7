package driver

import (
	"context"
	"errors"
	"time"

	"k8s.io/klog/v2"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// unansweredCreates knows when a server create of a machine may have been sent without its
// answer coming back: by the process before this one (killed while it waited for Nova), or by
// this process when a POST's outcome was unknown and the server did not show. Nova lists a
// server only once its API has checked the request against Keystone, Glance and Neutron, which
// took 12 s on the Zed lab while rabbitmq and keystone restarted; a look in between finds
// nothing, and a second POST makes a second server. Nova has no idempotency key to prevent it.
type unansweredCreates struct {
	started time.Time
	wait    time.Duration
	// sent are this process's creates whose outcome is unknown.
	sent *machineMoments
}

func newUnansweredCreates(wait time.Duration) *unansweredCreates {
	return &unansweredCreates{started: time.Now(), wait: wait, sent: newMachineMoments(wait)}
}

// until is when a create of the machine sent without an answer would have shown in Nova's list
// for sure. A Machine older than this process may have had one from the process before; its
// creation time is unknown only to tests that build Machines by hand.
func (u *unansweredCreates) until(s *scope, name string, machineCreated time.Time) time.Time {
	if u.wait <= 0 {
		return time.Time{}
	}
	var until time.Time
	// Creation times have whole seconds: a Machine of the second this process started in is
	// taken as younger, since a process that made it and died would not have been replaced yet.
	if !machineCreated.IsZero() && machineCreated.Before(u.started.Truncate(time.Second)) {
		until = u.started.Add(u.wait)
	}
	if t, ok := u.sent.last(s, name); ok && t.Add(u.wait).After(until) {
		until = t.Add(u.wait)
	}
	return until
}

// put records a POST of the machine's server whose outcome is unknown.
func (u *unansweredCreates) put(s *scope, name string) { u.sent.put(s, name) }

// awaitUnanswered looks for the machine's server until a create sent without an answer would
// have shown (until), and returns it as soon as it does; ErrNotFound once no such create can be
// underway any more.
func (d *Driver) awaitUnanswered(ctx context.Context, s *scope, name string, until time.Time) (*openstack.Server, error) {
	klog.FromContext(ctx).Info("An earlier create of the machine may still be underway in Nova; waiting for its server before making one", "until", until.UTC().Format(time.RFC3339))
	poll := d.newPollSchedule(nil)
	for {
		server, err := s.findOwnedServer(ctx, name)
		if err == nil || !errors.Is(err, openstack.ErrNotFound) || !time.Now().Before(until) {
			return server, err
		}
		wctx, cancel := context.WithDeadline(ctx, until)
		_ = poll.wait(wctx) // cut short at until, for one last look
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}
