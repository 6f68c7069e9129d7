package driver

import (
	"context"
	"slices"
	"sync"
	"time"
)

// pollSchedule yields the waits between looks at a server: first the learned typical duration
// of the operation (so one look is usually enough), then growing waits.
type pollSchedule struct {
	next, max time.Duration
	// after is the wait after a learned first wait that was too short: the operation is
	// nearly done, so look again soon.
	after time.Duration
	first time.Duration
	// waited is the last wait: a look may use what a listing started within a quarter of it
	// saw (serverWatch).
	waited time.Duration
	learn  *learnedDuration
	start  time.Time
	looks  int
}

func (d *Driver) newPollSchedule(learn *learnedDuration) *pollSchedule {
	p := &pollSchedule{next: d.opts.PollInterval, max: d.opts.MaxPollInterval, learn: learn, start: time.Now()}
	if learn != nil {
		if first, ok := learn.firstWait(d.opts.PollInterval/4, maxLearnedWait); ok {
			p.next, p.after = first, d.opts.PollInterval/2
		}
	}
	return p
}

func (p *pollSchedule) wait(ctx context.Context) error {
	t := time.NewTimer(p.next)
	defer t.Stop()
	p.waited = p.next
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

// saturated tells whether the waits have grown to their longest: the operation takes much longer
// than it should.
func (p *pollSchedule) saturated() bool {
	return p.looks > 1 && p.next >= p.max
}

// done tells the learner how long the operation took, seen by the look that found it finished.
func (p *pollSchedule) done() {
	if p.learn != nil && p.looks > 0 {
		p.learn.observe(p.first, p.looks == 1, time.Since(p.start))
	}
}

// maxLearnedWait caps the first wait: however slow builds were, a server is looked at within it.
const maxLearnedWait = 2 * time.Minute

// learnedSamples is how many recent durations an estimate is made from.
const learnedSamples = 16

// learnedDuration estimates how long Nova takes for one kind of operation (building a server of
// one boot mode in one region, deleting one) from what the driver saw, so the first look comes
// when the operation is usually done: on a cloud where builds take 40 s, fixed growing waits cost
// about seven GETs per server, the learned wait one or two.
//
// The estimate is the upper quartile of the recent samples: high enough that one look is
// usually enough, while one slow build (a 120 s boot from volume among 30 s ones), or a few,
// cannot make every following create wait 120 s before its first look. A sample is the time the
// operation was seen done; when the first look already found it done, the true duration may be
// shorter still, so the sample is a bit below that first wait, and the estimate creeps down until
// a look comes too early.
type learnedDuration struct {
	mu      sync.Mutex
	samples []time.Duration // ring of the last learnedSamples
	next    int
}

func (l *learnedDuration) firstWait(floor, ceiling time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.samples) == 0 {
		return 0, false
	}
	sorted := slices.Sorted(slices.Values(l.samples))
	return min(max(sorted[(len(sorted)-1)*3/4], floor), ceiling), true
}

func (l *learnedDuration) observe(firstWait time.Duration, doneOnFirstLook bool, took time.Duration) {
	sample := took
	if doneOnFirstLook {
		sample = firstWait * 17 / 20
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.samples) < learnedSamples {
		l.samples = append(l.samples, sample)
		return
	}
	l.samples[l.next] = sample
	l.next = (l.next + 1) % learnedSamples
}

// learners keeps one learnedDuration per kind of operation: builds differ by region and boot mode
// (a boot from a Cinder volume takes longer than one from local disk), deletes by region.
type learners struct {
	mu sync.Mutex
	m  map[string]*learnedDuration
}

func (l *learners) of(key string) *learnedDuration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*learnedDuration{}
	}
	if l.m[key] == nil {
		l.m[key] = &learnedDuration{}
	}
	return l.m[key]
}

// Operations whose durations are learned.
const (
	opBuild  = "build"
	opDelete = "delete"
)

// learnKey names the learned duration of op on servers of one region and boot mode.
func learnKey(op, region string, fromVolume bool) string {
	mode := "local"
	if fromVolume {
		mode = "volume"
	}
	return op + "\x00" + region + "\x00" + mode
}

// staleness is how old a shared listing may be for the look after this wait.
func (p *pollSchedule) staleness() time.Duration {
	return p.waited / 4
}
