package driver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// Nova server states the driver acts on.
const (
	statusActive = "ACTIVE"
	statusBuild  = "BUILD"
	statusFailed = "ERROR"
	// statusDeleted is shown for a moment before a deleted server's record disappears, and for
	// good in listings with changes-since.
	statusDeleted = "DELETED"
)

// CreateMachine makes (or finds again) the server of a Machine and waits until it is ACTIVE.
// Whatever a failed attempt made is removed before the error is returned; whatever an interrupted
// earlier attempt made is found by name and ownership and reused, so there is never a second
// server for one Machine.
func (d *Driver) CreateMachine(ctx context.Context, req *mcmdriver.CreateMachineRequest) (resp *mcmdriver.CreateMachineResponse, err error) {
	defer func(start time.Time) { d.track("CreateMachine", start, err) }(time.Now())
	name := req.Machine.Name
	log := klog.FromContext(ctx).WithValues("machine", klog.KRef(req.Machine.Namespace, name))
	s, err := d.newScope(ctx, req.MachineClass, req.Secret, true)
	if err != nil {
		return nil, statusError("create machine "+name, err)
	}
	server, err := d.ensureServer(ctx, s, name, req.Machine.CreationTimestamp.Time)
	if err != nil {
		log.Info("Creating machine failed", "err", err.Error())
		return nil, statusError("create machine "+name, err)
	}
	d.recent.put(s, server)
	log.V(2).Info("Machine's server is ACTIVE", "server", server.ID)
	return &mcmdriver.CreateMachineResponse{
		ProviderID: encodeProviderID(s.region, server.ID),
		NodeName:   server.Name,
		Addresses:  nodeAddresses(&server.Server),
	}, nil
}

// ensureServer returns the ACTIVE server of the machine, adopting or creating it.
func (d *Driver) ensureServer(ctx context.Context, s *scope, name string, machineCreated time.Time) (*openstack.Server, error) {
	var existing *openstack.Server
	var err error
	switch until := d.unanswered.until(s, name, machineCreated); {
	case time.Now().Before(until):
		existing, err = d.awaitUnanswered(ctx, s, name, until)
	case d.absent.take(s, name):
		return d.createServer(ctx, s, name)
	default:
		existing, err = s.findOwnedServer(ctx, name)
	}
	switch {
	case err == nil:
		return d.adoptServer(ctx, s, existing)
	case !errors.Is(err, openstack.ErrNotFound):
		return nil, err
	}
	return d.createServer(ctx, s, name)
}

func (d *Driver) createServer(ctx context.Context, s *scope, name string) (*openstack.Server, error) {
	boot, err := d.resolveBoot(ctx, s)
	if err != nil {
		return nil, err
	}
	nets, err := d.resolveNetworks(ctx, s)
	if err != nil {
		return nil, err
	}
	// Nova makes the ports (and deletes them with the server) unless the spec pins subnets:
	// then the driver makes them, with fixed IPs in those subnets, and deletes them itself.
	var networks []servers.Network
	var securityGroups []string
	if s.ownPorts() {
		portIDs, err := d.ensurePorts(ctx, s, name, nets)
		if err != nil {
			// Ports made before the failure must not leak.
			return nil, errors.Join(err, d.deletePorts(ctx, s, name, ""))
		}
		for _, id := range portIDs {
			networks = append(networks, servers.Network{Port: id})
		}
	} else {
		for _, n := range nets {
			networks = append(networks, servers.Network{UUID: n.networkID})
		}
		securityGroups = s.spec.SecurityGroups
	}
	opts := servers.CreateOpts{
		Name:             name,
		ImageRef:         boot.imageRef,
		FlavorRef:        boot.flavorID,
		UserData:         []byte(base64.StdEncoding.EncodeToString(s.userData)),
		AvailabilityZone: s.spec.AvailabilityZone,
		Networks:         networks,
		SecurityGroups:   securityGroups,
		Metadata:         s.owner.metadata,
		ConfigDrive:      s.spec.UseConfigDrive,
		Tags:             s.owner.initializedTags(), // see initializedTag
		BlockDevice:      boot.blockDevices,
	}
	var hints servers.SchedulerHintOptsBuilder
	if s.spec.ServerGroupID != nil {
		hints = servers.SchedulerHintOpts{Group: *s.spec.ServerGroupID}
	}
	var created *openstack.Server
	posted, err := s.compute.CreateServer(ctx, keypairs.CreateOptsExt{CreateOptsBuilder: opts, KeyName: s.spec.KeyName}, hints)
	if err == nil {
		created = &openstack.Server{Server: *posted}
	} else {
		// A failed POST may still have made the server (a lost response, a proxy timeout):
		// look once before cleaning up, and carry on with it if it is there.
		if !outcomeUnknown(err) {
			return nil, errors.Join(err, d.deletePorts(ctx, s, name, ""))
		}
		found, findErr := s.findOwnedServer(ctx, name)
		if findErr != nil {
			// Nova may still make it, with the ports made for it: keep them for the next
			// attempt, which waits for the server to show before making another.
			d.unanswered.put(s, name)
			return nil, err
		}
		klog.FromContext(ctx).Info("Server create reported an error but the server exists; continuing with it", "server", found.ID, "err", err.Error())
		created = found
	}
	server, err := d.waitForActive(ctx, s, created, d.durations.of(learnKey(opBuild, s.region, len(boot.blockDevices) > 0)))
	if err != nil {
		return nil, d.cleanupIfFailed(ctx, s, name, err)
	}
	if err := d.allowPodNetwork(ctx, s, server.ID, nets); err != nil {
		// MCM adopts a server it finds without asking again, so a server without its pod
		// network must not stay: remove it and let MCM retry the create.
		return nil, errors.Join(err, d.cleanup(ctx, s, name, server))
	}
	return server, nil
}

