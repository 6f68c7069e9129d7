package openstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"sync"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
	pcoopenstack "github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

const (
	clusterKey = "kubernetes.io-cluster-pco-e2e"
	roleKey    = "kubernetes.io-role-node"
	sshKey     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb0x8pHcOsbx3mJ1W6yq0FQ8o6c0r8bCwvZpQj1X1Yf pco-e2e"
)

// fixture is what the tests made in the project (network, subnet, security group, keypair);
// it is removed after the suite.
type fixture struct {
	region                     string
	compute, network           *gophercloud.ServiceClient
	networkID, sgName, keyName string
	subnetID                   string
	cleanup                    []func(context.Context)
	secret                     *corev1.Secret
}

var fx *fixture

var _ = BeforeSuite(func(ctx SpecContext) {
	if cloudsFile() == "" {
		Skip("PCO_E2E_CLOUDS is not set: no real OpenStack to test against (make e2e-openstack sets it)")
	}
	yamlBytes, err := os.ReadFile(cloudsFile())
	Expect(err).NotTo(HaveOccurred())
	authOpts, endpointOpts, tlsConfig, err := clouds.Parse(clouds.WithCloudName(cloudName()), clouds.WithLocations(cloudsFile()))
	Expect(err).NotTo(HaveOccurred())
	provider, err := config.NewProviderClient(ctx, authOpts, config.WithTLSConfig(tlsConfig))
	Expect(err).NotTo(HaveOccurred())
	fx = &fixture{region: endpointOpts.Region}
	fx.compute, err = openstack.NewComputeV2(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())
	fx.network, err = openstack.NewNetworkV2(provider, endpointOpts)
	Expect(err).NotTo(HaveOccurred())

	suffix := fmt.Sprint(time.Now().Unix())
	net, err := networks.Create(ctx, fx.network, networks.CreateOpts{Name: "pco-e2e-" + suffix}).Extract()
	Expect(err).NotTo(HaveOccurred())
	fx.networkID = net.ID
	fx.cleanup = append(fx.cleanup, func(ctx context.Context) { _ = networks.Delete(ctx, fx.network, net.ID).ExtractErr() })
	subnet, err := subnets.Create(ctx, fx.network, subnets.CreateOpts{NetworkID: net.ID, CIDR: "10.99.0.0/24", IPVersion: gophercloud.IPv4}).Extract()
	Expect(err).NotTo(HaveOccurred())
	fx.subnetID = subnet.ID
	sg, err := groups.Create(ctx, fx.network, groups.CreateOpts{Name: "pco-e2e-" + suffix}).Extract()
	Expect(err).NotTo(HaveOccurred())
	fx.sgName = sg.Name
	fx.cleanup = append(fx.cleanup, func(ctx context.Context) { _ = groups.Delete(ctx, fx.network, sg.ID).ExtractErr() })
	kp, err := keypairs.Create(ctx, fx.compute, keypairs.CreateOpts{Name: "pco-e2e-" + suffix, PublicKey: sshKey}).Extract()
	Expect(err).NotTo(HaveOccurred())
	fx.keyName = kp.Name
	fx.cleanup = append(fx.cleanup, func(ctx context.Context) { _ = keypairs.Delete(ctx, fx.compute, kp.Name, nil).ExtractErr() })

	fx.secret = &corev1.Secret{Data: map[string][]byte{
		"clouds.yaml": yamlBytes, "cloud": []byte(cloudName()), "userData": []byte("#cloud-config\n"),
	}}
})

var _ = AfterSuite(func(ctx SpecContext) {
	if fx == nil {
		return
	}
	for i := len(fx.cleanup) - 1; i >= 0; i-- {
		fx.cleanup[i](ctx)
	}
})

