// Package driver implements machine-controller-manager's driver.Driver for pluscloud open
// (OpenStack): one server per Machine, with driver-made Neutron ports and an optional
// Nova-managed root volume, found again by name and tags after any crash.
package driver

import (
	"context"
	"sync"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// Options tune the driver.
type Options struct {
	// Sessions tune the shared Keystone sessions (rate limit, retries, token refresh).
	Sessions openstack.SessionOptions
	// PollInterval is the first wait before looking at a server again; it grows to MaxPollInterval.
	PollInterval    time.Duration
	MaxPollInterval time.Duration
	// CreateTimeout bounds how long CreateMachine waits for ACTIVE. Keep it below MCM's
	// --machine-creation-timeout (20m) so a stuck server is cleaned up by us, not leaked.
	CreateTimeout time.Duration
	// DeleteTimeout bounds how long DeleteMachine waits for the server to disappear.
	DeleteTimeout time.Duration
	// RecentTTL is how long a server seen ACTIVE by CreateMachine answers InitializeMachine
	// without asking Nova again.
	RecentTTL time.Duration
	// CallObserver, when set, is told the MCM code and duration of every driver call (metrics).
	CallObserver func(method string, code codes.Code, took time.Duration)
}

// DefaultOptions are the production defaults.
func DefaultOptions() Options {
	return Options{
		Sessions:        openstack.DefaultSessionOptions(),
		PollInterval:    2 * time.Second,
		MaxPollInterval: 10 * time.Second,
		CreateTimeout:   15 * time.Minute,
		DeleteTimeout:   5 * time.Minute,
		RecentTTL:       time.Minute,
	}
}

// Driver is the pluscloud open machine driver.
type Driver struct {
	opts     Options
	sessions *openstack.SessionCache
	recent   *recentServers
	// absent remembers that GetMachineStatus just found no server for a machine, so the
	// CreateMachine MCM calls next does not look again.
	absent *absentServers
	// buildTime and deleteTime are Nova's typical durations, learned (see learnedDuration).
	buildTime, deleteTime learnedDuration
}

var _ mcmdriver.Driver = (*Driver)(nil)

// New returns a driver with its own session cache.
func New(opts Options) *Driver {
	return &Driver{
		opts:     opts,
		sessions: openstack.NewSessionCache(opts.Sessions),
		recent:   newRecentServers(opts.RecentTTL),
		absent:   newAbsentServers(absentTTL),
	}
}

// Sessions exposes the session cache (for tests and metrics).
func (d *Driver) Sessions() *openstack.SessionCache { return d.sessions }

// pollSchedule yields the waits between looks at a server: first the learned typical duration
// of the operation (so one look is usually enough), then growing waits.
type pollSchedule struct {
	next, max time.Duration
	// after is the wait after a learned first wait that was too short: the operation is
	// nearly done, so look again soon.
	after time.Duration
	first time.Duration
	learn *learnedDuration
	start time.Time
	looks int
}

func (d *Driver) newPollSchedule(learn *learnedDuration) *pollSchedule {
	p := &pollSchedule{next: d.opts.PollInterval, max: d.opts.MaxPollInterval, learn: learn, start: time.Now()}
	if learn != nil {
		if first, ok := learn.firstWait(d.opts.PollInterval/4, 2*time.Minute); ok {
			p.next, p.after = first, d.opts.PollInterval/2
		}
	}
	return p
}

func (p *pollSchedule) wait(ctx context.Context) error {
	t := time.NewTimer(p.next)
	defer t.Stop()
	if p.looks == 0 {
		p.first = p.next
		if p.after > 0 {
			p.next = p.after
		}
	}
	if p.looks > 0 || p.after == 0 {
		p.next = min(p.next*3/2, p.max)
	}
	p.looks++
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// done tells the learner how long the operation took, seen by the look that found it finished.
func (p *pollSchedule) done() {
	if p.learn != nil && p.looks > 0 {
		p.learn.observe(p.first, p.looks == 1, time.Since(p.start))
	}
}

// learnedDuration estimates how long Nova takes for one kind of operation (building a server,
// deleting one) from what the driver saw, so the first look comes when the operation is usually
// done: on a cloud where builds take 40 s, fixed growing waits cost about seven GETs per server,
// the learned wait one or two. When the first look finds the operation done, the next first wait
// is a bit shorter (the true duration may be shorter still); when it does not, the estimate
// becomes the time the operation was seen done.
type learnedDuration struct {
	mu       sync.Mutex
	estimate time.Duration
}

func (l *learnedDuration) firstWait(floor, ceiling time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.estimate == 0 {
		return 0, false
	}
	return min(max(l.estimate, floor), ceiling), true
}

func (l *learnedDuration) observe(firstWait time.Duration, doneOnFirstLook bool, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if doneOnFirstLook {
		l.estimate = firstWait * 17 / 20
		return
	}
	l.estimate = took
}

// track reports a finished driver call to the CallObserver.
func (d *Driver) track(method string, start time.Time, err error) {
	if d.opts.CallObserver == nil {
		return
	}
	code := codes.OK
	if err != nil {
		st, _ := status.FromError(err)
		code = st.Code()
	}
	d.opts.CallObserver(method, code, time.Since(start))
}
