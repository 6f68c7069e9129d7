package ossim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
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
	keypairs     map[string]*keypair // userID + "/" + name: Nova keypairs belong to users
	servers      map[string]*server
	serverGroups map[string]*serverGroup

	networks  map[string]*network
	subnets   map[string]*subnet
	ports     map[string]*port
	secGroups map[string]*secGroup

	volumes     map[string]*volume
	volumeTypes []*volumeType

	quotas map[string]Quota
	seq    int // creation order, for stable sorting

	gone []ServerRecord // servers that no longer exist, for ServerHistory

	// The Reseller API's own state: its bearer tokens (value -> expiry) and the quota it was
	// given per project, section -> field -> value (the fields Nova, Neutron and Cinder enforce
	// live in quotas as well).
	resellerTokens map[string]time.Time
	resellerQuota  map[string]map[string]map[string]int64
}

func newState() *state {
	return &state{
		domains: map[string]*domain{}, projects: map[string]*project{}, users: map[string]*user{},
		appCreds: map[string]*appCred{}, tokens: map[string]*token{}, flavors: map[string]*flavor{},
		images: map[string]*image{}, keypairs: map[string]*keypair{}, servers: map[string]*server{},
		serverGroups: map[string]*serverGroup{}, networks: map[string]*network{}, subnets: map[string]*subnet{},
		ports: map[string]*port{}, secGroups: map[string]*secGroup{}, volumes: map[string]*volume{},
		quotas: map[string]Quota{}, resellerTokens: map[string]time.Time{},
		resellerQuota: map[string]map[string]map[string]int64{},
	}
}

type domain struct{ id, name string }

type project struct {
	seq                 int
	id, name, domainID  string
	description         string
	disabled            bool
	networkPreconfigure bool // as the Reseller API was told; the simulator does nothing with it
}

// user has the member role on the projects in roles. projectID is its default project, which
// Keystone scopes to when no scope is asked for (and the user has a role there); it grants no
// role by itself.
type user struct {
	seq                          int
	id, name, domainID, password string
	projectID                    string
	description                  string
	disabled                     bool
	roles                        map[string]bool // project IDs
}

func (u *user) memberOf(projectID string) bool { return projectID != "" && u.roles[projectID] }

type appCred struct {
	id, name, secret, userID, projectID string
	description                         string
	unrestricted                        bool
	expires                             time.Time // zero: never
	roles                               []string  // role names, those of the token it was made with
}

type token struct {
	id                string
	userID, projectID string // projectID is "" for an unscoped token
	methods           []string
	appCred           *appCred
	issued, expires   time.Time
}

type flavor struct {
	id, name             string
	vcpus, ramMB, diskGB int
	extraSpecs           map[string]string
}

type image struct {
	id, name, owner string
	minDisk, minRAM int // GiB, MiB
	size            int64
	visibility      string
	properties      map[string]string // Glance's free-form properties, rendered at top level
	tags            []string
	created         time.Time
}

type keypair struct {
	id                               int
	name, userID, publicKey, keyType string
	fingerprint                      string
	created                          time.Time
}

type serverGroup struct {
	id, name, projectID, userID string
	policy                      string
	members                     []string
}

type server struct {
	seq                   int
	id, name, description string
	projectID, userID     string
	status, taskState     string // status BUILD, ACTIVE or ERROR; taskState "" or "deleting"
	flavor                *flavor
	imageID               string // "" when booted from a volume
	keyName, az, host     string
	metadata              map[string]string
	tags                  []string
	userData              string
	configDrive           bool
	created, updated      time.Time
	launched              time.Time
	buildDone, deletedAt  time.Time
	deleteTime            time.Duration // how long its deletion takes, drawn when it begins
	stuck                 bool          // stays in BUILD (fault injection)
	failMsg               string        // goes to ERROR with this fault when the build ends
	leavePorts            bool          // Nova leaves its ports behind when the build fails (fault injection)
	leaveVolumes          bool          // Nova leaves its volumes behind when the build fails (fault injection)
	lingering             bool          // a delete was accepted but got lost: stays until deleted again
	lostDeletes           int
	fault                 *serverFault
	portIDs               []string
	novaPorts             map[string]bool // ports Nova made for this server (deleted with it)
	volumes               []attachedVolume
	group                 string
}

