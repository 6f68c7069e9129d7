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

// take returns and forgets a recently seen server.
func (r *recentServers) take(id string) *servers.Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.servers[id]
	delete(r.servers, id)
	if !ok || time.Since(e.seen) > r.ttl {
		return nil
	}
	return e.server
}

func (r *recentServers) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.servers, id)
}
