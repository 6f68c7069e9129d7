package driver_test

import (
	"context"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
)

var unlimited = ossim.Unlimited

var _ = Describe("failures against the simulator", func() {
	var f *fixture
	BeforeEach(func() { f = newFixture(nil, nil, fastOptions()) })

	expectNothingLeft := func(name string) {
		ExpectWithOffset(1, serversNamed(f.sim, name)).To(BeEmpty(), "no server left")
		ExpectWithOffset(1, portsNamed(f.sim, name)).To(BeEmpty(), "no port of ours left")
		ExpectWithOffset(1, unboundPorts(f.sim)).To(BeEmpty(), "no port left without its server")
		ExpectWithOffset(1, f.sim.Volumes()).To(BeEmpty(), "no volume left")
	}

	It("maps Nova's instance quota to ResourceExhausted and leaves nothing behind", func() {
		q := unlimited
		q.Instances = 0
		f.sim.SetQuota(f.sim.Seed().ProjectID, q)
		_, err := f.create("quota-nova")
		Expect(codeOf(err)).To(Equal(codes.ResourceExhausted))
		Expect(err.Error()).To(ContainSubstring("Quota exceeded for instances"))
		expectNothingLeft("quota-nova")
	})

	It("maps Neutron's port quota (the driver's own port, pinned subnet) to ResourceExhausted", func() {
		f.pinSubnet()
		q := unlimited
		q.Ports = 0
		f.sim.SetQuota(f.sim.Seed().ProjectID, q)
		_, err := f.create("quota-neutron")
		Expect(codeOf(err)).To(Equal(codes.ResourceExhausted))
		Expect(err.Error()).To(ContainSubstring("HTTP 409: Quota exceeded for resources: ['port']"), "Neutron's OverQuota, not Nova's 403")
		Expect(f.sim.Counts().Get("compute POST /servers")).To(BeZero())
		expectNothingLeft("quota-neutron")
	})

	It("maps a 'No valid host' server fault to ResourceExhausted after removing server and port", func() {
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Count: 1})
		_, err := f.create("novalidhost")
		Expect(codeOf(err)).To(Equal(codes.ResourceExhausted))
		Expect(err.Error()).To(ContainSubstring("No valid host was found"))
		expectNothingLeft("novalidhost")
	})

	It("maps a 'Maximum number of ports exceeded' fault to ResourceExhausted", func() {
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: "Build of instance aborted: Maximum number of ports exceeded", Count: 1})
		_, err := f.create("maxports")
		Expect(codeOf(err)).To(Equal(codes.ResourceExhausted))
		expectNothingLeft("maxports")
	})

	It("survives a storm of 429s with Retry-After", func() {
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultRateLimit, RetryAfter: time.Second, Rate: 0.5, Count: 6})
		created, err := f.create("ratelimited")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.delete(withProviderID("ratelimited", created.ProviderID))).To(Succeed())
		expectNothingLeft("ratelimited")
	})

	It("retries idempotent requests after 503s but never repeats POST", func() {
		f.sim.InjectFault(ossim.Fault{Service: "compute", Method: "GET", Kind: ossim.FaultError, Status: 503, Count: 3})
		_, err := f.create("flaky-get")
		Expect(err).NotTo(HaveOccurred())

		f.sim.InjectFault(ossim.Fault{Service: "compute", Method: "POST", Path: "^/servers$", Kind: ossim.FaultError, Status: 503, Count: 1})
		f.sim.ResetCounts()
		_, err = f.create("flaky-post")
		Expect(codeOf(err)).To(Equal(codes.Unavailable), "MCM retries Unavailable after 5s")
		Expect(f.sim.Counts().Get("compute POST /servers")).To(Equal(1))
		expectNothingLeft("flaky-post")
	})

	It("removes a server stuck in BUILD and says so", func() {
		opts := fastOptions()
		opts.CreateTimeout = 500 * time.Millisecond
		f = newFixture(nil, nil, opts)
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerStuckBuild, Count: 1})
		_, err := f.create("stuck")
		Expect(codeOf(err)).To(Equal(codes.DeadlineExceeded))
		Expect(err.Error()).To(ContainSubstring("BUILD"))
		Eventually(func() []ossim.Server { return serversNamed(f.sim, "stuck") }).Should(BeEmpty())
		expectNothingLeft("stuck")
	})

	It("maps a wrong password to Unauthenticated without echoing it", func() {
		f.secret.Data["password"] = []byte("wr0ng-passw0rd")
		_, err := f.create("badauth")
		Expect(codeOf(err)).To(Equal(codes.Unauthenticated))
		Expect(err.Error()).NotTo(ContainSubstring("wr0ng-passw0rd"))
	})

	It("maps a flavor the region does not offer to ResourceExhausted, as provider-openstack does (docs/providerspec.md)", func() {
		spec := baseSpec(f.sim)
		spec.FlavorName = "SCS-999V-1"
		f.class = machineClass(spec)
		_, err := f.create("noflavor")
		Expect(codeOf(err)).To(Equal(codes.ResourceExhausted))
		Expect(err.Error()).To(ContainSubstring("SCS-999V-1"))
		expectNothingLeft("noflavor")
	})

	It("maps an unknown security group to InvalidArgument, with its name, whoever makes the ports", func() {
		for _, pinned := range []bool{false, true} {
			spec := baseSpec(f.sim)
			if pinned {
				subnet := f.sim.Seed().SubnetID
				spec.SubnetID = &subnet
			}
			spec.SecurityGroups = []string{"no-such-group"}
			f.class = machineClass(spec)
			_, err := f.create("nosg")
			Expect(codeOf(err)).To(Equal(codes.InvalidArgument), "pinned subnet: %v", pinned)
			Expect(err.Error()).To(ContainSubstring("no-such-group"))
			expectNothingLeft("nosg")
		}
	})

	It("reports every problem of a bad MachineClass and Secret at once, with field paths", func() {
		spec := baseSpec(f.sim)
		spec.FlavorName = ""
		spec.Region = ""
		spec.PodNetworkCidr = "not-a-cidr"
		spec.Tags = map[string]string{"foo": "bar"}
		f.class = machineClass(spec)
		delete(f.secret.Data, "password")
		delete(f.secret.Data, "userData")
		_, err := f.create("invalid")
		Expect(codeOf(err)).To(Equal(codes.InvalidArgument))
		for _, path := range []string{"flavorName", "region", "podNetworkCidr", "tags", "password", "userData"} {
			Expect(err.Error()).To(ContainSubstring(path))
		}
		Expect(f.sim.Counts().Total()).To(BeZero(), "nothing is sent to a cloud for an invalid spec")
	})

	It("rejects a MachineClass of another provider", func() {
		f.class.Provider = "AWS"
		_, err := f.create("otherprovider")
		Expect(codeOf(err)).To(Equal(codes.InvalidArgument))
		Expect(err.Error()).To(ContainSubstring("provider"))
	})

	It("re-authenticates once when the token expired", func() {
		opts := fastOptions()
		opts.Sessions.RefreshBefore = 0
		f = newFixture(func(o *ossim.Options) { o.TokenTTL = 300 * time.Millisecond }, nil, opts)
		_, err := f.create("reauth-1")
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(400 * time.Millisecond)
		_, err = f.create("reauth-2")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.sim.Counts().Get("identity POST /v3/auth/tokens")).To(Equal(2))
	})

	It("renews a token shortly before it expires instead of waiting for a 401", func() {
		opts := fastOptions()
		opts.Sessions.RefreshBefore = 1900 * time.Millisecond
		f = newFixture(func(o *ossim.Options) { o.TokenTTL = 2 * time.Second }, nil, opts)
		_, err := f.create("renew-1")
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(200 * time.Millisecond)
		f.sim.ResetCounts()
		_, err = f.status(machine("renew-1"))
		Expect(codeOf(err)).To(Equal(codes.NotFound), "found by name: CreateMachine finishes it")
		Expect(f.sim.Counts().Get("identity POST /v3/auth/tokens")).To(Equal(1))
		Expect(f.sim.Counts().Get("compute GET /servers/detail")).To(Equal(1), "no request failed with 401")
	})

	It("uses application credentials", func() {
		seed := f.sim.Seed()
		f.secret = &corev1.Secret{Data: map[string][]byte{
			"authURL":                     []byte(f.sim.AuthURL()),
			"applicationCredentialID":     []byte(seed.AppCredID),
			"applicationCredentialSecret": []byte(seed.AppCredSecret),
			"userData":                    []byte(userData),
		}}
		_, err := f.create("appcred")
		Expect(err).NotTo(HaveOccurred())
	})

	It("uses a clouds.yaml key", func() {
		f.secret = &corev1.Secret{Data: map[string][]byte{
			"clouds.yaml": f.sim.CloudsYAML("pco-sim"),
			"userData":    []byte(userData),
		}}
		_, err := f.create("cloudsyaml")
		Expect(err).NotTo(HaveOccurred())
	})

	It("lists thousands of servers page by page, filtered by Nova", func() {
		f = newFixture(func(o *ossim.Options) { o.MaxLimit = 200 }, nil, fastOptions())
		f.sim.AddServers(450, ossim.Server{Name: "mine", Metadata: map[string]string{clusterKey: "1", roleKey: "1"}, Tags: []string{clusterKey, roleKey}})
		f.sim.AddServers(300, ossim.Server{Name: "other", Metadata: map[string]string{"kubernetes.io-cluster-other": "1", roleKey: "1"}, Tags: []string{"kubernetes.io-cluster-other", roleKey}})
		f.sim.ResetCounts()
		Expect(f.list()).To(HaveLen(450))
		Expect(f.sim.Counts().Get("compute GET /servers/detail")).To(BeNumerically("<=", 4))
	})
})

