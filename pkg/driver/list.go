package driver

import (
	"context"
	"strings"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	corev1 "k8s.io/api/core/v1"
)

// listPageSize is the page size asked of Nova (its default max_limit is 1000).
const listPageSize = 1000

// ListMachines returns the servers of the MachineClass's cluster and role (provider ID -> machine
// name) for MCM's orphan collection. Nova filters by our server tags, so the cost grows with the
// cluster, not with the whole project.
func (d *Driver) ListMachines(ctx context.Context, req *mcmdriver.ListMachinesRequest) (resp *mcmdriver.ListMachinesResponse, err error) {
	defer func(start time.Time) { d.track("ListMachines", start, err) }(time.Now())
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, false)
	if err != nil {
		return nil, statusError("list machines", err)
	}
	machines := map[string]string{}
	opts := servers.ListOpts{Tags: strings.Join(s.owner.serverTags(), ","), Limit: listPageSize}
	err = s.compute.ListServers(ctx, opts, func(page []servers.Server) bool {
		for i := range page {
			if s.owner.ownsServer(&page[i]) {
				machines[encodeProviderID(s.region, page[i].ID)] = page[i].Name
			}
		}
		return true
	})
	if err != nil {
		return nil, statusError("list machines", err)
	}
	return &mcmdriver.ListMachinesResponse{MachineList: machines}, nil
}

// cinderCSIDriver is the CSI driver name of OpenStack Cinder volumes.
const cinderCSIDriver = "cinder.csi.openstack.org"

// GetVolumeIDs returns the Cinder volume IDs of the given PersistentVolume specs (in-tree Cinder
// and Cinder CSI); other volumes are skipped.
func (d *Driver) GetVolumeIDs(_ context.Context, req *mcmdriver.GetVolumeIDsRequest) (*mcmdriver.GetVolumeIDsResponse, error) {
	ids := []string{}
	for _, spec := range req.PVSpecs {
		if id := cinderVolumeID(spec); id != "" {
			ids = append(ids, id)
		}
	}
	return &mcmdriver.GetVolumeIDsResponse{VolumeIDs: ids}, nil
}

func cinderVolumeID(spec *corev1.PersistentVolumeSpec) string {
	switch {
	case spec == nil:
		return ""
	case spec.Cinder != nil:
		return spec.Cinder.VolumeID
	case spec.CSI != nil && spec.CSI.Driver == cinderCSIDriver:
		return spec.CSI.VolumeHandle
	}
	return ""
}
