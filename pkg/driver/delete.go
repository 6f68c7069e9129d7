package driver

import (
	"context"
	"errors"
	"fmt"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"k8s.io/klog/v2"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// DeleteMachine deletes the machine's server, the ports this driver made for it and (through
// Nova's delete_on_termination) its root volume. It works from the provider ID and name alone,
// since MCM's orphan collection calls it with nothing else, and succeeds when all is gone already.
func (d *Driver) DeleteMachine(ctx context.Context, req *mcmdriver.DeleteMachineRequest) (resp *mcmdriver.DeleteMachineResponse, err error) {
	defer func(start time.Time) { d.track("DeleteMachine", start, err) }(time.Now())
	name := req.Machine.Name
	log := klog.FromContext(ctx).WithValues("machine", klog.KRef(req.Machine.Namespace, name))
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, false)
	if err != nil {
		return nil, statusError("delete machine "+name, err)
	}
	serverID, err := d.serverIDOf(ctx, s, name, req.Machine.Spec.ProviderID)
	if err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return nil, statusError("delete machine "+name, err)
	}
	if serverID != "" {
		d.recent.forget(serverID)
		if err := s.compute.DeleteServer(ctx, serverID); err != nil {
			return nil, statusError("delete machine "+name, err)
		}
	}
	// Ports go while Nova tears the server down; Neutron unbinds them itself.
	if err := d.deletePorts(ctx, s, name, serverID); err != nil {
		return nil, statusError("delete machine "+name, err)
	}
	if serverID != "" {
		if err := d.waitForGone(ctx, s, serverID); err != nil {
			return nil, statusError("delete machine "+name, err)
		}
	}
	log.V(2).Info("Machine's server and ports are deleted", "server", serverID)
	return &mcmdriver.DeleteMachineResponse{}, nil
}

// serverIDOf returns the server ID from the provider ID, or else finds the server by name.
func (d *Driver) serverIDOf(ctx context.Context, s *scope, name, providerID string) (string, error) {
	if providerID != "" {
		return decodeProviderID(providerID)
	}
	server, err := s.findOwnedServer(ctx, name)
	if err != nil {
		return "", err
	}
	return server.ID, nil
}

// deletePorts deletes the ports of this cluster named after the machine. With a serverID, a
// port bound to another server is kept: MCM's orphan collection may delete a stray duplicate
// server that has the name of a live Machine, whose port must survive.
func (d *Driver) deletePorts(ctx context.Context, s *scope, name, serverID string) error {
	if !s.ownPorts() {
		return nil // Nova deletes the ports it made with the server
	}
	found, err := s.network.ListPorts(ctx, ports.ListOpts{Name: name})
	if err != nil {
		return err
	}
	var errs []error
	for i := range found {
		p := &found[i]
		if p.Name != name || !s.owner.ownsPort(p) {
			continue
		}
		if serverID != "" && p.DeviceID != "" && p.DeviceID != serverID {
			continue
		}
		if err := s.network.DeletePort(ctx, p.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// waitForGone polls until Nova answers 404 for the server, so its quota is free when we return.
// Real Nova shows status DELETED for a moment before the record disappears; that is not gone yet.
func (d *Driver) waitForGone(ctx context.Context, s *scope, serverID string) error {
	deadline := time.Now().Add(d.opts.DeleteTimeout)
	poll := d.newPollSchedule(&d.deleteTime)
	for {
		if err := poll.wait(ctx); err != nil {
			return err
		}
		server, err := s.compute.GetServer(ctx, serverID)
		switch {
		case openstack.IsNotFound(err):
			poll.done()
			return nil
		case err != nil:
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server %s still exists (%s) %s after it was deleted", serverID, server.Status, d.opts.DeleteTimeout)
		}
	}
}