// pvSpecs are PersistentVolume specs of every kind GetVolumeIDs must handle.
func pvSpecs() []*corev1.PersistentVolumeSpec {
	return []*corev1.PersistentVolumeSpec{
		{PersistentVolumeSource: corev1.PersistentVolumeSource{Cinder: &corev1.CinderPersistentVolumeSource{VolumeID: "in-tree-id"}}},
		{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "cinder.csi.openstack.org", VolumeHandle: "csi-id"}}},
		{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "ebs.csi.aws.com", VolumeHandle: "aws-id"}}},
		nil,
	}
}

var _ = Describe("deletes Nova loses", func() {
	It("sends the DELETE again when the server lingers, and returns once it is gone", func() {
		f := newFixture(nil, nil, fastOptions())
		created, err := f.create("lingers")
		Expect(err).NotTo(HaveOccurred())
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerDeleteLingers, Count: 1})
		f.sim.ResetCounts()
		Expect(f.delete(withProviderID("lingers", created.ProviderID))).To(Succeed())
		Expect(f.sim.Counts().Get("compute DELETE /servers/{id}")).To(BeNumerically(">=", 2), "the lost DELETE was sent again")
		Expect(f.sim.Servers()).To(BeEmpty())
	})

	It("reports a server that is still there at the delete timeout as Unavailable, so MCM retries soon", func() {
		opts := fastOptions()
		opts.DeleteTimeout = 100 * time.Millisecond // shorter than the waits before a second DELETE
		f := newFixture(nil, nil, opts)
		created, err := f.create("lingers")
		Expect(err).NotTo(HaveOccurred())
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerDeleteLingers, Count: 1})
		err = f.delete(withProviderID("lingers", created.ProviderID))
		Expect(codeOf(err)).To(Equal(codes.Unavailable))
		Expect(err.Error()).To(ContainSubstring("still exists"))
	})
})

