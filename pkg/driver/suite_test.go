package driver_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
)

func TestDriver(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Driver Suite")
}

const (
	clusterKey = "kubernetes.io-cluster-shoot--pco--demo"
	roleKey    = "kubernetes.io-role-node"
	// userData is a fixture secret: it must never show up in errors.
	userData = "#cloud-config\nbootstrap-token: s3cr3t-b00tstrap\n"
)

// fastOptions make the driver poll often so the suite runs in seconds against the simulator.
func fastOptions() driver.Options {
	o := driver.DefaultOptions()
	o.PollInterval = 20 * time.Millisecond
	o.MaxPollInterval = 100 * time.Millisecond
	o.CreateTimeout = 5 * time.Second
	o.DeleteTimeout = 5 * time.Second
	o.Sessions.RequestsPerSecond = 0
	return o
}

func startSim(mod func(*ossim.Options)) *ossim.Sim {
	opts := ossim.Options{BuildTime: 100 * time.Millisecond, DeleteTime: 50 * time.Millisecond, VolumeTime: 20 * time.Millisecond}
	if mod != nil {
		mod(&opts)
	}
	sim, err := ossim.Start(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	return sim
}

// baseSpec is a provider-openstack v0.27.1 providerSpec for the simulator's seeded project.
func baseSpec(sim *ossim.Sim) api.MachineProviderConfigSpec {
	seed := sim.Seed()
	return api.MachineProviderConfigSpec{
		ImageName:        seed.ImageName,
		Region:           seed.Region,
		AvailabilityZone: "nova",
		FlavorName:       "SCS-2V-4-20s",
		KeyName:          seed.KeyName,
		SecurityGroups:   []string{seed.SecurityGroupName},
		NetworkID:        seed.NetworkID,
		PodNetworkCidr:   "100.96.0.0/11",
		Tags:             map[string]string{clusterKey: "1", roleKey: "1"},
	}
}

func machineClass(spec api.MachineProviderConfigSpec) *mcmv1alpha1.MachineClass {
	raw, err := json.Marshal(api.MachineProviderConfig{
		TypeMeta: metav1.TypeMeta{APIVersion: api.APIVersion, Kind: api.Kind},
		Spec:     spec,
	})
	Expect(err).NotTo(HaveOccurred())
	return &mcmv1alpha1.MachineClass{
		ObjectMeta:   metav1.ObjectMeta{Name: "pco-class", Namespace: "shoot--pco--demo"},
		Provider:     api.ProviderName,
		ProviderSpec: runtime.RawExtension{Raw: raw},
	}
}

func secret(sim *ossim.Sim) *corev1.Secret {
	seed := sim.Seed()
	return &corev1.Secret{Data: map[string][]byte{
		"authURL":    []byte(sim.AuthURL()),
		"domainName": []byte(seed.DomainName),
		"tenantName": []byte(seed.ProjectName),
		"username":   []byte(seed.Username),
		"password":   []byte(seed.Password),
		"userData":   []byte(userData),
	}}
}

func machine(name string) *mcmv1alpha1.Machine {
	return &mcmv1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shoot--pco--demo"}}
}

// fixture bundles what one driver call needs.
type fixture struct {
	sim    *ossim.Sim
	drv    *driver.Driver
	class  *mcmv1alpha1.MachineClass
	secret *corev1.Secret
}

func newFixture(simMod func(*ossim.Options), specMod func(*api.MachineProviderConfigSpec), opts driver.Options) *fixture {
	sim := startSim(simMod)
	spec := baseSpec(sim)
	if specMod != nil {
		specMod(&spec)
	}
	return &fixture{sim: sim, drv: driver.New(opts), class: machineClass(spec), secret: secret(sim)}
}

func (f *fixture) create(name string) (*mcmdriver.CreateMachineResponse, error) {
	return f.drv.CreateMachine(context.Background(), &mcmdriver.CreateMachineRequest{Machine: machine(name), MachineClass: f.class, Secret: f.secret})
}

func (f *fixture) status(m *mcmv1alpha1.Machine) (*mcmdriver.GetMachineStatusResponse, error) {
	return f.drv.GetMachineStatus(context.Background(), &mcmdriver.GetMachineStatusRequest{Machine: m, MachineClass: f.class, Secret: f.secret})
}

func (f *fixture) initialize(m *mcmv1alpha1.Machine) (*mcmdriver.InitializeMachineResponse, error) {
	return f.drv.InitializeMachine(context.Background(), &mcmdriver.InitializeMachineRequest{Machine: m, MachineClass: f.class, Secret: f.secret})
}

func (f *fixture) delete(m *mcmv1alpha1.Machine) error {
	_, err := f.drv.DeleteMachine(context.Background(), &mcmdriver.DeleteMachineRequest{Machine: m, MachineClass: f.class, Secret: f.secret})
	return err
}

func (f *fixture) list() map[string]string {
	resp, err := f.drv.ListMachines(context.Background(), &mcmdriver.ListMachinesRequest{MachineClass: f.class, Secret: f.secret})
	Expect(err).NotTo(HaveOccurred())
	return resp.MachineList
}

// withProviderID is the Machine as MCM's orphan collection passes it: name and provider ID only.
func withProviderID(name, providerID string) *mcmv1alpha1.Machine {
	m := machine(name)
	m.Spec.ProviderID = providerID
	return m
}

// codeOf returns the MCM code of a driver error.
func codeOf(err error) codes.Code {
	st, ok := status.FromError(err)
	Expect(ok).To(BeTrue(), "driver errors must be parseable by MCM: %v", err)
	return st.Code()
}

func serversNamed(sim *ossim.Sim, name string) []ossim.Server {
	var out []ossim.Server
	for _, s := range sim.Servers() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func portsNamed(sim *ossim.Sim, name string) []ossim.Port {
	var out []ossim.Port
	for _, p := range sim.Ports() {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// portsOf are the ports bound to the machine's servers (Nova made them; their name is empty).
func portsOf(sim *ossim.Sim, name string) []ossim.Port {
	ids := map[string]bool{}
	for _, s := range serversNamed(sim, name) {
		ids[s.ID] = true
	}
	var out []ossim.Port
	for _, p := range sim.Ports() {
		if ids[p.DeviceID] {
			out = append(out, p)
		}
	}
	return out
}

// unboundPorts are ports whose server does not exist (leaks).
func unboundPorts(sim *ossim.Sim) []ossim.Port {
	live := map[string]bool{}
	for _, s := range sim.Servers() {
		live[s.ID] = true
	}
	var out []ossim.Port
	for _, p := range sim.Ports() {
		if !live[p.DeviceID] {
			out = append(out, p)
		}
	}
	return out
}

// pinSubnet makes the driver create the machine's ports itself (fixed IPs in the subnet).
func (f *fixture) pinSubnet() {
	spec := baseSpec(f.sim)
	subnet := f.sim.Seed().SubnetID
	spec.SubnetID = &subnet
	f.class = machineClass(spec)
}
