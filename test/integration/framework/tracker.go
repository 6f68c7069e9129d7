package framework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// ResourcesTracker is the orphan finder MCM's provider integration-test framework
// (pkg/test/integration/common) asks for. It talks to the cloud with the MachineClass's
// credentials through the public OpenStack API (not through our driver, whose bugs it must not
// share), so the same tracker serves the simulator and a real cloud.
//
// At initialization it records the servers, ports and volumes that already exist; afterwards
// every server, port or volume that was not there before is an orphan, since at the point the
// framework asks, all its Machines are gone. Servers left over from an earlier, crashed run
// (carrying the integration-test role in their metadata) are deleted first, as the peer
// provider's tracker does.
type ResourcesTracker struct {
	mu       sync.Mutex
	creds    *credentials.Credentials
	region   string
	baseline map[string]bool // "server/<id>", "port/<id>", "volume/<id>"
	// Last holds what the last IsOrphanedResourcesAvailable found, for failure messages.
	Last []string
}

// IntegrationTestRoleTag marks the framework's machines (set by .ci/controllers-test/machine-class-patch.json).
const IntegrationTestRoleTag = "kubernetes.io-role-integration-test"

// InitializeResourcesTracker implements helpers.ResourcesTrackerInterface.
func (t *ResourcesTracker) InitializeResourcesTracker(mc *mcmv1alpha1.MachineClass, secretData map[string][]byte, _ string) error {
	creds, err := credentials.FromSecretData(secretData)
	if err != nil {
		return fmt.Errorf("resources tracker: MachineClass %s credentials: %w", mc.Name, err)
	}
	spec, err := ProviderSpec(mc)
	if err != nil {
		return fmt.Errorf("resources tracker: MachineClass %s providerSpec: %w", mc.Name, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.creds, t.region = creds, spec.Spec.Region
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := t.clients(ctx)
	if err != nil {
		return err
	}
	if err := cl.deleteLeftoverServers(ctx); err != nil {
		return err
	}
	found, err := cl.inventory(ctx)
	if err != nil {
		return err
	}
	t.baseline = map[string]bool{}
	for _, r := range found {
		t.baseline[r.key] = true
	}
	return nil
}

// IsOrphanedResourcesAvailable implements helpers.ResourcesTrackerInterface: true while any
// server, port or volume made since initialization still exists (or the cloud cannot be asked).
func (t *ResourcesTracker) IsOrphanedResourcesAvailable() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := t.clients(ctx)
	if err != nil {
		t.Last = []string{err.Error()}
		return true
	}
	found, err := cl.inventory(ctx)
	if err != nil {
		t.Last = []string{err.Error()}
		return true
	}
	t.Last = nil
	for _, r := range found {
		if !t.baseline[r.key] {
			t.Last = append(t.Last, r.String())
		}
	}
	return len(t.Last) > 0
}

type trackerClients struct{ compute, network, volume *gophercloud.ServiceClient }

// clients authenticates afresh each time: a probe every few seconds is cheap, and a token that
// outlives a long suite is not worth a refresh path in a test helper.
func (t *ResourcesTracker) clients(ctx context.Context) (*trackerClients, error) {
	if t.creds == nil {
		return nil, fmt.Errorf("resources tracker not initialized")
	}
	provider, err := testenv.Login(ctx, t.creds)
	if err != nil {
		return nil, fmt.Errorf("resources tracker: %w", err)
	}
	eo := gophercloud.EndpointOpts{Region: t.region}
	var cl trackerClients
	if cl.compute, err = gopenstack.NewComputeV2(provider, eo); err != nil {
		return nil, err
	}
	if cl.network, err = gopenstack.NewNetworkV2(provider, eo); err != nil {
		return nil, err
	}
	if cl.volume, err = gopenstack.NewBlockStorageV3(provider, eo); err != nil {
		return nil, err
	}
	return &cl, nil
}

type cloudResource struct{ key, name, status string }

func (r cloudResource) String() string { return fmt.Sprintf("%s (%s, %s)", r.key, r.name, r.status) }

// inventory lists every server, port and volume of the project.
func (cl *trackerClients) inventory(ctx context.Context) ([]cloudResource, error) {
	var out []cloudResource
	pages, err := servers.List(cl.compute, servers.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing servers: %w", err)
	}
	srvs, err := servers.ExtractServers(pages)
	if err != nil {
		return nil, err
	}
	for _, s := range srvs {
		out = append(out, cloudResource{"server/" + s.ID, s.Name, s.Status})
	}
	if pages, err = ports.List(cl.network, ports.ListOpts{}).AllPages(ctx); err != nil {
		return nil, fmt.Errorf("listing ports: %w", err)
	}
	prts, err := ports.ExtractPorts(pages)
	if err != nil {
		return nil, err
	}
	for _, p := range prts {
		// Ports of the cloud's own (DHCP, routers) come and go with networks, not machines.
		if strings.HasPrefix(p.DeviceOwner, "network:") {
			continue
		}
		out = append(out, cloudResource{"port/" + p.ID, p.Name, p.Status})
	}
	if pages, err = volumes.List(cl.volume, volumes.ListOpts{}).AllPages(ctx); err != nil {
		return nil, fmt.Errorf("listing volumes: %w", err)
	}
	vols, err := volumes.ExtractVolumes(pages)
	if err != nil {
		return nil, err
	}
	for _, v := range vols {
		out = append(out, cloudResource{"volume/" + v.ID, v.Name, v.Status})
	}
	slices.SortFunc(out, func(a, b cloudResource) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

// deleteLeftoverServers removes servers of an earlier integration-test run and waits until
// they are gone, so the baseline does not count them.
func (cl *trackerClients) deleteLeftoverServers(ctx context.Context) error {
	pages, err := servers.List(cl.compute, servers.ListOpts{}).AllPages(ctx)
	if err != nil {
		return fmt.Errorf("listing servers: %w", err)
	}
	srvs, err := servers.ExtractServers(pages)
	if err != nil {
		return err
	}
	var left []string
	for _, s := range srvs {
		if _, ok := s.Metadata[IntegrationTestRoleTag]; ok {
			if err := servers.Delete(ctx, cl.compute, s.ID).ExtractErr(); err != nil && !gophercloud.ResponseCodeIs(err, 404) {
				return fmt.Errorf("deleting leftover server %s: %w", s.ID, err)
			}
			left = append(left, s.ID)
		}
	}
	for _, id := range left {
		for {
			if err := servers.Get(ctx, cl.compute, id).Err; gophercloud.ResponseCodeIs(err, 404) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("leftover server %s not gone: %w", id, ctx.Err())
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}