// startAlone starts the machine's create and cuts MCM's call short (a restart) as soon as Nova
// has the server, so the server builds on with no CreateMachine waiting for it.
func startAlone(f *fixture, name string) {
	GinkgoHelper()
	inBuild := func() bool {
		s := serversNamed(f.sim, name)
		return len(s) == 1 && s[0].Status == "BUILD"
	}
	Expect(createCutWhen(f, machine(name), inBuild)).To(HaveOccurred())
	Expect(serversNamed(f.sim, name)).To(ConsistOf(HaveField("Status", "BUILD")))
}

// createCutWhen runs CreateMachine and cancels it (the controller dies) once cut holds.
func createCutWhen(f *fixture, m *mcmv1alpha1.Machine, cut func() bool) error {
	GinkgoHelper()
	return cutWhen(cut, func(ctx context.Context) error {
		_, err := f.drv.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: m, MachineClass: f.class, Secret: f.secret})
		return err
	})
}

// cutWhen runs call and cancels its context once cut holds; a fixed deadline would land before
// the request that matters on a loaded machine.
func cutWhen(cut func() bool, call func(context.Context) error) error {
	GinkgoHelper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	Eventually(cut).WithTimeout(10 * time.Second).WithPolling(2 * time.Millisecond).Should(BeTrue())
	cancel()
	var err error
	Eventually(done).WithTimeout(10 * time.Second).Should(Receive(&err))
	return err
}

// diskless gives the fixture's class a diskless flavor: the server boots from a volume Nova makes.
func diskless(f *fixture) {
	spec := baseSpec(f.sim)
	spec.FlavorName = "SCS-2V-4"
	spec.ImageName = f.sim.Seed().ImageWithMinDisk
	f.class = machineClass(spec)
}

