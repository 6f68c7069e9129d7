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
// create: NotFound makes it create. A server found by name (an earlier attempt made it, and MCM
// never learnt its provider ID) is reported Uninitialized, so MCM calls InitializeMachine, which
// finishes what that attempt may have skipped (our tags, the pod network on its ports). A server
// in ERROR is reported NotFound so that CreateMachine runs, removes it and reports its fault; one
// still in BUILD is Uninitialized too. A server CreateMachine saw ACTIVE moments ago is answered
// from memory: MCM asks right after every create.
func (d *Driver) GetMachineStatus(ctx context.Context, req *mcmdriver.GetMachineStatusRequest) (resp *mcmdriver.GetMachineStatusResponse, err error) {
	defer func(start time.Time) { d.track("GetMachineStatus", start, err) }(time.Now())
	name := req.Machine.Name
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, false)
	if err != nil {
		return nil, statusError("get status of machine "+name, err)
	}
	byName := req.Machine.Spec.ProviderID == ""
	if server := d.recentServer(req.Machine.Spec.ProviderID); server != nil {
		return &mcmdriver.GetMachineStatusResponse{ProviderID: req.Machine.Spec.ProviderID, NodeName: server.Name, Addresses: nodeAddresses(server)}, nil
	}
	server, err := d.lookupServer(ctx, s, name, req.Machine.Spec.ProviderID)
	if err != nil {
		if byName && errors.Is(err, openstack.ErrNotFound) {
			d.absent.put(s, name)
		}
		return nil, statusError("get status of machine "+name, err)
	}
	providerID := encodeProviderID(s.region, server.ID)
	switch {
	case server.Status == statusFailed:
		return nil, status.Error(codes.NotFound, sanitize(fmt.Sprintf("server %s of machine %s is in ERROR (%s); it will be replaced", server.ID, name, server.Fault.Message)))
	case server.Status == statusBuild:
		return &mcmdriver.GetMachineStatusResponse{ProviderID: providerID, NodeName: server.Name},
			status.Error(codes.Uninitialized, fmt.Sprintf("server %s of machine %s is still being built", server.ID, name))
	case byName:
		return &mcmdriver.GetMachineStatusResponse{ProviderID: providerID, NodeName: server.Name, Addresses: nodeAddresses(server)},
			status.Error(codes.Uninitialized, fmt.Sprintf("server %s of machine %s was made by an earlier attempt; initializing it", server.ID, name))
	}
	return &mcmdriver.GetMachineStatusResponse{
		ProviderID: providerID,
		NodeName:   server.Name,
		Addresses:  nodeAddresses(server),
	}, nil
}

// InitializeMachine waits until the server MCM just created (or found in BUILD, or made by an
// earlier attempt) is ACTIVE, makes sure it carries our Nova tags and the pod network on its
// ports, and reports its addresses. Right after CreateMachine the server is known to be ready, so
// this costs no request.
func (d *Driver) InitializeMachine(ctx context.Context, req *mcmdriver.InitializeMachineRequest) (resp *mcmdriver.InitializeMachineResponse, err error) {
	defer func(start time.Time) { d.track("InitializeMachine", start, err) }(time.Now())
	name := req.Machine.Name
	if server := d.recentServer(req.Machine.Spec.ProviderID); server != nil {
		return &mcmdriver.InitializeMachineResponse{ProviderID: req.Machine.Spec.ProviderID, NodeName: server.Name, Addresses: nodeAddresses(server)}, nil
	}
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, false)
	if err != nil {
		return nil, statusError("initialize machine "+name, err)
	}
	server, err := d.lookupServer(ctx, s, name, req.Machine.Spec.ProviderID)
	if err != nil {
		return nil, statusError("initialize machine "+name, err)
	}
	server, err = d.adoptServer(ctx, s, server)
	if err != nil {
		return nil, statusError("initialize machine "+name, err)
	}
	d.recent.put(server)
	return &mcmdriver.InitializeMachineResponse{
		ProviderID: encodeProviderID(s.region, server.ID),
		NodeName:   server.Name,
		Addresses:  nodeAddresses(server),
	}, nil
}

// recentServer is the server of providerID if CreateMachine or InitializeMachine saw it ACTIVE
// within the RecentTTL; nil for an empty or undecodable provider ID.
func (d *Driver) recentServer(providerID string) *servers.Server {
	if providerID == "" {
		return nil
	}
	id, err := decodeProviderID(providerID)
	if err != nil {
		return nil
	}
	return d.recent.get(id)
}

// lookupServer finds the machine's server by provider ID, or by name when there is none yet.
func (d *Driver) lookupServer(ctx context.Context, s *scope, name, providerID string) (*servers.Server, error) {
	if providerID == "" {
		return s.findOwnedServer(ctx, name)
	}
	id, err := decodeProviderID(providerID)
	if err != nil {
		return nil, &invalidReferenceError{err: err}
	}
	return s.compute.GetServer(ctx, id)
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
