package driver

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"k8s.io/klog/v2"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// teardown removes a machine's server and everything that would outlive it: the ports the
// driver (or the peer driver) made, root volumes Nova keeps (the peer's pre-created ones), and,
// after a failed build, whatever Nova made and did not clean up. It waits until the server is
// gone, so its quota is free when MCM goes on. server is nil when the server is gone already.
func (d *Driver) teardown(ctx context.Context, s *scope, name string, serverID string, server *openstack.Server, failedBuild bool) error {
	if serverID != "" {
		d.recent.forget(serverID)
	}
	if server != nil && !failedBuild {
		switch {
		case server.Status == statusBuild:
			server, failedBuild = d.settleBuild(ctx, s, server)
		case server.Status == statusFailed && server.LaunchedAt.IsZero():
			failedBuild = true // its build failed while no CreateMachine waited for it
		}
	}
	var novaVolumes []openstack.AttachedVolume
	if server != nil && failedBuild {
		// Before the server goes: its ID is the only way to the ports Nova left, and its fault
		// the only record of a boot volume Cinder did not finish; a crash after the DELETE
		// would lose both.
		if err := d.deleteNovaPortsLeft(ctx, s, server.ID); err != nil {
			return err
		}
		novaVolumes = novaVolumesOf(server)
		if err := d.markVolumesLeft(ctx, s, name, novaVolumes); err != nil {
			return err
		}
	}
	if server != nil {
		if err := s.compute.DeleteServer(ctx, server.ID); err != nil {
			return err
		}
	}
	// Ports go while Nova tears the server down; Neutron unbinds them itself.
	if err := d.deletePorts(ctx, s, name, serverID); err != nil {
		return err
	}
	if server == nil {
		return d.deletePeerRootVolume(ctx, s, name)
	}
	if err := d.waitForGone(ctx, s, server); err != nil {
		return err
	}
	var errs []error
	if failedBuild && server.Status == statusBuild {
		// A build still running when it was deleted (stuck) may have made ports since.
		errs = append(errs, d.deleteNovaPortsLeft(ctx, s, server.ID))
	}
	volumes := server.Volumes
	if failedBuild {
		volumes = novaVolumes
	}
	for _, v := range volumes {
		if failedBuild || !v.DeleteOnTermination {
			errs = append(errs, d.deleteVolumeLeft(ctx, s, name, v, failedBuild))
		}
	}
	return errors.Join(errs...)
}

// settleBuild waits, at most DeleteTimeout, until a server being deleted has left BUILD, and
// tells whether its build failed. Deleting it earlier gains nothing, since Nova's compute host
// deletes a server only once its build is over (both hold the instance's lock), and a build that
// fails after the DELETE may leave ports and volumes that nothing leads to once the server is
// gone: its boot volume, when Nova was still waiting for Cinder, is recorded nowhere but in the
// fault, which a deleted server no longer shows.
func (d *Driver) settleBuild(ctx context.Context, s *scope, server *openstack.Server) (*openstack.Server, bool) {
	wctx, cancel := context.WithTimeout(ctx, d.opts.DeleteTimeout)
	defer cancel()
	active, err := d.waitForActive(wctx, s, server, nil)
	var fault *serverFaultError
	switch {
	case err == nil:
		return active, false
	case errors.As(err, &fault):
		return fault.server, true
	}
	// Still building (or not to be seen): delete it now, and clean up as after a failed build.
	klog.FromContext(ctx).Info("Deleting a server that is still being built", "server", server.ID, "err", err.Error())
	return server, true
}

// volumeNotCreated finds the volume in Nova's fault "Volume <id> did not finish being created".
var volumeNotCreated = regexp.MustCompile(`Volume ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) did not finish being created`)