// allowPodNetwork lets the pod CIDRs through the ports Nova made on pod networks (Neutron's port
// security drops traffic from addresses that are not the port's own). Ports the driver made got
// them when they were created.
func (d *Driver) allowPodNetwork(ctx context.Context, s *scope, serverID string, nets []networkPlan) error {
	cidrs := s.spec.PodNetworkCIDRs
	if s.ownPorts() || len(cidrs) == 0 {
		return nil
	}
	podNets := map[string]bool{}
	for _, n := range nets {
		if n.podNetwork {
			podNets[n.networkID] = true
		}
	}
	if len(podNets) == 0 {
		return nil
	}
	found, err := s.network.ListPorts(ctx, ports.ListOpts{DeviceID: serverID})
	if err != nil {
		return err
	}
	for i := range found {
		p := &found[i]
		if !podNets[p.NetworkID] {
			continue
		}
		pairs := slices.Clone(p.AllowedAddressPairs)
		for _, cidr := range cidrs {
			if !slices.ContainsFunc(pairs, func(a ports.AddressPair) bool { return a.IPAddress == cidr }) {
				pairs = append(pairs, ports.AddressPair{IPAddress: cidr})
			}
		}
		if len(pairs) == len(p.AllowedAddressPairs) {
			continue
		}
		if err := s.network.UpdatePort(ctx, p.ID, ports.UpdateOpts{AllowedAddressPairs: &pairs}); err != nil {
			return err
		}
	}
	return nil
}

// outcomeUnknown tells whether a failed request may have taken effect anyway: no response or a
// server-side error. A 4xx is a definite "no".
func outcomeUnknown(err error) bool {
	code := openstack.StatusCode(err)
	return code == 0 || code >= 500
}

// waitForActive polls the server until it is ACTIVE. A server in ERROR is reported with Nova's
// fault message, one stuck in BUILD past CreateTimeout as such; cleanupIfFailed removes both.
// learn, for a server just created, learns how long its build took.
func (d *Driver) waitForActive(ctx context.Context, s *scope, server *openstack.Server, learn *learnedDuration) (*openstack.Server, error) {
	deadline := time.Now().Add(d.opts.CreateTimeout)
	poll := d.newPollSchedule(learn)
	watch := d.watch.watch(s)
	defer watch.release()
	current := server
	for {
		switch current.Status {
		case statusActive:
			poll.done()
			return current, nil
		case statusFailed:
			msg := current.Fault.Message
			if msg == "" {
				msg = "Nova gave no fault message"
			}
			return nil, &serverFaultError{server: current, msg: msg}
		}
		if time.Now().After(deadline) {
			return nil, &stuckError{server: current, status: orUnknown(current.Status), waited: d.opts.CreateTimeout.String()}
		}
		if err := poll.wait(ctx); err != nil {
			return nil, err
		}
		next, _, err := watch.look(ctx, s, server.ID, poll.staleness())
		if err != nil {
			if openstack.IsNotFound(err) {
				return nil, fmt.Errorf("server %s disappeared while it was being built: %w", server.ID, err)
			}
			return nil, err
		}
		current = next
	}
}

// bootPlan says how the server boots.
type bootPlan struct {
	flavorID     string
	imageRef     string
	blockDevices []servers.BlockDevice
}

