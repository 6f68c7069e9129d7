package driver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	corev1 "k8s.io/api/core/v1"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// GetMachineStatus tells MCM whether the machine's server exists. MCM calls it before every
// create (NotFound makes it create) and, with a provider ID, in the creation flow until the
// machine is up:
//   - a Machine without a provider ID gets NotFound, also when a server of an interrupted create
//     exists: CreateMachine then finds that server by name and finishes it before it returns,
//     so MCM learns a provider ID only from a CreateMachine that completed (see initializedTag);
//   - a server of another cluster is NotFound: the driver never reports or touches it;
//   - a server in ERROR is NotFound, so that it is replaced and its fault reported;
//   - a server still in BUILD, and one whose initialization never finished (no initializedTag:
//     an interrupted InitializeMachine, a server the peer driver made) are Uninitialized, so MCM
//     calls InitializeMachine, which finishes the pod network and our tags;
//   - a server the driver saw in good shape within MemoTTL is answered from memory: MCM asks
//     right after every create.
func (d *Driver) GetMachineStatus(ctx context.Context, req *mcmdriver.GetMachineStatusRequest) (resp *mcmdriver.GetMachineStatusResponse, err error) {
	defer func(start time.Time) { d.track("GetMachineStatus", start, err) }(time.Now())
	name, providerID := req.Machine.Name, req.Machine.Spec.ProviderID
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, false)
	if err != nil {
		return nil, statusError("get status of machine "+name, err)
	}
	if providerID == "" {
		return nil, d.statusByName(ctx, s, name)
	}
	if server := d.recentServer(s, providerID); server != nil {
		return machineStatus(providerID, server), nil
	}
	server, err := s.ownedServer(ctx, providerID)
	if err != nil {
		return nil, statusError("get status of machine "+name, err)
	}
	resp = machineStatus(providerID, server)
	switch {
	case server.Status == statusFailed:
		return nil, status.Error(codes.NotFound, sanitize(fmt.Sprintf("server %s of machine %s is in ERROR (%s); it will be replaced", server.ID, name, server.Fault.Message)))
	case server.Status == statusBuild:
		return resp, status.Error(codes.Uninitialized, fmt.Sprintf("server %s of machine %s is still being built", server.ID, name))
	case !s.owner.initialized(&server.Server):
		return resp, status.Error(codes.Uninitialized, fmt.Sprintf("server %s of machine %s has not been initialized (pod network, tags); initializing it", server.ID, name))
	}
	d.recent.put(s, server)
	return resp, nil
}

// statusByName answers for a Machine without a provider ID: always NotFound, so MCM calls
// CreateMachine. When no server exists, that create need not look again (the absent memo); when
// an interrupted attempt left one, the create adopts and finishes it.
func (d *Driver) statusByName(ctx context.Context, s *scope, name string) error {
	server, err := s.findOwnedServer(ctx, name)
	switch {
	case errors.Is(err, openstack.ErrNotFound):
		d.absent.put(s, name)
		return status.Error(codes.NotFound, fmt.Sprintf("machine %s has no server yet", name))
	case err != nil:
		return statusError("get status of machine "+name, err)
	}
	return status.Error(codes.NotFound, fmt.Sprintf("machine %s has no provider ID yet; its server %s (%s) of an earlier attempt will be finished by CreateMachine", name, server.ID, orUnknown(server.Status)))
}

func machineStatus(providerID string, server *openstack.Server) *mcmdriver.GetMachineStatusResponse {
	return &mcmdriver.GetMachineStatusResponse{ProviderID: providerID, NodeName: server.Name, Addresses: nodeAddresses(&server.Server)}
}

// recentServer is the server of providerID if the driver saw it in good shape within MemoTTL;
// nil for an empty or undecodable provider ID.
func (d *Driver) recentServer(s *scope, providerID string) *openstack.Server {
	if providerID == "" {
		return nil
	}
	id, err := decodeProviderID(providerID)
	if err != nil {
		return nil
	}
	return d.recent.get(s, id)
}

// nodeAddresses turns Nova's addresses into Node addresses: fixed IPs are internal, floating IPs
// external, and the server name is the hostname.
func nodeAddresses(server *servers.Server) []corev1.NodeAddress {
	addrs := []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: server.Name}}
	for _, network := range slices.Sorted(maps.Keys(server.Addresses)) {
		list, _ := server.Addresses[network].([]any)
		for _, item := range list {
			entry, _ := item.(map[string]any)
			addr, _ := entry["addr"].(string)
			if addr == "" {
				continue
			}
			kind := corev1.NodeInternalIP
			if t, _ := entry["OS-EXT-IPS:type"].(string); t == "floating" {
				kind = corev1.NodeExternalIP
			}
			addrs = append(addrs, corev1.NodeAddress{Type: kind, Address: addr})
		}
	}
	return addrs
}
