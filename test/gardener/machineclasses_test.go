// Package gardener checks that what gardener-extension-provider-openstack v1.57.0 (the release
// whose image vector ships machine-controller-manager-provider-openstack v0.27.1) renders for
// Shoot worker pools is accepted unchanged by this provider: validation, then a
// create/status/delete on the OpenStack simulator over HTTP. See docs/gardener.md.
package gardener

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	"github.com/gophercloud/gophercloud/v2"
	gcopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servergroups"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/validation"
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
)

// simZone is the only availability zone the simulator serves.
const simZone = "nova"

func TestExtensionRenderedMachineClassesPassValidationAndASimulatorCycleUnchanged(t *testing.T) {
	sim, err := ossim.Start(ossim.Options{BuildTime: 200 * time.Millisecond, DeleteTime: 100 * time.Millisecond, VolumeTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	seed := sim.Seed()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// The extension's worker PreReconcileHook creates the pool's server group before it renders.
	groupID := createServerGroup(ctx, t, sim, seed)
	bind := map[string]string{
		"SIM_NETWORK_ID":      seed.NetworkID,
		"SIM_SUBNET_ID":       seed.SubnetID,
		"SIM_KEY_NAME":        seed.KeyName,
		"SIM_NODES_SG":        seed.SecurityGroupName,
		"SIM_IMAGE_ID":        seed.ImageWithMinDiskID,
		"SIM_SERVER_GROUP_ID": groupID,
	}
	// The Shoot's credentials as the extension's cloudprovider Secret carries them: the keys of the
	// credentials binding plus authURL from the cloud profile (its cloudprovider webhook).
	creds := map[string]map[string][]byte{
		"password": {
			"authURL": []byte(sim.AuthURL()), "domainName": []byte(seed.DomainName), "tenantName": []byte(seed.ProjectName),
			"username": []byte(seed.Username), "password": []byte(seed.Password),
		},
		"application credential": {
			"authURL": []byte(sim.AuthURL()), "domainName": []byte(seed.DomainName), "tenantName": []byte(seed.ProjectName),
			"applicationCredentialID": []byte(seed.AppCredID), "applicationCredentialName": []byte(seed.AppCredName),
			"applicationCredentialSecret": []byte(seed.AppCredSecret),
		},
	}

	opts := driver.DefaultOptions()
	opts.PollInterval, opts.MaxPollInterval = 100*time.Millisecond, 500*time.Millisecond
	d := driver.New(opts)

	files := loadRendered(t, bind)
	for _, r := range files {
		for _, class := range r.classes {
			for credName, cred := range creds {
				t.Run(r.file+"/"+class.Name+"/"+credName, func(t *testing.T) {
					cycleClass(ctx, t, d, sim, r, class, cred)
				})
			}
		}
	}
}

// cycleClass validates one rendered class and runs it through create, status and delete.
func cycleClass(ctx context.Context, t *testing.T, d *driver.Driver, sim *ossim.Sim, r rendered, class *mcmv1alpha1.MachineClass, cred map[string][]byte) {
	// MCM v0.62.1's machine controller refuses a class whose node template lacks any of these
	// (machine_util.go validateNodeTemplate) before it calls a driver; the gardenlet fills them
	// from the cloud profile, so a rendered class must carry them.
	if nt := class.NodeTemplate; nt != nil {
		for _, r := range []corev1.ResourceName{"cpu", "gpu", "memory"} {
			if _, ok := nt.Capacity[r]; !ok {
				t.Fatalf("nodeTemplate.capacity has no %s: MCM would refuse the class", r)
			}
		}
	}
	config, errs := validation.ValidateMachineClass(class)
	if len(errs) > 0 {
		t.Fatalf("the rendered MachineClass fails our validation: %v", errs.ToAggregate())
	}
	secret, err := machineSecret(r, class, cred)
	if err != nil {
		t.Fatal(err)
	}
	if errs := validation.ValidateUserData(secret.Data); len(errs) > 0 {
		t.Fatalf("the rendered userData Secret fails our validation: %v", errs.ToAggregate())
	}
	if _, errs := credentials.Parse(secret.Data); len(errs) > 0 {
		t.Fatalf("the extension's credentials fail our validation: %v", errs.ToAggregate())
	}
	spec := config.Spec

	machine := &mcmv1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: class.Name + "-m1", Namespace: class.Namespace}}
	created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: machine, MachineClass: class, Secret: secret})
	if spec.AvailabilityZone != simZone {
		// The simulator serves one zone; a class for another zone must reach Nova with its zone
		// unchanged, and Nova's refusal is a bad spec, not a retryable error.
		if code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "availability zone") {
			t.Fatalf("create in zone %q: want Nova's InvalidArgument about the availability zone, got %v", spec.AvailabilityZone, err)
		}
		if len(sim.Servers()) != 0 {
			t.Fatalf("a refused create left servers: %+v", sim.Servers())
		}
		return
	}
	if err != nil {
		t.Fatalf("CreateMachine: %v", err)
	}
	machine.Spec.ProviderID = created.ProviderID
	srv := serverByName(t, sim, machine.Name)
	checkServer(t, sim, srv, spec)

	st, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: machine, MachineClass: class, Secret: secret})
	if err != nil {
		t.Fatalf("GetMachineStatus after create: %v", err)
	}
	if st.ProviderID != created.ProviderID {
		t.Fatalf("GetMachineStatus after create: provider ID %q, want %q", st.ProviderID, created.ProviderID)
	}
	if _, err := d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine, MachineClass: class, Secret: secret}); err != nil {
		t.Fatalf("DeleteMachine: %v", err)
	}
	if n := len(sim.Servers()); n != 0 {
		t.Fatalf("%d servers left after DeleteMachine", n)
	}
	for _, p := range sim.Ports() {
		if p.DeviceID == srv.ID {
			t.Fatalf("port %s of the deleted server is left", p.ID)
		}
	}
	// Nova deletes a root volume it owns (delete_on_termination) after the server; Cinder takes
	// VolumeTime for it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var left []ossim.Volume
		for _, v := range sim.Volumes() {
			if slices.Contains(srv.Volumes, v.ID) {
				left = append(left, v)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("root volume of the deleted server is left: %+v", left)
		}
	}
	if _, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: machine, MachineClass: class, Secret: secret}); code(err) != codes.NotFound {
		t.Fatalf("GetMachineStatus after delete: want NotFound, got %v", err)
	}
}