type serverFault struct {
	code    int
	message string
	created time.Time
}

type attachedVolume struct {
	id                  string
	deleteOnTermination bool
	novaMade            bool // created by Nova from the block device mapping
	leftOver            bool // the build failed and Nova could not delete it: listed, not attached, kept on delete
}

// vmState is Nova's vm_state for the server's status.
func (srv *server) vmState() string {
	return map[string]string{"BUILD": "building", "ACTIVE": "active", "ERROR": "error", "DELETED": "deleted"}[srv.status]
}

type network struct {
	seq                 int
	id, name, projectID string
	description         string
	shared, external    bool
	adminUp             bool
	tags                []string
	created, updated    time.Time
	revision            int
}

type subnet struct {
	seq                            int
	id, name, networkID, projectID string
	description                    string
	cidr                           netip.Prefix
	gateway                        netip.Addr
	next                           netip.Addr // where the sequential allocation goes on
	enableDHCP                     bool
	dns                            []string
	tags                           []string
	created, updated               time.Time
	revision                       int
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
	vnicType                           string
	status                             string
	tags                               []string
	adminUp, portSecurity              bool
	created, updated                   time.Time
	revision                           int
}

type fixedIP struct{ subnetID, address string }

type addressPair struct{ ip, mac string }

type secGroup struct {
	seq                              int
	id, name, description, projectID string
	tags                             []string
	rules                            []*sgRule
	created, updated                 time.Time
	revision                         int
}

type sgRule struct {
	id, groupID, projectID string
	direction, ethertype   string
	protocol               string // "" is any
	portMin, portMax       *int
	remoteIP, remoteGroup  string
	description            string
	created                time.Time
}

type volumeType struct{ id, name, description string }

type volume struct {
	seq                   int
	id, name, description string
	projectID, userID     string
	size                  int
	volumeType            string // name
	status                string // creating, available, in-use, deleting
	az                    string
	imageID               string
	bootable              bool
	attachedTo            string
	attachedAt            time.Time
	metadata              map[string]string
	created, updated      time.Time
	availableAt           time.Time
	deletedAt             time.Time // when it started deleting
	deleteTime            time.Duration
}

// newID returns a random version 4 UUID, the form of most OpenStack IDs.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newHexID is a Keystone ID: a version 4 UUID as 32 hex digits.
func newHexID() string { return strings.ReplaceAll(newID(), "-", "") }

// newToken looks like a Fernet token (which is what Keystone issues): opaque, URL-safe.
func newToken() string {
	b := make([]byte, 90)
	_, _ = rand.Read(b)
	return "gAAAAA" + hex.EncodeToString(b)
}

// newMAC uses the fa:16:3e prefix Neutron's default base_mac gives every port.
func newMAC() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", b[0], b[1], b[2])
}

// hostID is Nova's hostId: a hash of the project and the compute host, so tenants can tell
// whether two of their servers share a host without learning host names.
func hostID(projectID, host string) string {
	if host == "" {
		return ""
	}
	sum := sha256.Sum224([]byte(projectID + host))
	return hex.EncodeToString(sum[:])
}

func (st *state) nextSeq() int {
	st.seq++
	return st.seq
}

// tick applies every time-driven transition: builds end (ACTIVE, or ERROR with a fault),
// deleted servers disappear (their ports unbound or deleted, their volumes deleted or detached),
// volumes become available or disappear, long-expired tokens are forgotten. It runs under Sim.mu
// before each request and each snapshot, so time moves exactly when someone looks.
func (s *Sim) tick() {
	now := time.Now()
	st := s.st
	for _, srv := range st.servers {
		if srv.status == "BUILD" && !srv.stuck && !now.Before(srv.buildDone) {
			// Also for a server deleted while building: deleteServer put its deletion after this.
			s.endBuild(srv)
		}
		if srv.deletedAt.IsZero() {
			continue
		}
		switch age := now.Sub(srv.deletedAt); {
		case age >= srv.deleteTime:
			s.removeServer(srv)
			s.forget(srv, now)
		case age >= srv.deleteTime*3/4 && srv.status != "DELETED":
			// Real Nova (seen on Zed) shows the instance as DELETED, vm_state deleted and no
			// task, for a moment after the host destroyed it and before GET answers 404.
			srv.status, srv.taskState, srv.updated = "DELETED", "", now
		}
	}
	for id, v := range st.volumes {
		switch {
		case v.status == "deleting" && now.Sub(v.deletedAt) >= v.deleteTime:
			delete(st.volumes, id)
		case v.status == "creating" && !now.Before(v.availableAt):
			v.status, v.updated = "available", v.availableAt
		}
	}
	for id, t := range st.tokens {
		if now.After(t.expires.Add(time.Hour)) {
			delete(st.tokens, id)
		}
	}
	for id, exp := range st.resellerTokens {
		if now.After(exp.Add(time.Hour)) {
			delete(st.resellerTokens, id)
		}
	}
}