// novaVolumesOf are the volumes Nova made for a server whose build failed: those of its block
// device mapping, and the boot volume its fault names when Cinder did not finish it in time,
// which Nova never records in the mapping (nova/virt/block_device.py, _call_wait_func) and
// fails to delete while it is still being created.
func novaVolumesOf(server *openstack.Server) []openstack.AttachedVolume {
	volumes := slices.Clone(server.Volumes)
	for _, m := range volumeNotCreated.FindAllStringSubmatch(server.Fault.Message, -1) {
		if !slices.ContainsFunc(volumes, func(v openstack.AttachedVolume) bool { return v.ID == m[1] }) {
			volumes = append(volumes, openstack.AttachedVolume{ID: m[1], DeleteOnTermination: true})
		}
	}
	return volumes
}

// cleanupIfFailed removes a server that ended in ERROR or stuck in BUILD, with what it had, so a
// failed create leaves nothing behind; other errors (a cancelled context, an unreachable API)
// leave the server for the next attempt to adopt.
func (d *Driver) cleanupIfFailed(ctx context.Context, s *scope, name string, err error) error {
	var fault *serverFaultError
	var stuck *stuckError
	var server *openstack.Server
	switch {
	case errors.As(err, &fault):
		server = fault.server
	case errors.As(err, &stuck):
		server = stuck.server
	default:
		return err
	}
	return errors.Join(err, d.cleanup(ctx, s, name, server))
}

// cleanup removes a server whose build failed, with its ports and volumes.
func (d *Driver) cleanup(ctx context.Context, s *scope, name string, server *openstack.Server) error {
	// The caller's context may be nearly spent (a stuck BUILD); cleanup gets its own budget.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.DeleteTimeout)
	defer cancel()
	return d.teardown(ctx, s, name, server.ID, server, true)
}

// deletePorts deletes the ports of this cluster named after the machine, when the driver makes
// them (pinned subnets; the peer does the same). With a serverID, a port bound to another server
// is kept: MCM's orphan collection may delete a stray duplicate server that has the name of a
// live Machine, whose port must survive.
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

// deleteNovaPortsLeft deletes the ports still bound to a deleted server: Nova sometimes leaves
// the ports it made for a build that failed.
func (d *Driver) deleteNovaPortsLeft(ctx context.Context, s *scope, serverID string) error {
	found, err := s.network.ListPorts(ctx, ports.ListOpts{DeviceID: serverID})
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range found {
		if p.DeviceID == serverID {
			errs = append(errs, s.network.DeletePort(ctx, p.ID))
		}
	}
	return errors.Join(errs...)
}

