package driver

import (
	"sync"
	"time"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// The driver's memos spare requests within one burst of MCM calls for a machine (status, then
// create; create, then initialize and status; status, then delete). They are kept for MemoTTL,
// a few seconds: long enough for that burst, too short to answer from a stale view (a server
// deleted out of band or gone to ERROR is looked at again on the next reconcile), and short
// enough that a second controller instance cannot slip a create in between (no reliance on
// leader election).

// recentServers remembers servers of a cluster the driver just saw, owned and in good shape:
// ACTIVE and initialized after a create or initialize, or a status answer. The next call for the
// same server within the TTL is answered without asking Nova again.
type recentServers struct {
	ttl time.Duration

	mu      sync.Mutex
	servers map[string]recentServer
}

type recentServer struct {
	server *openstack.Server
	seen   time.Time
}

func newRecentServers(ttl time.Duration) *recentServers {
	return &recentServers{ttl: ttl, servers: map[string]recentServer{}}
}

// put remembers server as seen now by a call in scope s (its credentials, region and cluster).
func (r *recentServers) put(s *scope, server *openstack.Server) {
	if r.ttl <= 0 {
		return
	}
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, e := range r.servers {
		if now.Sub(e.seen) > r.ttl {
			delete(r.servers, k)
		}
	}
	r.servers[s.key+"\x00"+server.ID] = recentServer{server: server, seen: now}
}

// get returns the server with this ID seen in scope s within the TTL, or nil.
func (r *recentServers) get(s *scope, id string) *openstack.Server {
	if id == "" {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := s.key + "\x00" + id
	e, ok := r.servers[k]
	if !ok || time.Since(e.seen) > r.ttl {
		delete(r.servers, k)
		return nil
	}
	return e.server
}

// forget drops every memo of the server (it is being deleted).
func (r *recentServers) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, e := range r.servers {
		if e.server.ID == id {
			delete(r.servers, k)
		}
	}
}

// machineMoments remember, for ttl, a moment per machine (by scope key and name): that
// GetMachineStatus found no server for it (Driver.absent), or that its create went out without
// an answer (unansweredCreates).
type machineMoments struct {
	ttl time.Duration

	mu   sync.Mutex
	seen map[string]time.Time
}

func newMachineMoments(ttl time.Duration) *machineMoments {
	return &machineMoments{ttl: ttl, seen: map[string]time.Time{}}
}

// put remembers now for the machine (nothing with a ttl of 0).
func (m *machineMoments) put(s *scope, name string) {
	if m.ttl <= 0 {
		return
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, t := range m.seen {
		if now.Sub(t) > m.ttl {
			delete(m.seen, k)
		}
	}
	m.seen[machineKey(s, name)] = now
}

// last is the machine's moment, if it is no older than ttl.
func (m *machineMoments) last(s *scope, name string) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.seen[machineKey(s, name)]
	return t, ok && time.Since(t) <= m.ttl
}

// take reports and forgets a fresh moment of the machine.
func (m *machineMoments) take(s *scope, name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := machineKey(s, name)
	t, ok := m.seen[k]
	delete(m.seen, k)
	return ok && time.Since(t) <= m.ttl
}

func machineKey(s *scope, name string) string { return s.key + "\x00" + name }

// clusterFlags remember a fact per scope (credentials, region, cluster) for the process's life:
// that all its servers carry our Nova tags (seen by a full listing, so ListMachines may let Nova
// filter by tag), or that none of its volumes is left behind by a failed build.
type clusterFlags struct {
	mu   sync.Mutex
	done map[string]bool
}

func (t *clusterFlags) all(s *scope) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done[s.key]
}

func (t *clusterFlags) mark(s *scope) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		t.done = map[string]bool{}
	}
	t.done[s.key] = true
}

// pending clears the flag: it has to be established again.
func (t *clusterFlags) pending(s *scope) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.done, s.key)
}