func class(mod func(*api.MachineProviderConfigSpec)) *mcmv1alpha1.MachineClass {
	spec := api.MachineProviderConfigSpec{
		ImageName: "cirros-fake", Region: fx.region, AvailabilityZone: "nova", FlavorName: "m1.small",
		KeyName: fx.keyName, SecurityGroups: []string{fx.sgName}, NetworkID: fx.networkID,
		PodNetworkCIDRs: []string{"100.96.0.0/11"}, Tags: map[string]string{clusterKey: "1", roleKey: "1"},
	}
	if mod != nil {
		mod(&spec)
	}
	raw, err := json.Marshal(api.MachineProviderConfig{TypeMeta: metav1.TypeMeta{APIVersion: api.APIVersion, Kind: api.Kind}, Spec: spec})
	Expect(err).NotTo(HaveOccurred())
	return &mcmv1alpha1.MachineClass{Provider: api.ProviderName, ProviderSpec: runtime.RawExtension{Raw: raw}}
}

func machine(name, providerID string) *mcmv1alpha1.Machine {
	return &mcmv1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "e2e"}, Spec: mcmv1alpha1.MachineSpec{ProviderID: providerID}}
}

func driverOptions() driver.Options {
	o := driver.DefaultOptions()
	o.PollInterval, o.MaxPollInterval = 500*time.Millisecond, 2*time.Second
	o.CreateTimeout, o.DeleteTimeout = 3*time.Minute, 2*time.Minute
	return o
}

func portsNamed(ctx context.Context, name string) []ports.Port {
	pages, err := ports.List(fx.network, ports.ListOpts{Name: name}).AllPages(ctx)
	Expect(err).NotTo(HaveOccurred())
	list, err := ports.ExtractPorts(pages)
	Expect(err).NotTo(HaveOccurred())
	return list
}

// requestCounter counts a driver's requests under the keys countingDriver's caller picks.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *requestCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// countingDriver is a driver with production polling (2s growing to 10s), so that the counts are
// what a real deployment pays, counting each request under the keys keys returns for it.
func countingDriver(keys func(pcoopenstack.RequestEvent) []string) (*driver.Driver, *requestCounter) {
	c := &requestCounter{counts: map[string]int{}}
	opts := driverOptions()
	opts.PollInterval, opts.MaxPollInterval = driver.DefaultOptions().PollInterval, driver.DefaultOptions().MaxPollInterval
	opts.Sessions.Observer = func(ev pcoopenstack.RequestEvent) {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, k := range keys(ev) {
			c.counts[k]++
		}
	}
	return driver.New(opts), c
}

func serversNamed(ctx context.Context, name string) []servers.Server {
	pages, err := servers.List(fx.compute, servers.ListOpts{Name: "^" + name + "$"}).AllPages(ctx)
	Expect(err).NotTo(HaveOccurred())
	list, err := servers.ExtractServers(pages)
	Expect(err).NotTo(HaveOccurred())
	return list
}

func portsOfServer(ctx context.Context, serverID string) []ports.Port {
	pages, err := ports.List(fx.network, ports.ListOpts{DeviceID: serverID}).AllPages(ctx)
	Expect(err).NotTo(HaveOccurred())
	list, err := ports.ExtractPorts(pages)
	Expect(err).NotTo(HaveOccurred())
	return list
}