// markVolumesLeft names the volumes Nova made for a failed build after the machine and marks
// them as left behind, before the server is deleted: Nova's volumes have no name, and Cinder
// deletes no volume it is still creating (after a lost message it may stay so for long), so
// ListMachines finds and deletes whatever of them outlives the server, whatever happens to this
// call.
func (d *Driver) markVolumesLeft(ctx context.Context, s *scope, name string, attached []openstack.AttachedVolume) error {
	var novaMade []openstack.AttachedVolume
	for _, v := range attached {
		if v.DeleteOnTermination {
			novaMade = append(novaMade, v)
		}
	}
	if len(novaMade) == 0 {
		return nil
	}
	storage, err := s.storage()
	if err != nil {
		return err
	}
	d.leftovers.pending(s)
	for _, v := range novaMade {
		if err := storage.RenameVolume(ctx, v.ID, name, s.owner.leftoverMetadata()); err != nil && !openstack.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// deleteVolumeLeft deletes a volume that was attached to a deleted server if it is left and
// belongs to the machine: the peer driver's root volume (named after the machine, the cluster's
// tags as metadata, kept by Nova), or after a failed build one Nova should have deleted with the
// server (marked by markVolumesLeft). Any other volume (a PersistentVolume's) stays.
func (d *Driver) deleteVolumeLeft(ctx context.Context, s *scope, name string, attached openstack.AttachedVolume, failedBuild bool) error {
	storage, err := s.storage()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(d.opts.DeleteTimeout)
	poll := d.newPollSchedule(nil)
	novaLeft := failedBuild && attached.DeleteOnTermination
	for {
		v, err := storage.GetVolume(ctx, attached.ID)
		switch {
		case openstack.IsNotFound(err):
			return nil
		case err != nil:
			return err
		}
		if !s.owner.ownsVolume(v, name) && !novaLeft {
			return nil
		}
		if volumeSettled(v.Status) {
			return storage.DeleteVolume(ctx, v.ID)
		}
		if time.Now().After(deadline) {
			if novaLeft {
				klog.FromContext(ctx).Info("Volume Nova left after a failed build is not deletable yet; ListMachines deletes it later", "volume", v.ID, "status", v.Status)
				return nil
			}
			return fmt.Errorf("volume %s of machine %s is still %s %s after its server was deleted", v.ID, name, v.Status, d.opts.DeleteTimeout)
		}
		if err := poll.wait(ctx); err != nil {
			return err
		}
	}
}

// sweepLeftovers deletes the volumes of this cluster marked as left behind by failed builds
// (deleteVolumeLeft), when there may be any: once per process and cluster, and after this
// process marked one. It tells whether none is left.
func (d *Driver) sweepLeftovers(ctx context.Context, s *scope) error {
	if d.leftovers.all(s) {
		return nil
	}
	storage, err := s.storage()
	if err != nil {
		return err
	}
	found, err := storage.FindVolumesByMetadata(ctx, s.owner.leftoverFilter())
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range found {
		if !volumeSettled(v.Status) {
			errs = append(errs, fmt.Errorf("volume %s left by a failed build is still %s", v.ID, v.Status))
			continue
		}
		errs = append(errs, storage.DeleteVolume(ctx, v.ID))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.leftovers.mark(s)
	return nil
}

// deletePeerRootVolume deletes the peer driver's pre-created root volume of a machine whose server
// is gone already (an interrupted delete): the peer makes one only for a rootDiskType with a
// rootDiskSize, so only such classes pay for the look.
func (d *Driver) deletePeerRootVolume(ctx context.Context, s *scope, name string) error {
	if s.spec.RootDiskType == nil || s.spec.RootDiskSize <= 0 {
		return nil
	}
	storage, err := s.storage()
	if err != nil {
		return err
	}
	found, err := storage.FindVolumesByName(ctx, name)
	if err != nil {
		return err
	}
	var errs []error
	for i := range found {
		if v := &found[i]; s.owner.ownsVolume(v, name) && volumeSettled(v.Status) {
			errs = append(errs, storage.DeleteVolume(ctx, v.ID))
		}
	}
	return errors.Join(errs...)
}

// volumeSettled tells whether Cinder accepts deleting a volume in this state: not attached and not
// in the middle of a change.
func volumeSettled(status string) bool {
	switch status {
	case "available", "error", "error_restoring", "error_extending", "error_managing":
		return true
	}
	return false
}

// waitForGone polls until Nova answers 404 for the server, so its quota is free when we return.
// Real Nova shows status DELETED for a moment before the record disappears; that is not gone yet.
// Nova sometimes loses a delete on its way to the compute host (the server stays ACTIVE with
// task_state "deleting" for good), so once the waits have grown to their longest the DELETE is
// sent again on each look; a server still there at DeleteTimeout is a deleteLingersError, which
// MCM retries soon.
func (d *Driver) waitForGone(ctx context.Context, s *scope, server *openstack.Server) error {
	deadline := time.Now().Add(d.opts.DeleteTimeout)
	poll := d.newPollSchedule(d.durations.of(learnKey(opDelete, s.region, len(server.AttachedVolumes) > 0)))
	watch := d.watch.watch(s)
	defer watch.release()
	for {
		if err := poll.wait(ctx); err != nil {
			return err
		}
		current, listed, err := watch.look(ctx, s, server.ID, poll.staleness())
		if err == nil && listed && current.Status == statusDeleted {
			// A listing with changes-since shows deleted servers for good; only a GET tells
			// whether the record is gone.
			current, err = s.compute.GetServer(ctx, server.ID)
		}
		switch {
		case openstack.IsNotFound(err):
			poll.done()
			return nil
		case err != nil:
			return err
		}
		if time.Now().After(deadline) {
			return &deleteLingersError{server: current, waited: d.opts.DeleteTimeout}
		}
		if poll.saturated() {
			if err := s.compute.DeleteServer(ctx, server.ID); err != nil {
				return err
			}
		}
	}
}
