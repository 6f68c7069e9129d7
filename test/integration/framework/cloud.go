package framework

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// Cloud is what the Kubernetes tests need from the OpenStack they run against: the simulator,
// or a real OpenStack named by a clouds.yaml (PCO_E2E_CLOUDS; make e2e-openstack). The same
// specs run against both; what only the simulator can do (fault injection, the Reseller API)
// is labelled simulator-only.
type Cloud interface {
	// Fixture is what the example MachineClass and Secret need.
	Fixture() CloudFixture
	// Servers are the test's servers (on the fixture's network), as snapshots.
	Servers(ctx context.Context) ([]ossim.Server, error)
	// Ports are the test's ports on the fixture's network (the cloud's own, such as DHCP, left out).
	Ports(ctx context.Context) ([]ossim.Port, error)
	// DeleteServer deletes a server behind MCM's back.
	DeleteServer(ctx context.Context, id string) error
	// CreateServer boots a server that no Machine knows, with these Nova tags and metadata.
	CreateServer(ctx context.Context, name string, tags []string, metadata map[string]string) error
	// VolumeIDs are the IDs of the project's volumes.
	VolumeIDs(ctx context.Context) ([]string, error)
	// Close removes what the fixture made.
	Close()
}

// CloudFixture names the cloud's login and the resources a MachineClass refers to.
type CloudFixture struct {
	AuthURL, DomainName, ProjectName, Username, Password, Region string
	NetworkID, ImageName, KeyName, SecurityGroup                 string
	// Flavor is diskless (boots from a volume with rootDiskSize); OtherFlavor is the one a
	// rolling update switches to.
	Flavor, OtherFlavor string
}

// simCloud is the simulator as a Cloud.
type simCloud struct{ sim *ossim.Sim }

// SimCloud is the simulator as a Cloud.
func SimCloud(sim *ossim.Sim) Cloud { return simCloud{sim} }

func (c simCloud) Fixture() CloudFixture {
	seed := c.sim.Seed()
	return CloudFixture{
		AuthURL: c.sim.AuthURL(), DomainName: seed.DomainName, ProjectName: seed.ProjectName,
		Username: seed.Username, Password: seed.Password, Region: seed.Region,
		NetworkID: seed.NetworkID, ImageName: seed.ImageName, KeyName: seed.KeyName, SecurityGroup: seed.SecurityGroupName,
		Flavor: "SCS-2V-4", OtherFlavor: "SCS-4V-16-50s",
	}
}

func (c simCloud) Servers(context.Context) ([]ossim.Server, error) { return c.sim.Servers(), nil }

func (c simCloud) Ports(context.Context) ([]ossim.Port, error) { return c.sim.Ports(), nil }

func (c simCloud) DeleteServer(_ context.Context, id string) error {
	c.sim.DeleteServerOutOfBand(id)
	return nil
}

func (c simCloud) CreateServer(_ context.Context, name string, tags []string, metadata map[string]string) error {
	c.sim.AddServers(1, ossim.Server{Name: name, Tags: tags, Metadata: metadata})
	return nil
}

func (c simCloud) VolumeIDs(context.Context) ([]string, error) {
	var ids []string
	for _, v := range c.sim.Volumes() {
		ids = append(ids, v.ID)
	}
	return ids, nil
}

func (c simCloud) Close() {}

// realCloud is a real OpenStack. Each run makes its own network, subnet, security group and
// keypair (names with a run suffix) and only looks at servers and ports on that network, so
// runs and whatever else lives in the project do not disturb each other.
type realCloud struct {
	fixture          CloudFixture
	compute, network *gophercloud.ServiceClient
	image, storage   *gophercloud.ServiceClient
	networkName      string
	mu               sync.Mutex
	cleanup          []func(context.Context)
}

// realSSHKey is a valid public key nobody holds the private half of.
const realSSHKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb0x8pHcOsbx3mJ1W6yq0FQ8o6c0r8bCwvZpQj1X1Yf pco-e2e"

