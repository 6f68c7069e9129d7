package ossim

import (
	"net/http"
	"strings"
	"time"
)

// Faults inside Nova's build, in the words of Nova Zed (nova/exception.py, compute/manager.py),
// for FaultServerError's Message. "{id}" stands for the server's ID and "{volume}" for the
// first volume Nova made for it.
const (
	// FaultNoValidHost: placement found no host for the flavor, as Zed words it (seen on the
	// Zed lab: an empty reason after the sentence; DefaultFaultMessage is the older filter
	// scheduler's wording). The server never reached a host: no availability zone, no hostId.
	FaultNoValidHost = "No valid host was found. "
	// FaultNetworkAllocation: Nova's port allocation or binding failed (Neutron down, timeout
	// waiting for the VIF to plug); BuildAbortException, so no reschedule.
	FaultNetworkAllocation = "Build of instance {id} aborted: Failed to allocate the network(s), not rescheduling."
	// FaultVolumeNotCreated: Nova gave up waiting for Cinder to make the boot volume from the
	// image (block_device_allocate_retries 60, interval 3 s), VolumeNotCreated turned into
	// InvalidBDM and then BuildAbortException. Word for word as the Zed lab said it when
	// cinder-volume missed the create while rabbitmq restarted (make chaos-openstack).
	FaultVolumeNotCreated = "Build of instance {id} aborted: Volume {volume} " + volumeNotCreatedText + " even after we waited 202 seconds or 61 attempts. And its status is creating."
)

// faultMessage fills in a fault message's placeholders.
func (s *Sim) faultMessage(srv *server) string {
	vol := ""
	for _, av := range srv.volumes {
		if av.novaMade {
			vol = av.id
			break
		}
	}
	return strings.NewReplacer("{id}", srv.id, "{volume}", vol).Replace(srv.failMsg)
}

// leavePorts keeps the ports Nova made for a failed build, as when Neutron failed Nova's
// deallocation: they stay with device_id set to the server (DOWN, unbound from the host), and
// Nova has forgotten them, so deleting the server does not delete them either. Whoever made the
// server finds them by device_id.
func (s *Sim) leavePorts(srv *server, at time.Time) {
	var rest []string
	for _, pid := range srv.portIDs {
		p := s.st.ports[pid]
		if p == nil || !srv.novaPorts[pid] {
			rest = append(rest, pid)
			continue
		}
		p.status, p.bindingHost, p.updated = "DOWN", "", at
		p.revision++
		delete(srv.novaPorts, pid)
	}
	srv.portIDs = rest
}

// volumeNotCreatedText is the part of FaultVolumeNotCreated that tells the volume never got into
// the server's block device mapping.
const volumeNotCreatedText = "did not finish being created"

// leaveVolume keeps a volume Nova made for a failed build, as when Nova's cleanup found it still
// being made from the image: Cinder refuses the delete and Nova gives up. It is not attached,
// still "creating" for a while (then available), unnamed as Nova makes it; deleting the server
// does not delete it. After other faults it stays listed in the server's volumes_attached until
// the server is gone; after FaultVolumeNotCreated only the fault names it.
func (s *Sim) leaveVolume(v *volume, at time.Time) {
	v.attachedTo, v.status, v.updated = "", "creating", at
	v.availableAt = at.Add(s.latency(volumeChange))
}

// takeDeleteFault consumes an armed server-delete-lingers fault.
func (s *Sim) takeDeleteFault(id string) bool {
	for _, f := range s.faults {
		if f.Kind == FaultServerDeleteLingers && f.matches("compute", http.MethodDelete, "/servers/"+id) && f.fire() {
			s.dropSpent()
			return true
		}
	}
	return false
}
