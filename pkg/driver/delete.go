package driver

import (
	"context"
	"errors"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"k8s.io/klog/v2"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// DeleteMachine deletes the machine's server with its ports and kept root volume (see teardown).
// It works from the provider ID and name alone, since MCM's orphan collection calls it with
// nothing else, and succeeds when all is gone already. A server of another cluster is never
// touched: the call succeeds without deleting it, and says so in the log.
func (d *Driver) DeleteMachine(ctx context.Context, req *mcmdriver.DeleteMachineRequest) (resp *mcmdriver.DeleteMachineResponse, err error) {
	defer func(start time.Time) { d.track("DeleteMachine", start, err) }(time.Now())
	name, providerID := req.Machine.Name, req.Machine.Spec.ProviderID
	log := klog.FromContext(ctx).WithValues("machine", klog.KRef(req.Machine.Namespace, name))
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, false)
	if err != nil {
		return nil, statusError("delete machine "+name, err)
	}
	// A status call that just looked at the server answers for its ownership.
	server := d.recentServer(s, providerID)
	if server == nil {
		server, err = s.lookupServer(ctx, name, providerID)
	}
	var notOwned *notOwnedError
	switch {
	case errors.As(err, &notOwned):
		log.Info("Not deleting the server: it does not belong to the MachineClass's cluster", "server", notOwned.serverID, "cluster", notOwned.cluster)
		return &mcmdriver.DeleteMachineResponse{}, nil
	case errors.Is(err, openstack.ErrNotFound):
		server, err = nil, nil
	case err != nil:
		return nil, statusError("delete machine "+name, err)
	}
	serverID := ""
	switch {
	case server != nil:
		serverID = server.ID
	case providerID != "":
		serverID, _ = decodeProviderID(providerID) // lookupServer decoded it already
	}
	if err := d.teardown(ctx, s, name, serverID, server, false); err != nil {
		return nil, statusError("delete machine "+name, err)
	}
	log.V(2).Info("Machine's server, ports and volumes are deleted", "server", serverID)
	return &mcmdriver.DeleteMachineResponse{}, nil
}