var _ = Describe("the driver against a real OpenStack", func() {
	It("creates, adopts, reports, lists and deletes a machine, leaving nothing behind", func(ctx SpecContext) {
		d := driver.New(driverOptions())
		mc := class(nil)
		name := fmt.Sprintf("pco-e2e-%d", time.Now().Unix())

		_, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: machine(name, ""), MachineClass: mc, Secret: fx.secret})
		st, _ := status.FromError(err)
		Expect(st.Code()).To(Equal(codes.NotFound))

		created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: machine(name, ""), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) {
			_, _ = d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		})
		Expect(created.ProviderID).To(HavePrefix("openstack:///" + fx.region + "/"))

		again, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: machine(name, ""), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		Expect(again.ProviderID).To(Equal(created.ProviderID), "a second create adopts the server")

		id := created.ProviderID[len("openstack:///"+fx.region+"/"):]
		withTags := *fx.compute
		withTags.Microversion = "2.26" // servers show their tags from 2.26 on
		srv, err := servers.Get(ctx, &withTags, id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(srv.Status).To(Equal("ACTIVE"))
		Expect(srv.Metadata).To(HaveKeyWithValue(clusterKey, "1"))
		ps := portsOfServer(ctx, id)
		Expect(ps).To(HaveLen(1), "Nova made the server's port")
		Expect(ps[0].AllowedAddressPairs).To(ContainElement(HaveField("IPAddress", "100.96.0.0/11")))

		Expect(srv.Tags).NotTo(BeNil())
		Expect(*srv.Tags).To(ContainElement("mcm-provider-pco-initialized"), "marked initialized in the create request")
		got, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: machine(name, ""), MachineClass: mc, Secret: fx.secret})
		st, _ = status.FromError(err)
		Expect(st.Code()).To(Equal(codes.NotFound), "found by name: no provider ID before CreateMachine finished it")
		Expect(got).To(BeNil())
		got, err = d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.ProviderID).To(Equal(created.ProviderID))
		_, err = d.InitializeMachine(ctx, &mcmdriver.InitializeMachineRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		list, err := d.ListMachines(ctx, &mcmdriver.ListMachinesRequest{MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		Expect(list.MachineList).To(HaveKeyWithValue(created.ProviderID, name))

		_, err = d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		gone, err := servers.Get(ctx, fx.compute, id).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 404)).To(BeTrue(), "the server is gone when DeleteMachine returns, not %+v", gone)
		Eventually(func() []ports.Port { return portsOfServer(ctx, id) }).WithTimeout(30*time.Second).Should(BeEmpty(), "Nova deletes the ports it made")
		_, err = d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred(), "deleting again succeeds")
		_, err = d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		st, _ = status.FromError(err)
		Expect(st.Code()).To(Equal(codes.NotFound))
	})

	It("makes, tags and deletes the ports itself when the spec pins a subnet", func(ctx SpecContext) {
		d := driver.New(driverOptions())
		mc := class(func(s *api.MachineProviderConfigSpec) { s.SubnetIDs = []string{fx.subnetID} })
		name := fmt.Sprintf("pco-e2e-subnet-%d", time.Now().Unix())
		created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: machine(name, ""), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) {
			_, _ = d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		})
		ps := portsNamed(ctx, name)
		Expect(ps).To(HaveLen(1))
		Expect(ps[0].Tags).To(ContainElements(clusterKey, roleKey))
		Expect(ps[0].FixedIPs).To(ContainElement(HaveField("SubnetID", fx.subnetID)))
		Expect(ps[0].AllowedAddressPairs).To(ContainElement(HaveField("IPAddress", "100.96.0.0/11")))
		_, err = d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		Expect(portsNamed(ctx, name)).To(BeEmpty())
	})

	It("boots a diskless flavor from a Cinder volume", func(ctx SpecContext) {
		d := driver.New(driverOptions())
		mc := class(func(s *api.MachineProviderConfigSpec) { s.FlavorName, s.RootDiskSize = "SCS-2V-4", 1 })
		name := fmt.Sprintf("pco-e2e-bfv-%d", time.Now().Unix())
		created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: machine(name, ""), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
		id := created.ProviderID[len("openstack:///"+fx.region+"/"):]
		withTags := *fx.compute
		withTags.Microversion = "2.26" // servers show their tags from 2.26 on
		srv, err := servers.Get(ctx, &withTags, id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(srv.AttachedVolumes).To(HaveLen(1))
		_, err = d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine(name, created.ProviderID), MachineClass: mc, Secret: fx.secret})
		Expect(err).NotTo(HaveOccurred())
	})

	It("reports a flavor the cloud does not offer as ResourceExhausted before touching Neutron", func(ctx SpecContext) {
		d := driver.New(driverOptions())
		mc := class(func(s *api.MachineProviderConfigSpec) { s.FlavorName = "no-such-flavor" })
		_, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: machine("pco-e2e-noflavor", ""), MachineClass: mc, Secret: fx.secret})
		st, _ := status.FromError(err)
		Expect(st.Code()).To(Equal(codes.ResourceExhausted), "as provider-openstack, so the autoscaler tries another pool: %v", err)
		Expect(portsNamed(ctx, "pco-e2e-noflavor")).To(BeEmpty())
	})
})

