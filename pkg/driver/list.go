package driver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// listPageSize is the page size asked of Nova (its default max_limit is 1000).
const listPageSize = 1000

// ListMachines returns the servers of the MachineClass's cluster and role (provider ID -> machine
// name) for MCM's orphan collection. Nova filters by our server tags, so the cost grows with the
// cluster, not with the whole project.
//
// Servers the peer driver made carry the cluster's keys as metadata only, which Nova cannot
// filter by. So the first call for a cluster in this process lists the whole project, as the
// peer does, and tags every server of the cluster that lacks our tags; once a full listing found
// them all tagged, Nova filters. A cluster switched over from the peer is thus wholly seen (and
// its orphans collected) at the latest on its first ListMachines.
func (d *Driver) ListMachines(ctx context.Context, req *mcmdriver.ListMachinesRequest) (resp *mcmdriver.ListMachinesResponse, err error) {
	defer func(start time.Time) { d.track("ListMachines", start, err) }(time.Now())
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, false)
	if err != nil {
		return nil, statusError("list machines", err)
	}
	machines := map[string]string{}
	opts := servers.ListOpts{Limit: listPageSize}
	filtered := d.tagged.all(s)
	if filtered {
		opts.Tags = strings.Join(s.owner.serverTags(), ",")
	}
	var untagged []*openstack.Server
	err = s.compute.ListServers(ctx, opts, func(page []openstack.Server) bool {
		for i := range page {
			server := &page[i]
			if !s.owner.ownsServer(&server.Server) {
				continue
			}
			machines[encodeProviderID(s.region, server.ID)] = server.Name
			if !hasTags(&server.Server, s.owner.serverTags()) {
				untagged = append(untagged, server)
			}
		}
		return true
	})
	if err != nil {
		return nil, statusError("list machines", err)
	}
	if err := d.sweepLeftovers(ctx, s); err != nil {
		klog.FromContext(ctx).Info("Could not delete all volumes failed builds left; trying again on the next list", "err", err.Error())
	}
	if filtered {
		return &mcmdriver.ListMachinesResponse{MachineList: machines}, nil
	}
	var errs []error
	for _, server := range untagged {
		if server.Status == statusBuild {
			// Nova refuses tag changes while a server builds (409); tag it on a later call.
			errs = append(errs, fmt.Errorf("server %s is still being built", server.ID))
			continue
		}
		errs = append(errs, d.addServerTags(ctx, s, server, s.owner.serverTags()))
	}
	if err := errors.Join(errs...); err != nil {
		// The list is right even so; the tags are tried again on the next call.
		klog.FromContext(ctx).Info("Could not tag all servers of the cluster; listing the whole project again next time", "err", err.Error())
	} else {
		d.tagged.mark(s)
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