var _ = Describe("volumes Nova leaves after a failed build", func() {
	It("marks a volume still being created, named only in Nova's fault, with the machine's name and deletes it on a later ListMachines", func() {
		opts := fastOptions()
		opts.DeleteTimeout = 300 * time.Millisecond // shorter than Cinder takes to finish the volume
		f := newFixture(func(o *ossim.Options) { o.VolumeTime = 1500 * time.Millisecond }, nil, opts)
		diskless(f)
		f.list() // the process's first list: nothing left behind yet
		// As on Zed: the volume is not in the server's volumes_attached, only in the fault.
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, LeaveVolumes: true, Count: 1, Message: ossim.FaultVolumeNotCreated})
		_, err := f.create("left")
		Expect(err).To(HaveOccurred())
		vols := f.sim.Volumes()
		Expect(vols).To(HaveLen(1), "Cinder was still creating it: not deletable yet")
		Expect(vols[0].Name).To(Equal("left"))
		Expect(vols[0].Metadata).To(HaveKeyWithValue("mcm-provider-pco-leftover", "true"))
		Expect(vols[0].Metadata).To(HaveKeyWithValue(clusterKey, "1"))
		Eventually(func() []ossim.Volume {
			f.list()
			return f.sim.Volumes()
		}).WithTimeout(5 * time.Second).WithPolling(300 * time.Millisecond).Should(BeEmpty())
	})
})

var _ = Describe("deleting a machine whose server boots from a volume and is still building", func() {
	It("waits for the build to end and deletes the boot volume the failed build left, which only Nova's fault names", func() {
		opts := fastOptions()
		f := newFixture(func(o *ossim.Options) { o.BuildTime = 500 * time.Millisecond; o.VolumeTime = 100 * time.Millisecond }, nil, opts)
		diskless(f)
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultVolumeNotCreated, LeaveVolumes: true, Count: 1})
		startAlone(f, "building") // the server builds on while the Machine is deleted

		Expect(f.delete(machine("building"))).To(Succeed())
		Expect(f.sim.Servers()).To(BeEmpty())
		Eventually(func() []ossim.Volume {
			f.list()
			return f.sim.Volumes()
		}).WithTimeout(5*time.Second).WithPolling(100*time.Millisecond).Should(BeEmpty(), "deleted at once or marked and swept")
	})
})

var _ = Describe("builds that fail while no CreateMachine waits for them", func() {
	// MCM's create was cut short (a restart): the server builds on, alone, and its Machine is
	// deleted (scale-down) before any create looks at it again.
	inError := func(f *fixture, name string) {
		EventuallyWithOffset(1, func() []ossim.Server { return serversNamed(f.sim, name) }).
			WithTimeout(5 * time.Second).WithPolling(50 * time.Millisecond).Should(ConsistOf(HaveField("Status", "ERROR")))
	}
	nothingLeftAfterLists := func(f *fixture) {
		EventuallyWithOffset(1, func() []ossim.Volume {
			f.list()
			return f.sim.Volumes()
		}).WithTimeout(5*time.Second).WithPolling(100*time.Millisecond).Should(BeEmpty(), "volumes: deleted at once or marked and swept")
		ExpectWithOffset(1, f.sim.Servers()).To(BeEmpty())
		ExpectWithOffset(1, unboundPorts(f.sim)).To(BeEmpty(), "no port left without its server")
	}

	It("deletes the port Nova left when the Machine of a server that went to ERROR is deleted", func() {
		f := newFixture(func(o *ossim.Options) { o.BuildTime = 300 * time.Millisecond }, nil, fastOptions())
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultNetworkAllocation, LeavePorts: true, Count: 1})
		startAlone(f, "errored")
		inError(f, "errored")
		Expect(f.sim.Ports()).To(HaveLen(1), "Nova's port, left behind")

		Expect(f.delete(machine("errored"))).To(Succeed())
		nothingLeftAfterLists(f)
	})

	It("deletes the boot volume Nova left, named only in the fault, when the Machine of a server that went to ERROR is deleted", func() {
		f := newFixture(func(o *ossim.Options) { o.BuildTime = 300 * time.Millisecond }, nil, fastOptions())
		diskless(f)
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultVolumeNotCreated, LeaveVolumes: true, Count: 1})
		startAlone(f, "errored-volume")
		inError(f, "errored-volume")
		Expect(f.sim.Volumes()).To(HaveLen(1), "Nova's boot volume, left behind")

		Expect(f.delete(machine("errored-volume"))).To(Succeed())
		nothingLeftAfterLists(f)
	})

	It("deletes the port Nova left when a server booting from an image is deleted while building and its build then fails", func() {
		f := newFixture(func(o *ossim.Options) { o.BuildTime = time.Second }, nil, fastOptions())
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultNetworkAllocation, LeavePorts: true, Count: 1})
		startAlone(f, "building")

		Expect(f.delete(machine("building"))).To(Succeed())
		nothingLeftAfterLists(f)
	})

	It("leaves no port or volume behind when the controller dies while the server of a failed build is being deleted", func() {
		opts := fastOptions()
		f := newFixture(func(o *ossim.Options) {
			o.BuildTime = 300 * time.Millisecond
			o.DeleteTime = time.Second
		}, nil, opts)
		diskless(f)
		f.sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultNetworkAllocation, LeavePorts: true, LeaveVolumes: true, Count: 1})
		startAlone(f, "dies")
		inError(f, "dies")
		Expect(f.sim.Ports()).To(HaveLen(1), "Nova's port, left behind")
		Expect(f.sim.Volumes()).To(HaveLen(1), "Nova's boot volume, left behind")

		// The controller dies while it waits for the server to go.
		deleteSent := func() bool { return f.sim.Counts().Get("compute DELETE /servers/{id}") == 1 }
		err := cutWhen(deleteSent, func(ctx context.Context) error {
			_, err := f.drv.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: machine("dies"), MachineClass: f.class, Secret: f.secret})
			return err
		})
		Expect(err).To(HaveOccurred())
		Eventually(f.sim.Servers).WithTimeout(5*time.Second).WithPolling(50*time.Millisecond).Should(BeEmpty(), "Nova finishes the delete")

		// The next process knows the Machine by name only; the server is gone.
		f.drv = driver.New(opts)
		Expect(f.delete(machine("dies"))).To(Succeed())
		nothingLeftAfterLists(f)
	})
})

