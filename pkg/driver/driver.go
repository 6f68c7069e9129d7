// Package driver implements machine-controller-manager's driver.Driver for pluscloud open
// (OpenStack): one server per Machine, on ports Nova makes (or the driver, when the spec pins
// subnets) and an optional Nova-managed root volume, found again by name and markers after any
// crash, and acting only on servers of the MachineClass's cluster.
package driver

import (
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
	// MemoTTL is how long what the driver just saw of a machine's server (or of its absence)
	// answers the next call for it without asking Nova again (see memo.go).
	MemoTTL time.Duration
	// UnansweredCreateWait is how long Nova may take to list a server after a create request
	// (see unansweredCreates): a machine whose create may have been sent without an answer, by
	// the process before this one or by a POST whose outcome is unknown, is not created again
	// before then, and its server is adopted as soon as it shows. 0 turns the wait off.
	UnansweredCreateWait time.Duration
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
		MemoTTL:         3 * time.Second,
		// Nova answered creates in up to 12 s on the Zed lab while its services restarted.
		UnansweredCreateWait: time.Minute,
	}
}

// Driver is the pluscloud open machine driver.
type Driver struct {
	opts     Options
	sessions *openstack.SessionCache
	recent   *recentServers
	// absent remembers that GetMachineStatus just found no server for a machine, so the
	// CreateMachine MCM calls next does not look again.
	absent *machineMoments
	// tagged remembers the clusters whose servers all carry our Nova tags (see ListMachines).
	tagged clusterFlags
	// leftovers remembers the clusters with no volume left by a failed build (sweepLeftovers).
	leftovers clusterFlags
	// durations are Nova's typical build and delete times, learned (see learnedDuration).
	durations learners
	// watch shares the looks at servers being built or deleted at once (see serverWatch).
	watch serverWatch
	// unanswered knows the machines whose create may be underway in Nova unseen.
	unanswered *unansweredCreates
}

var _ mcmdriver.Driver = (*Driver)(nil)

// New returns a driver with its own session cache.
func New(opts Options) *Driver {
	return &Driver{
		opts:     opts,
		sessions: openstack.NewSessionCache(opts.Sessions),
		recent:   newRecentServers(opts.MemoTTL),
		absent:   newMachineMoments(opts.MemoTTL),

		unanswered: newUnansweredCreates(opts.UnansweredCreateWait),
	}
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
