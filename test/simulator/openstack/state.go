package ossim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// state is everything the simulated cloud holds; guarded by Sim.mu.
type state struct {
	domains  map[string]*domain
	projects map[string]*project
	users    map[string]*user
	appCreds map[string]*appCred
	tokens   map[string]*token

	flavors      map[string]*flavor
	images       map[string]*image
	keypairs     map[string]*keypair // projectID + "/" + name
	servers      map[string]*server
	serverGroups map[string]*serverGroup

	networks  map[string]*network
	subnets   map[string]*subnet
	ports     map[string]*port
	secGroups map[string]*secGroup

	volumes     map[string]*volume
	volumeTypes []string

	quotas map[string]Quota
	seq    int // creation order, so lists sort stably
}

func newState() *state {
	return &state{
		domains: map[string]*domain{}, projects: map[string]*project{}, users: map[string]*user{},
		appCreds: map[string]*appCred{}, tokens: map[string]*token{}, flavors: map[string]*flavor{},
		images: map[string]*image{}, keypairs: map[string]*keypair{}, servers: map[string]*server{},
		serverGroups: map[string]*serverGroup{}, networks: map[string]*network{}, subnets: map[string]*subnet{},
		ports: map[string]*port{}, secGroups: map[string]*secGroup{}, volumes: map[string]*volume{},
		quotas: map[string]Quota{},
	}
}

type domain struct{ id, name string }

type project struct{ id, name, domainID string }

type user struct{ id, name, domainID, password, projectID string }

type appCred struct{ id, name, secret, userID, projectID string }

type token struct {
	id                string
	userID, projectID string
	methods           []string
	issued, expires   time.Time
}

type flavor struct {
	id, name             string
	vcpus, ramMB, diskGB int
	extraSpecs           map[string]string
	public               bool
}

type image struct {
	id, name        string
	minDisk, minRAM int
	size            int64
	created         time.Time
	visibility      string
}

type keypair struct{ name, projectID, publicKey, fingerprint string }

type serverGroup struct {
	id, name, projectID string
	policy              string
	members             []string
}

type server struct {
	seq                         int
	id, name, projectID, userID string
	status, taskState           string
	flavor                      *flavor
	imageID                     string
	keyName, az                 string
	metadata                    map[string]string
	tags                        []string
	userData                    string
	configDrive                 bool
	created, updated            time.Time
	buildDone                   time.Time
	deletedAt                   time.Time
	stuck                       bool
	failMsg                     string
	fault                       *serverFault
	portIDs                     []string
	novaPorts                   map[string]bool // ports Nova made for this server (deleted with it)
	volumes                     []attachedVolume
	secGroupNames               []string
	group                       string
}

type serverFault struct {
	code    int
	message string
	created time.Time
}

type attachedVolume struct {
	id                  string
	deleteOnTermination bool
}

type network struct {
	id, name, projectID string
	shared, external    bool
	tags                []string
	created             time.Time
	seq                 int
}

type subnet struct {
	id, name, networkID, projectID string
	cidr                           netip.Prefix
	gateway                        netip.Addr
	next                           netip.Addr
	tags                           []string
	seq                            int
}

type port struct {
	seq                                int
	id, name, description              string
	networkID, projectID               string
	mac                                string
	fixedIPs                           []fixedIP
	allowedPairs                       []addressPair
	secGroups                          []string
	deviceID, deviceOwner, bindingHost string
	status                             string
	tags                               []string
	adminUp, portSecurity              bool
	created, updated                   time.Time
	revision                           int
}

type fixedIP struct{ SubnetID, IPAddress string }

type addressPair struct{ IPAddress, MACAddress string }

type secGroup struct {
	seq                              int
	id, name, description, projectID string
	tags                             []string
	rules                            []map[string]any
}

type volume struct {
	seq                   int
	id, name, description string
	projectID             string
	size                  int
	volumeType            string
	status                string
	az                    string
	imageID               string
	bootable              bool
	attachedTo            string
	metadata              map[string]string
	created               time.Time
	availableAt           time.Time
	deleting              bool
	deletedAt             time.Time
}

// newID returns a random UUID (version 4 layout), as OpenStack IDs are.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "gAAAAA" + hex.EncodeToString(b)
}

func newMAC() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", b[0], b[1], b[2])
}

func (st *state) nextSeq() int {
	st.seq++
	return st.seq
}

// tick applies every time-driven transition: builds finish (ACTIVE, or ERROR with a fault),
// deleted servers disappear (their ports unbound or deleted, their volumes deleted or detached),
// volumes become available or disappear. It runs under Sim.mu before each request and snapshot.
func (s *Sim) tick() {
	now := time.Now()
	st := s.st
	for id, srv := range st.servers {
		switch {
		case !srv.deletedAt.IsZero():
			if now.Sub(srv.deletedAt) >= s.opts.DeleteTime {
				s.removeServer(srv)
				delete(st.servers, id)
			}
		case srv.status == "BUILD" && !srv.stuck && !now.Before(srv.buildDone):
			srv.updated = now
			if srv.failMsg != "" {
				srv.status = "ERROR"
				srv.fault = &serverFault{code: 500, message: srv.failMsg, created: now}
				// Nova deallocates the network of a failed build: its own ports go, ours are unbound.
				s.releasePorts(srv)
			} else {
				srv.status = "ACTIVE"
				for _, pid := range srv.portIDs {
					if p := st.ports[pid]; p != nil {
						p.status = "ACTIVE"
					}
				}
			}
		}
	}
	for id, v := range st.volumes {
		switch {
		case v.deleting && now.Sub(v.deletedAt) >= s.opts.VolumeTime:
			delete(st.volumes, id)
		case v.status == "creating" && !now.Before(v.availableAt):
			v.status = "available"
		}
	}
	for id, t := range st.tokens {
		if now.After(t.expires.Add(time.Hour)) {
			delete(st.tokens, id)
		}
	}
}

// releasePorts unbinds the ports the user made and deletes the ones Nova made.
func (s *Sim) releasePorts(srv *server) {
	for _, pid := range srv.portIDs {
		p := s.st.ports[pid]
		if p == nil {
			continue
		}
		if srv.novaPorts[pid] {
			delete(s.st.ports, pid)
			continue
		}
		p.deviceID, p.deviceOwner, p.bindingHost, p.status = "", "", "", "DOWN"
		p.updated = time.Now()
		p.revision++
	}
	srv.portIDs = nil
}

// removeServer finishes a server's deletion.
func (s *Sim) removeServer(srv *server) {
	s.releasePorts(srv)
	now := time.Now()
	for _, av := range srv.volumes {
		v := s.st.volumes[av.id]
		if v == nil {
			continue
		}
		v.attachedTo = ""
		if av.deleteOnTermination {
			v.status, v.deleting, v.deletedAt = "deleting", true, now
		} else {
			v.status = "available"
		}
	}
	for _, g := range s.st.serverGroups {
		g.members = removeString(g.members, srv.id)
	}
}

func removeString(list []string, v string) []string {
	out := list[:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// sortedServers returns the servers of a project, newest first (Nova's default sort).
func (st *state) sortedServers(projectID string) []*server {
	var out []*server
	for _, s := range st.servers {
		if s.projectID == projectID {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq > out[j].seq })
	return out
}