// resolveBoot picks the flavor and image, and boots from a Nova-managed Cinder volume when the
// spec asks for a root disk size or type, or when the flavor has no disk (pluscloud open's SCS
// flavors such as SCS-2V-4 are diskless).
func (d *Driver) resolveBoot(ctx context.Context, s *scope) (*bootPlan, error) {
	flavor, err := s.compute.FlavorByName(ctx, s.spec.FlavorName)
	if openstack.IsNotFound(err) {
		return nil, &flavorUnavailableError{err: err}
	}
	if err != nil {
		return nil, err
	}
	imageID := s.spec.ImageID
	var minDisk int
	if imageID == "" {
		img, err := s.image.ImageByName(ctx, s.spec.ImageName)
		if err != nil {
			return nil, referenceError(err)
		}
		imageID, minDisk = img.ID, img.MinDiskGigabytes
	}

	size := s.spec.RootDiskSize
	fromVolume := size > 0 || flavor.Disk == 0 || s.spec.RootDiskType != nil
	if !fromVolume {
		return &bootPlan{flavorID: flavor.ID, imageRef: imageID}, nil
	}
	if size == 0 {
		size = flavor.Disk
	}
	if size == 0 && minDisk == 0 && s.spec.ImageID != "" {
		img, err := s.image.ImageByID(ctx, imageID)
		if err != nil {
			return nil, referenceError(err)
		}
		minDisk = img.MinDiskGigabytes
	}
	if size == 0 {
		size = minDisk
	}
	if size == 0 {
		return nil, &invalidSpecError{errs: field.ErrorList{field.Required(field.NewPath("providerSpec", "spec", "rootDiskSize"),
			fmt.Sprintf("flavor %q has no root disk and the image sets no min_disk, so the size of the boot volume is unknown", s.spec.FlavorName))}}
	}
	volumeType := ""
	if s.spec.RootDiskType != nil {
		volumeType = *s.spec.RootDiskType
	}
	return &bootPlan{
		flavorID: flavor.ID,
		blockDevices: []servers.BlockDevice{{
			SourceType:          servers.SourceImage,
			UUID:                imageID,
			DestinationType:     servers.DestinationVolume,
			VolumeSize:          size,
			VolumeType:          volumeType,
			BootIndex:           0,
			DeleteOnTermination: true,
		}},
	}, nil
}

// networkPlan is one port the server gets.
type networkPlan struct {
	networkID  string
	subnetIDs  []string
	podNetwork bool
}

func (d *Driver) resolveNetworks(ctx context.Context, s *scope) ([]networkPlan, error) {
	if s.spec.NetworkID != "" {
		return []networkPlan{{networkID: s.spec.NetworkID, subnetIDs: s.spec.SubnetIDs, podNetwork: true}}, nil
	}
	plans := make([]networkPlan, 0, len(s.spec.Networks))
	for _, n := range s.spec.Networks {
		id := n.Id
		if id == "" {
			var err error
			if id, err = s.network.NetworkIDByName(ctx, n.Name); err != nil {
				return nil, referenceError(err)
			}
		}
		plans = append(plans, networkPlan{networkID: id, podNetwork: n.PodNetwork})
	}
	return plans, nil
}

// ensurePorts returns one port per network, named after the machine: unbound ports of ours left
// by an interrupted attempt are reused, missing ones created with the security groups, the pod
// CIDRs as allowed address pairs, and our tags.
func (d *Driver) ensurePorts(ctx context.Context, s *scope, name string, nets []networkPlan) ([]string, error) {
	var sgIDs []string
	if len(s.spec.SecurityGroups) > 0 {
		var err error
		if sgIDs, err = s.network.SecurityGroupIDs(ctx, s.spec.SecurityGroups); err != nil {
			return nil, referenceError(err)
		}
	}
	existing, err := s.network.ListPorts(ctx, ports.ListOpts{Name: name})
	if err != nil {
		return nil, err
	}
	reusable := map[string]ports.Port{} // network ID -> unbound port of ours
	for _, p := range existing {
		if p.Name == name && p.DeviceID == "" && s.owner.ownsPort(&p) {
			if _, dup := reusable[p.NetworkID]; !dup {
				reusable[p.NetworkID] = p
			}
		}
	}

	podCIDRs := s.spec.PodNetworkCIDRs
	ids := make([]string, 0, len(nets))
	for _, n := range nets {
		if p, ok := reusable[n.networkID]; ok {
			delete(reusable, n.networkID)
			if len(p.Tags) == 0 {
				if err := s.network.ReplacePortTags(ctx, p.ID, s.owner.portTags()); err != nil {
					return nil, err
				}
			}
			ids = append(ids, p.ID)
			continue
		}
		opts := ports.CreateOpts{
			NetworkID:   n.networkID,
			Name:        name,
			Description: s.owner.portDescription(),
		}
		if len(sgIDs) > 0 {
			opts.SecurityGroups = &sgIDs
		}
		if len(n.subnetIDs) > 0 {
			fixed := make([]ports.IP, 0, len(n.subnetIDs))
			for _, subnet := range n.subnetIDs {
				fixed = append(fixed, ports.IP{SubnetID: subnet})
			}
			opts.FixedIPs = fixed
		}
		if n.podNetwork {
			for _, cidr := range podCIDRs {
				opts.AllowedAddressPairs = append(opts.AllowedAddressPairs, ports.AddressPair{IPAddress: cidr})
			}
		}
		port, err := s.network.CreatePort(ctx, opts)
		if err != nil {
			return nil, err
		}
		ids = append(ids, port.ID)
		if err := s.network.ReplacePortTags(ctx, port.ID, s.owner.portTags()); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func referenceError(err error) error {
	if openstack.IsNotFound(err) {
		return &invalidReferenceError{err: err}
	}
	return err
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "UNKNOWN"
	}
	return s
}