var _ = Describe("request cost on a real OpenStack", func() {
	It("counts the requests of MCM's machine cycle", func(ctx SpecContext) {
		d, requests := countingDriver(func(ev pcoopenstack.RequestEvent) []string { return []string{ev.Service, "total"} })
		mc := class(nil)
		const cycles = 3
		for i := range cycles {
			name := fmt.Sprintf("pco-e2e-cost-%d-%d", time.Now().Unix(), i)
			_, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: machine(name, ""), MachineClass: mc, Secret: fx.secret})
			Expect(err).To(HaveOccurred())
			created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: machine(name, ""), MachineClass: mc, Secret: fx.secret})
			Expect(err).NotTo(HaveOccurred())
			m := machine(name, created.ProviderID)
			_, err = d.InitializeMachine(ctx, &mcmdriver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: fx.secret})
			Expect(err).NotTo(HaveOccurred())
			_, err = d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: fx.secret})
			Expect(err).NotTo(HaveOccurred())
			_, err = d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: fx.secret})
			Expect(err).NotTo(HaveOccurred())
		}
		counts := requests.snapshot()
		fmt.Fprintf(GinkgoWriter, "MEASURE real-openstack cycles=%d requests_total=%d requests_per_cycle=%.2f identity=%d compute=%d network=%d image=%d\n",
			cycles, counts["total"], float64(counts["total"])/cycles, counts["identity"], counts["compute"], counts["network"], counts["image"])
		AddReportEntry("request cost", counts)
		// The peer needs 16 per cycle on this lab (shared/reference/peer-baseline-on-real-openstack.md);
		// ours: a look by name, POST, the polls, a port list and update, DELETE, a poll, and the
		// token, flavor and image once for all cycles.
		Expect(float64(counts["total"])/cycles).To(BeNumerically("<=", 9), "about half the peer's 16 (8.0-8.33 measured on this lab)")
		Expect(counts["identity"]).To(Equal(1), "one Keystone token for all cycles")
	})
})

// serverWatch (pkg/driver/watch.go) answers concurrent waiters from one listing of the cluster's
// servers changed lately (tags and changes-since): Nova must show a building server there with
// its status, or every waiter falls back to its own GET.
var _ = Describe("looks shared between servers built at once on a real OpenStack", func() {
	It("builds 4 servers at once with at most 2 GETs of single servers and deletes them with at most 2 GETs each", func(ctx SpecContext) {
		d, requests := countingDriver(func(ev pcoopenstack.RequestEvent) []string { return []string{ev.Operation} })
		mc := class(nil)
		const machines = 4
		names := make([]string, machines)
		ids := make([]string, machines)
		var wg sync.WaitGroup
		for i := range machines {
			names[i] = fmt.Sprintf("pco-e2e-batch-%d-%d", time.Now().Unix(), i)
			wg.Go(func() {
				defer GinkgoRecover()
				created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: machine(names[i], ""), MachineClass: mc, Secret: fx.secret})
				Expect(err).NotTo(HaveOccurred())
				ids[i] = created.ProviderID
			})
		}
		wg.Wait()
		built := requests.snapshot()
		for i := range machines {
			wg.Go(func() {
				defer GinkgoRecover()
				_, err := d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine(names[i], ids[i]), MachineClass: mc, Secret: fx.secret})
				Expect(err).NotTo(HaveOccurred())
			})
		}
		wg.Wait()
		all := requests.snapshot()
		fmt.Fprintf(GinkgoWriter, "MEASURE real-openstack shared-looks machines=%d build_gets=%d build_lists=%d delete_gets=%d delete_lists=%d\n", machines,
			built["get_server"], built["list_servers"], all["get_server"]-built["get_server"], all["list_servers"]-built["list_servers"])
		Expect(built["get_server"]).To(BeNumerically("<=", 2), "a listing answers the waiters")
		// A listing shows a deleted server as DELETED; its end is confirmed by GET, which may
		// still say DELETED once before the 404 (4-7 measured).
		Expect(all["get_server"] - built["get_server"]).To(BeNumerically("<=", 2*machines))
		for _, name := range names {
			Expect(serversNamed(ctx, name)).To(BeEmpty())
		}
	})
})