// checkServer compares the server Nova made with what the providerSpec asked for.
func checkServer(t *testing.T, sim *ossim.Sim, srv ossim.Server, spec api.MachineProviderConfigSpec) {
	t.Helper()
	if srv.FlavorName != spec.FlavorName || srv.AvailabilityZone != spec.AvailabilityZone || srv.KeyName != spec.KeyName {
		t.Errorf("server flavor/zone/key %s/%s/%s, want %s/%s/%s", srv.FlavorName, srv.AvailabilityZone, srv.KeyName, spec.FlavorName, spec.AvailabilityZone, spec.KeyName)
	}
	for k, v := range spec.Tags {
		if srv.Metadata[k] != v {
			t.Errorf("server metadata %q = %q, want the class tag %q", k, srv.Metadata[k], v)
		}
	}
	for _, g := range spec.SecurityGroups {
		if !slices.Contains(srv.SecurityGroups, g) {
			t.Errorf("server security groups %v lack %q", srv.SecurityGroups, g)
		}
	}
	wantGroup := ""
	if spec.ServerGroupID != nil {
		wantGroup = *spec.ServerGroupID
	}
	if srv.ServerGroup != wantGroup {
		t.Errorf("server group %q, want %q", srv.ServerGroup, wantGroup)
	}
	if !strings.HasPrefix(srv.UserData, "#cloud-config") {
		t.Errorf("server user data %q is not the class Secret's userData", srv.UserData)
	}

	seed := sim.Seed()
	flavorHasDisk := spec.FlavorName != "SCS-2V-4" // the seed's diskless flavors used by the rendered pools
	if spec.RootDiskSize > 0 || !flavorHasDisk {
		if len(srv.Volumes) != 1 || srv.ImageID != "" {
			t.Fatalf("server boots from image %q with volumes %v, want one root volume", srv.ImageID, srv.Volumes)
		}
		vol := volumeByID(t, sim, srv.Volumes[0])
		if spec.RootDiskSize > 0 && vol.Size != spec.RootDiskSize {
			t.Errorf("root volume size %d GiB, want rootDiskSize %d", vol.Size, spec.RootDiskSize)
		}
		if spec.RootDiskType != nil && vol.VolumeType != *spec.RootDiskType {
			t.Errorf("root volume type %q, want rootDiskType %q", vol.VolumeType, *spec.RootDiskType)
		}
		wantImage := spec.ImageID
		if wantImage == "" {
			wantImage = imageIDByName(t, seed, spec.ImageName)
		}
		if wantImage != "" && vol.ImageID != wantImage {
			t.Errorf("root volume from image %q, want %q", vol.ImageID, wantImage)
		}
	} else if spec.ImageID != "" && srv.ImageID != spec.ImageID {
		t.Errorf("server image %q, want imageID %q", srv.ImageID, spec.ImageID)
	}

	// Every rendered pool is on the seed's network, whose one subnet the pinned pools name.
	subnet := netip.MustParsePrefix(seed.SubnetCIDR)
	var ips []string
	for _, p := range sim.Ports() {
		if p.DeviceID == srv.ID && p.NetworkID == spec.NetworkID {
			for _, ip := range p.FixedIPs {
				if a, err := netip.ParseAddr(ip); err == nil && subnet.Contains(a) {
					ips = append(ips, ip)
				}
			}
		}
	}
	if len(ips) == 0 {
		t.Errorf("server has no fixed IP in subnet %s (%s) of network %s", seed.SubnetID, seed.SubnetCIDR, spec.NetworkID)
	}
}

