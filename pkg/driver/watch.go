package driver

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// serverWatch shares the looks at the servers the driver waits on (builds, deletes) within one
// project and cluster. A MachineDeployment scaled by 100 makes MCM create 100 servers at once;
// looking at each with its own GET costs one request per server per look, while one listing of
// the cluster's servers that changed lately answers every waiter at once. With one waiter alone
// a GET is cheaper and stays the way.
//
// A listing only ever confirms what it shows: a waited-on server missing from it (not tagged:
// the peer's; a clock far off Nova's; gone) is looked at with its own GET, so the answer is never
// worse than a GET's.
type serverWatch struct {
	mu     sync.Mutex
	scopes map[string]*watchedScope
}

type watchedScope struct {
	// waiters are the current waiters: listings ask Nova only for servers changed since the
	// oldest of them started.
	waiters map[*watchTicket]bool
	last    *serverListing
}

// serverListing is one listing, shared by all who ask while it runs or soon after it started.
type serverListing struct {
	started time.Time
	done    chan struct{}
	servers map[string]*openstack.Server
	err     error
}

// watchTicket is one waiter's registration.
type watchTicket struct {
	w     *serverWatch
	key   string
	start time.Time
}

// clockSlack widens changes-since for a Nova clock behind ours; a server it still misses costs
// its own GET, nothing worse.
const clockSlack = 5 * time.Minute

// watch registers a waiter on a server of the scope until the returned ticket is released.
func (w *serverWatch) watch(s *scope) *watchTicket {
	key := s.key + "\x00" + strings.Join(s.owner.serverTags(), ",")
	t := &watchTicket{w: w, key: key, start: time.Now()}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.scopes == nil {
		w.scopes = map[string]*watchedScope{}
	}
	ws := w.scopes[key]
	if ws == nil {
		ws = &watchedScope{waiters: map[*watchTicket]bool{}}
		w.scopes[key] = ws
	}
	ws.waiters[t] = true
	return t
}

func (t *watchTicket) release() {
	t.w.mu.Lock()
	defer t.w.mu.Unlock()
	ws := t.w.scopes[t.key]
	delete(ws.waiters, t)
	if len(ws.waiters) == 0 {
		delete(t.w.scopes, t.key)
	}
}

// look returns the server as Nova shows it now: from a listing started at most staleness ago (or
// still running) when others wait too, else with a GET. listed tells whether a listing answered;
// a server a listing does not show is looked at with a GET.
func (t *watchTicket) look(ctx context.Context, s *scope, id string, staleness time.Duration) (server *openstack.Server, listed bool, err error) {
	if l := t.listing(ctx, s, staleness); l != nil {
		select {
		case <-l.done:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		if found, ok := l.servers[id]; ok && l.err == nil {
			copied := *found
			return &copied, true, nil
		}
	}
	server, err = s.compute.GetServer(ctx, id)
	return server, false, err
}

// listing returns a listing to read the server from, starting one if none is recent enough; nil
// when this waiter is alone.
func (t *watchTicket) listing(ctx context.Context, s *scope, staleness time.Duration) *serverListing {
	t.w.mu.Lock()
	ws := t.w.scopes[t.key]
	if len(ws.waiters) < 2 {
		t.w.mu.Unlock()
		return nil
	}
	now := time.Now()
	// A listing started before this waiter may predate its server.
	if l := ws.last; l != nil && now.Sub(l.started) <= staleness && !l.started.Before(t.start) {
		t.w.mu.Unlock()
		return l
	}
	oldest := now
	for w := range ws.waiters {
		if w.start.Before(oldest) {
			oldest = w.start
		}
	}
	l := &serverListing{started: now, done: make(chan struct{}), servers: map[string]*openstack.Server{}}
	ws.last = l
	t.w.mu.Unlock()

	opts := servers.ListOpts{
		Limit:        listPageSize,
		Tags:         strings.Join(s.owner.serverTags(), ","),
		ChangesSince: oldest.Add(-clockSlack).UTC().Format(time.RFC3339),
	}
	l.err = s.compute.ListServers(ctx, opts, func(page []openstack.Server) bool {
		for i := range page {
			l.servers[page[i].ID] = &page[i]
		}
		return true
	})
	close(l.done)
	return l
}
