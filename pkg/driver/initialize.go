package driver

import (
	"context"
	"slices"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"k8s.io/klog/v2"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// InitializeMachine waits until the server MCM just created (or found in BUILD, or made by an
// earlier attempt or by the peer driver) is ACTIVE, puts the pod CIDRs on its ports and our Nova
// tags on it, and marks it initialized last of all. Right after CreateMachine the server is known
// to be complete, so this costs no request.
func (d *Driver) InitializeMachine(ctx context.Context, req *mcmdriver.InitializeMachineRequest) (resp *mcmdriver.InitializeMachineResponse, err error) {
	defer func(start time.Time) { d.track("InitializeMachine", start, err) }(time.Now())
	name := req.Machine.Name
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, false)
	if err != nil {
		return nil, statusError("initialize machine "+name, err)
	}
	server := d.recentServer(s, req.Machine.Spec.ProviderID)
	if server == nil {
		if server, err = s.lookupServer(ctx, name, req.Machine.Spec.ProviderID); err != nil {
			return nil, statusError("initialize machine "+name, err)
		}
		if server, err = d.adoptServer(ctx, s, server); err != nil {
			return nil, statusError("initialize machine "+name, err)
		}
		d.recent.put(s, server)
	}
	return &mcmdriver.InitializeMachineResponse{
		ProviderID: encodeProviderID(s.region, server.ID),
		NodeName:   server.Name,
		Addresses:  nodeAddresses(&server.Server),
	}, nil
}

// adoptServer finishes a server an earlier attempt (or the peer driver) made: it waits until it
// is ACTIVE, lets the pod network through its ports, and then tags it ours and initialized, in
// this order, so the mark is there only when everything before it is.
func (d *Driver) adoptServer(ctx context.Context, s *scope, server *openstack.Server) (*openstack.Server, error) {
	klog.FromContext(ctx).V(2).Info("Finishing the machine's server made by an earlier attempt", "server", server.ID, "status", server.Status)
	active, err := d.waitForActive(ctx, s, server, nil)
	if err != nil {
		return nil, d.cleanupIfFailed(ctx, s, server.Name, err)
	}
	nets, err := d.resolveNetworks(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := d.allowPodNetwork(ctx, s, active.ID, nets); err != nil {
		return nil, err
	}
	if err := d.addServerTags(ctx, s, active, s.owner.initializedTags()); err != nil {
		return nil, err
	}
	return active, nil
}

// addServerTags makes sure the server carries tags (in one request, and none when it does):
// servers made by the peer driver have none of ours.
func (d *Driver) addServerTags(ctx context.Context, s *scope, server *openstack.Server, tags []string) error {
	if hasTags(&server.Server, tags) {
		return nil
	}
	if server.Tags != nil {
		tags = append(slices.Clone(*server.Tags), tags...)
	}
	tags = dedupe(tags)
	if err := s.compute.ReplaceServerTags(ctx, server.ID, tags); err != nil {
		return err
	}
	server.Tags = &tags
	return nil
}