// imageIDByName is the seed image of that name, "" when the seed does not name it.
func imageIDByName(t *testing.T, seed ossim.Seed, name string) string {
	t.Helper()
	switch name {
	case seed.ImageName:
		return seed.ImageID
	case seed.ImageWithMinDisk:
		return seed.ImageWithMinDiskID
	}
	return ""
}

func serverByName(t *testing.T, sim *ossim.Sim, name string) ossim.Server {
	t.Helper()
	for _, s := range sim.Servers() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no server %q in the simulator", name)
	return ossim.Server{}
}

func volumeByID(t *testing.T, sim *ossim.Sim, id string) ossim.Volume {
	t.Helper()
	for _, v := range sim.Volumes() {
		if v.ID == id {
			return v
		}
	}
	t.Fatalf("no volume %q in the simulator", id)
	return ossim.Volume{}
}

func code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	st, _ := status.FromError(err)
	return st.Code()
}

// createServerGroup makes the pool's soft-anti-affinity server group, as the extension does.
func createServerGroup(ctx context.Context, t *testing.T, sim *ossim.Sim, seed ossim.Seed) string {
	t.Helper()
	provider, err := gcopenstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: sim.AuthURL(), Username: seed.Username, Password: seed.Password,
		DomainName: seed.DomainName, TenantName: seed.ProjectName,
	})
	if err != nil {
		t.Fatalf("logging in to the simulator: %v", err)
	}
	compute, err := gcopenstack.NewComputeV2(provider, gophercloud.EndpointOpts{Region: seed.Region})
	if err != nil {
		t.Fatal(err)
	}
	compute.Microversion = "2.64"
	g, err := servergroups.Create(ctx, compute, servergroups.CreateOpts{Name: "shoot--dev--gardener-ha-5f1d2", Policy: "soft-anti-affinity"}).Extract()
	if err != nil {
		t.Fatalf("creating the server group: %v", err)
	}
	return g.ID
}