// NewRealCloud logs in with cloud cloudName of cloudsFile and makes the run's fixture. The lab
// of test/e2e/openstack has the image "cirros-fake" and the flavors SCS-2V-4 (diskless) and
// SCS-2V-4-20s.
func NewRealCloud(ctx context.Context, cloudsFile, cloudName string) (Cloud, error) {
	ao, eo, tlsConfig, err := clouds.Parse(clouds.WithCloudName(cloudName), clouds.WithLocations(cloudsFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", cloudsFile, err)
	}
	provider, err := config.NewProviderClient(ctx, ao, config.WithTLSConfig(tlsConfig))
	if err != nil {
		return nil, fmt.Errorf("logging in to %s: %w", ao.IdentityEndpoint, err)
	}
	c := &realCloud{}
	if c.compute, err = gopenstack.NewComputeV2(provider, eo); err != nil {
		return nil, err
	}
	c.compute.Microversion = "2.52" // flavor names in server details (2.47), tags at create (2.52)
	if c.network, err = gopenstack.NewNetworkV2(provider, eo); err != nil {
		return nil, err
	}
	if c.image, err = gopenstack.NewImageV2(provider, eo); err != nil {
		return nil, err
	}
	if c.storage, err = gopenstack.NewBlockStorageV3(provider, eo); err != nil {
		return nil, err
	}
	suffix := fmt.Sprint(time.Now().UnixNano() % 1e9)
	c.networkName = "pco-it-" + suffix
	fail := func(err error) (Cloud, error) { c.Close(); return nil, err }
	net, err := networks.Create(ctx, c.network, networks.CreateOpts{Name: c.networkName}).Extract()
	if err != nil {
		return fail(err)
	}
	c.push(func(ctx context.Context) { _ = networks.Delete(ctx, c.network, net.ID).ExtractErr() })
	if _, err := subnets.Create(ctx, c.network, subnets.CreateOpts{NetworkID: net.ID, CIDR: "10.98.0.0/22", IPVersion: gophercloud.IPv4}).Extract(); err != nil {
		return fail(err)
	}
	sg, err := groups.Create(ctx, c.network, groups.CreateOpts{Name: "pco-it-" + suffix}).Extract()
	if err != nil {
		return fail(err)
	}
	c.push(func(ctx context.Context) { _ = groups.Delete(ctx, c.network, sg.ID).ExtractErr() })
	kp, err := keypairs.Create(ctx, c.compute, keypairs.CreateOpts{Name: "pco-it-" + suffix, PublicKey: realSSHKey}).Extract()
	if err != nil {
		return fail(err)
	}
	c.push(func(ctx context.Context) { _ = keypairs.Delete(ctx, c.compute, kp.Name, nil).ExtractErr() })
	c.fixture = CloudFixture{
		AuthURL: ao.IdentityEndpoint, DomainName: firstNonEmpty(ao.DomainName, "Default"), ProjectName: ao.TenantName,
		Username: ao.Username, Password: ao.Password, Region: eo.Region,
		NetworkID: net.ID, ImageName: "cirros-fake", KeyName: kp.Name, SecurityGroup: sg.Name,
		Flavor: "SCS-2V-4", OtherFlavor: "SCS-2V-4-20s",
	}
	if ao.Scope != nil && ao.Scope.ProjectName != "" {
		c.fixture.ProjectName = ao.Scope.ProjectName
	}
	return c, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (c *realCloud) push(f func(context.Context)) {
	c.mu.Lock()
	c.cleanup = append(c.cleanup, f)
	c.mu.Unlock()
}

func (c *realCloud) Fixture() CloudFixture { return c.fixture }

func (c *realCloud) Servers(ctx context.Context) ([]ossim.Server, error) {
	pages, err := servers.List(c.compute, servers.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	list, err := servers.ExtractServers(pages)
	if err != nil {
		return nil, err
	}
	// A server still building has no addresses yet, only a port on the network: the ports are
	// listed once, and only when some server needs them.
	var onNetwork map[string]bool
	ours := func(s servers.Server) (bool, error) {
		if _, ok := s.Addresses[c.networkName]; ok {
			return true, nil
		}
		if onNetwork == nil {
			prts, err := c.Ports(ctx)
			if err != nil {
				return false, err
			}
			onNetwork = map[string]bool{}
			for _, p := range prts {
				onNetwork[p.DeviceID] = true
			}
		}
		return onNetwork[s.ID], nil
	}
	var out []ossim.Server
	for _, s := range list {
		if ok, err := ours(s); err != nil {
			return nil, err
		} else if !ok {
			continue // not on this run's network
		}
		flavor, _ := s.Flavor["original_name"].(string)
		out = append(out, ossim.Server{ID: s.ID, Name: s.Name, ProjectID: s.TenantID, Status: s.Status, TaskState: s.TaskState, FlavorName: flavor, Metadata: s.Metadata, Tags: deref(s.Tags)})
	}
	return out, nil
}

func deref(p *[]string) []string {
	if p == nil {
		return nil
	}
	return *p
}

func (c *realCloud) Ports(ctx context.Context) ([]ossim.Port, error) {
	pages, err := ports.List(c.network, ports.ListOpts{NetworkID: c.fixture.NetworkID}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	list, err := ports.ExtractPorts(pages)
	if err != nil {
		return nil, err
	}
	var out []ossim.Port
	for _, p := range list {
		if strings.HasPrefix(p.DeviceOwner, "network:") {
			continue
		}
		out = append(out, ossim.Port{ID: p.ID, Name: p.Name, NetworkID: p.NetworkID, DeviceID: p.DeviceID, DeviceOwner: p.DeviceOwner, Status: p.Status, Tags: p.Tags})
	}
	return out, nil
}

func (c *realCloud) DeleteServer(ctx context.Context, id string) error {
	return servers.Delete(ctx, c.compute, id).ExtractErr()
}

func (c *realCloud) CreateServer(ctx context.Context, name string, tags []string, metadata map[string]string) error {
	flavorID, err := flavorIDByName(ctx, c.compute, c.fixture.OtherFlavor)
	if err != nil {
		return err
	}
	imageID, err := imageIDByName(ctx, c.image, c.fixture.ImageName)
	if err != nil {
		return err
	}
	_, err = servers.Create(ctx, c.compute, servers.CreateOpts{
		Name: name, FlavorRef: flavorID, ImageRef: imageID, Metadata: metadata, Tags: tags,
		Networks: []servers.Network{{UUID: c.fixture.NetworkID}},
	}, nil).Extract()
	return err
}

func (c *realCloud) VolumeIDs(ctx context.Context) ([]string, error) {
	pages, err := volumes.List(c.storage, volumes.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing volumes: %w", err)
	}
	list, err := volumes.ExtractVolumes(pages)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list))
	for _, v := range list {
		ids = append(ids, v.ID)
	}
	return ids, nil
}

// Close deletes what this run left (servers on its network first, then the fixture).
func (c *realCloud) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if c.compute != nil && c.fixture.NetworkID != "" {
		list, _ := c.Servers(ctx)
		for _, s := range list {
			_ = servers.Delete(ctx, c.compute, s.ID).ExtractErr()
		}
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
			if list, err := c.Servers(ctx); err == nil && len(list) == 0 {
				break
			}
		}
		if list, err := c.Ports(ctx); err == nil {
			for _, p := range list {
				_ = ports.Delete(ctx, c.network, p.ID).ExtractErr()
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.cleanup) - 1; i >= 0; i-- {
		c.cleanup[i](ctx)
	}
	c.cleanup = nil
}

// RealCloudFromEnv returns the clouds.yaml and cloud name that select a real OpenStack for the
// Kubernetes tests (PCO_E2E_CLOUDS, PCO_E2E_CLOUD default oslab-demo), or "" for the simulator.
func RealCloudFromEnv() (file, name string) {
	name = os.Getenv("PCO_E2E_CLOUD")
	if name == "" {
		name = "oslab-demo"
	}
	return os.Getenv("PCO_E2E_CLOUDS"), name
}

func flavorIDByName(ctx context.Context, compute *gophercloud.ServiceClient, name string) (string, error) {
	pages, err := flavors.ListDetail(compute, flavors.ListOpts{}).AllPages(ctx)
	if err != nil {
		return "", err
	}
	list, err := flavors.ExtractFlavors(pages)
	if err != nil {
		return "", err
	}
	for _, f := range list {
		if f.Name == name {
			return f.ID, nil
		}
	}
	return "", fmt.Errorf("no flavor %q", name)
}

func imageIDByName(ctx context.Context, image *gophercloud.ServiceClient, name string) (string, error) {
	pages, err := images.List(image, images.ListOpts{Name: name}).AllPages(ctx)
	if err != nil {
		return "", err
	}
	list, err := images.ExtractImages(pages)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", fmt.Errorf("no image %q", name)
	}
	return list[0].ID, nil
}