var _ = Describe("a create Nova has not answered yet", func() {
	// Nova lists a server only once its API has checked the request, which takes seconds when
	// Keystone or rabbitmq restart; the sim's latency fault delays the request the same way.
	slowPOST := func(f *fixture) {
		f.sim.InjectFault(ossim.Fault{Service: "compute", Method: "POST", Path: "^/servers$", Kind: ossim.FaultLatency, Delay: 3 * time.Second, Count: 1})
	}
	olderThanProcess := func(name string) *mcmv1alpha1.Machine {
		m := machine(name)
		m.CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Minute))
		return m
	}

	It("makes no second server when the previous process died waiting for a create, for a Machine older than this process: it adopts the server once Nova lists it", func() {
		opts := fastOptions()
		f := newFixture(nil, nil, opts)
		slowPOST(f)
		posted := func() bool { return f.sim.Counts().Get("compute POST /servers") == 1 }
		err := createCutWhen(f, machine("unanswered"), posted)
		Expect(err).To(HaveOccurred(), "the process dies before Nova answers")
		Expect(serversNamed(f.sim, "unanswered")).To(BeEmpty(), "Nova does not list it yet")

		f.drv = driver.New(opts) // the next process
		_, err = f.drv.CreateMachine(context.Background(), &mcmdriver.CreateMachineRequest{Machine: olderThanProcess("unanswered"), MachineClass: f.class, Secret: f.secret})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.sim.Counts().Get("compute POST /servers")).To(Equal(1))
		Expect(serversNamed(f.sim, "unanswered")).To(HaveLen(1))
	})

	It("makes no second server after its own create got no answer, and keeps the ports it made for it", func() {
		opts := fastOptions()
		opts.Sessions.Timeout = 2 * time.Second // the POST times out; Nova goes on with it
		f := newFixture(nil, nil, opts)
		f.pinSubnet()
		slowPOST(f)
		_, err := f.create("no-answer")
		Expect(err).To(HaveOccurred(), "the create's POST got no answer")
		Expect(serversNamed(f.sim, "no-answer")).To(BeEmpty(), "Nova does not list it yet")
		Expect(portsNamed(f.sim, "no-answer")).To(HaveLen(1), "the port the unanswered create uses is kept")

		_, err = f.create("no-answer")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.sim.Counts().Get("compute POST /servers")).To(Equal(1))
		Expect(serversNamed(f.sim, "no-answer")).To(HaveLen(1))
		Expect(portsNamed(f.sim, "no-answer")).To(HaveLen(1))
	})

	It("creates a Machine older than the process once no earlier create can be underway any more", func() {
		opts := fastOptions()
		opts.UnansweredCreateWait = 500 * time.Millisecond
		f := newFixture(nil, nil, opts)
		_, err := f.drv.CreateMachine(context.Background(), &mcmdriver.CreateMachineRequest{Machine: olderThanProcess("never-sent"), MachineClass: f.class, Secret: f.secret})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.sim.Counts().Get("compute POST /servers")).To(Equal(1))
	})
})