// endBuild ends a server's build at buildDone: ACTIVE, or ERROR with its fault.
func (s *Sim) endBuild(srv *server) {
	srv.updated = srv.buildDone
	if srv.failMsg != "" {
		s.failBuild(srv, srv.buildDone)
		return
	}
	srv.status, srv.launched = "ACTIVE", srv.buildDone
	for _, pid := range srv.portIDs {
		if p := s.st.ports[pid]; p != nil {
			p.status = "ACTIVE"
		}
	}
}

// failBuild puts a server into ERROR as a failed scheduling or build leaves it: Nova
// deallocates the network (its own ports go, the caller's are unbound) and the volumes it was
// to create do not exist; volumes the caller gave are released.
func (s *Sim) failBuild(srv *server, at time.Time) {
	srv.status, srv.host = "ERROR", ""
	srv.fault = &serverFault{code: 500, message: s.faultMessage(srv), created: at}
	if strings.HasPrefix(srv.fault.message, "No valid host was found.") {
		srv.az = "" // never scheduled (as the Zed lab shows it)
	}
	if srv.leavePorts {
		s.leavePorts(srv, at)
	}
	s.releasePorts(srv)
	var kept []attachedVolume
	for _, av := range srv.volumes {
		v := s.st.volumes[av.id]
		switch {
		case v == nil:
		case av.novaMade && srv.leaveVolumes:
			s.leaveVolume(v, at)
			if strings.Contains(srv.fault.message, volumeNotCreatedText) {
				// Nova records the volume in the block device mapping only once Cinder made it
				// (Zed's nova/virt/block_device.py): only the fault names it.
				continue
			}
			av.leftOver = true
			kept = append(kept, av)
			continue
		case av.novaMade:
			delete(s.st.volumes, av.id)
		default:
			v.attachedTo, v.status, v.updated = "", "available", at
		}
		if !av.novaMade {
			kept = append(kept, av)
		}
	}
	srv.volumes = kept
}

// releasePorts unbinds the ports the caller made and deletes the ones Nova made.
func (s *Sim) releasePorts(srv *server) {
	now := time.Now()
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
		p.updated = now
		p.revision++
	}
	srv.portIDs = nil
}

// removeServer finishes a server's deletion: ports released, volumes with
// delete_on_termination deleted, the others detached.
func (s *Sim) removeServer(srv *server) {
	s.releasePorts(srv)
	now := time.Now()
	for _, av := range srv.volumes {
		v := s.st.volumes[av.id]
		if v == nil || av.leftOver {
			continue
		}
		v.attachedTo, v.updated = "", now
		if av.deleteOnTermination {
			v.status, v.deletedAt, v.deleteTime = "deleting", now, s.latency(volumeChange)
		} else {
			v.status = "available"
		}
	}
	for _, g := range s.st.serverGroups {
		g.members = slices.DeleteFunc(g.members, func(m string) bool { return m == srv.id })
	}
}

// computeUsage is what a project's servers hold of its Nova quota. Nova counts an instance until
// its deletion completes, so servers that are being deleted still count.
func (st *state) computeUsage(projectID string) (instances, cores, ramMB int) {
	for _, srv := range st.servers {
		if srv.projectID == projectID {
			instances++
			cores += srv.flavor.vcpus
			ramMB += srv.flavor.ramMB
		}
	}
	return
}
