package driver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/validation"
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// userDataKey is the Secret key MCM fills with the machine's bootstrap user data.
const userDataKey = "userData"

// scope is one driver call's view: the validated spec, who owns what, and the cloud clients.
type scope struct {
	spec     *api.MachineProviderConfigSpec
	owner    ownership
	region   string
	userData []byte
	// key identifies the credentials, region and cluster (for per-machine memos).
	key string

	compute openstack.Compute
	network openstack.Network
	image   openstack.Image
}

// newScope validates the MachineClass and Secret (all problems at once) and opens the shared
// session for the Secret's credentials. needUserData is set for calls that create a server.
func (d *Driver) newScope(ctx context.Context, class *v1alpha1.MachineClass, secret *corev1.Secret, needUserData bool) (*scope, error) {
	config, errs := validation.ValidateMachineClass(class)
	var data map[string][]byte
	if secret != nil {
		data = secret.Data
	} else {
		errs = append(errs, field.Required(field.NewPath("secret"), "the MachineClass's credentials Secret is missing"))
	}
	creds, credErrs := credentials.Parse(data)
	errs = append(errs, credErrs...)
	if needUserData {
		errs = append(errs, validation.ValidateUserData(data)...)
	}
	if len(errs) > 0 {
		return nil, &invalidSpecError{errs: errs}
	}
	spec := &config.Spec
	if creds.Region != "" && creds.Region != spec.Region {
		return nil, &invalidSpecError{errs: field.ErrorList{field.Invalid(field.NewPath("providerSpec", "spec", "region"), spec.Region,
			fmt.Sprintf("the credentials are for region %q", creds.Region))}}
	}

	session, err := d.sessions.Session(ctx, creds, spec.Region)
	if err != nil {
		return nil, err
	}
	s := &scope{spec: spec, owner: ownershipOf(spec), region: spec.Region, userData: data[userDataKey]}
	s.key = creds.CacheKey() + "\x00" + spec.Region + "\x00" + s.owner.clusterKey
	if s.compute, err = session.Compute(); err != nil {
		return nil, err
	}
	if s.network, err = session.Network(); err != nil {
		return nil, err
	}
	if s.image, err = session.Image(); err != nil {
		return nil, err
	}
	return s, nil
}

// ownPorts tells whether the driver makes the machine's ports itself: only when the spec pins
// subnets (Nova cannot pick the subnet of a port it makes). Otherwise Nova makes them and deletes
// them with the server, which saves creating, tagging, finding and deleting them.
func (s *scope) ownPorts() bool {
	return s.spec.NetworkID != "" && (len(s.spec.SubnetIDs) > 0 || (s.spec.SubnetID != nil && *s.spec.SubnetID != ""))
}

// podCIDRs are the pod network's CIDRs. Gardener sets both the legacy field and the list; the
// peer allows both, so do we.
func (s *scope) podCIDRs() []string {
	cidrs := s.spec.PodNetworkCIDRs
	if s.spec.PodNetworkCidr != "" {
		cidrs = append([]string{s.spec.PodNetworkCidr}, cidrs...)
	}
	return dedupe(cidrs)
}

// findOwnedServer finds the one server of this cluster named name. Servers of other clusters with
// the same name are ignored; two of ours is an error MCM's orphan handling resolves.
func (s *scope) findOwnedServer(ctx context.Context, name string) (*servers.Server, error) {
	found, err := s.compute.FindServersByName(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	var owned []servers.Server
	for i := range found {
		if s.owner.ownsServer(&found[i]) {
			owned = append(owned, found[i])
		}
	}
	switch len(owned) {
	case 0:
		return nil, fmt.Errorf("no server of this cluster is named %q: %w", name, openstack.ErrNotFound)
	case 1:
		return &owned[0], nil
	default:
		return nil, &openstack.MultipleFoundError{Kind: "server", Name: name, Count: len(owned)}
	}
}

// recentServers remembers servers that CreateMachine just saw ACTIVE and tagged, so the
// InitializeMachine call MCM makes right after does not have to ask Nova again.
type recentServers struct {
	ttl time.Duration

	mu      sync.Mutex
	servers map[string]recentServer
}

type recentServer struct {
	server *servers.Server
	seen   time.Time
}

func newRecentServers(ttl time.Duration) *recentServers {
	return &recentServers{ttl: ttl, servers: map[string]recentServer{}}
}

func (r *recentServers) put(s *servers.Server) {
	if r.ttl <= 0 {
		return
	}
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, e := range r.servers {
		if now.Sub(e.seen) > r.ttl {
			delete(r.servers, id)
		}
	}
	r.servers[s.ID] = recentServer{server: s, seen: now}
}

// get returns a server seen ACTIVE within the TTL.
func (r *recentServers) get(id string) *servers.Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.servers[id]
	if !ok || time.Since(e.seen) > r.ttl {
		delete(r.servers, id)
		return nil
	}
	return e.server
}

func (r *recentServers) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.servers, id)
}

// absentTTL bounds how long "no server" from GetMachineStatus spares CreateMachine its own look.
// MCM calls CreateMachine right after, in the same reconcile; only this process creates servers
// of its Machines (leader election), and any create attempt consumes the memo, so a retry looks again.
const absentTTL = 30 * time.Second

// absentServers remembers machines GetMachineStatus found no server for (by scope key and name).
type absentServers struct {
	ttl time.Duration

	mu   sync.Mutex
	seen map[string]time.Time
}

func newAbsentServers(ttl time.Duration) *absentServers {
	return &absentServers{ttl: ttl, seen: map[string]time.Time{}}
}

func (a *absentServers) put(s *scope, name string) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, t := range a.seen {
		if now.Sub(t) > a.ttl {
			delete(a.seen, k)
		}
	}
	a.seen[s.key+"\x00"+name] = now
}

// take reports and forgets a fresh "no server" for the machine.
func (a *absentServers) take(s *scope, name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := s.key + "\x00" + name
	t, ok := a.seen[k]
	delete(a.seen, k)
	return ok && time.Since(t) <= a.ttl
}
