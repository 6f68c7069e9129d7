package driver

import (
	"context"
	"fmt"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
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

	session *openstack.Session
	compute openstack.Compute
	network openstack.Network
	image   openstack.Image
}

// newScope validates the MachineClass and Secret (all problems at once) and opens the shared
// session for the Secret's credentials. needUserData is set for calls that create a server.
func (d *Driver) newScope(ctx context.Context, class *mcmv1alpha1.MachineClass, secret *corev1.Secret, needUserData bool) (*scope, error) {
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
	normalize(spec)
	if creds.Region != "" && creds.Region != spec.Region {
		return nil, &invalidSpecError{errs: field.ErrorList{field.Invalid(field.NewPath("providerSpec", "spec", "region"), spec.Region,
			fmt.Sprintf("the credentials are for region %q", creds.Region))}}
	}

	session, err := d.sessions.Session(ctx, creds, spec.Region)
	if err != nil {
		return nil, err
	}
	s := &scope{spec: spec, owner: ownershipOf(spec), region: spec.Region, userData: data[userDataKey], session: session}
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
	return s.spec.NetworkID != "" && len(s.spec.SubnetIDs) > 0
}

// normalize folds the legacy single-value fields into their lists, once, after validation:
// Gardener sets both subnetID and subnetIDs, podNetworkCidr and podNetworkCIDRs; the peer
// allows both, so do we, and the driver reads only the lists.
func normalize(spec *api.MachineProviderConfigSpec) {
	if spec.SubnetID != nil && *spec.SubnetID != "" {
		spec.SubnetIDs = append([]string{*spec.SubnetID}, spec.SubnetIDs...)
	}
	spec.SubnetIDs, spec.SubnetID = dedupe(spec.SubnetIDs), nil
	if spec.PodNetworkCidr != "" {
		spec.PodNetworkCIDRs = append([]string{spec.PodNetworkCidr}, spec.PodNetworkCIDRs...)
	}
	spec.PodNetworkCIDRs, spec.PodNetworkCidr = dedupe(spec.PodNetworkCIDRs), ""
}

// findOwnedServer finds the one server of this cluster named name. Servers of other clusters with
// the same name are ignored; two of ours is an error MCM's orphan handling resolves.
func (s *scope) findOwnedServer(ctx context.Context, name string) (*openstack.Server, error) {
	found, err := s.compute.FindServersByName(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	var owned []openstack.Server
	for i := range found {
		if s.owner.ownsServer(&found[i].Server) {
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

// ownedServer returns the server of providerID if it belongs to this cluster. A server of
// another cluster (or of nobody's) is reported as a notOwnedError, which counts as not found:
// MCM's contract is that a provider acts only on the machines of the cluster its MachineClass
// names.
func (s *scope) ownedServer(ctx context.Context, providerID string) (*openstack.Server, error) {
	id, err := decodeProviderID(providerID)
	if err != nil {
		return nil, &invalidReferenceError{err: err}
	}
	server, err := s.compute.GetServer(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.owner.ownsServer(&server.Server) {
		return nil, &notOwnedError{serverID: id, cluster: s.owner.clusterKey}
	}
	return server, nil
}

// lookupServer finds the machine's server by provider ID, or by name when there is none yet; only
// a server of this cluster counts.
func (s *scope) lookupServer(ctx context.Context, name, providerID string) (*openstack.Server, error) {
	if providerID == "" {
		return s.findOwnedServer(ctx, name)
	}
	return s.ownedServer(ctx, providerID)
}

// storage returns the Cinder client, made only for the calls that need it.
func (s *scope) storage() (openstack.BlockStorage, error) {
	return s.session.BlockStorage()
}
