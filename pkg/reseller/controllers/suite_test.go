package controllers_test

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Reseller controllers (real kube-apiserver, Reseller API simulator)")
}

// cluster is one control plane with a reseller controller running against it; two of them
// play two clusters sharing one reseller account.
type cluster struct {
	cp     *testenv.ControlPlane
	c      client.Client
	id     string
	cancel context.CancelFunc
}

// logs keeps everything the controllers logged, to check that no secret is in it.
var logs = gbytes.NewBuffer()

var _ = AfterSuite(func() {
	out := string(logs.Contents())
	Expect(out).NotTo(BeEmpty())
	for _, secret := range []string{sim.Seed().ResellerPassword, "MY_RESELLER_PASSWORD", "not-it"} {
		Expect(out).NotTo(ContainSubstring(secret), "a password in the controllers' log")
	}
})

var (
	sim      *ossim.Sim
	clusterA *cluster
	c        client.Client // clusterA's client
)

const controllerNS = "pco-system"

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(GinkgoWriter, logs)), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	var err error
	sim, err = ossim.Start(ossim.Options{Addr: "127.0.0.1:0", BuildTime: 200 * time.Millisecond, DeleteTime: 50 * time.Millisecond})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	clusterA = startCluster("")
	c = clusterA.c
})

// startCluster starts a control plane and a reseller controller; id "" lets the controller
// make (and store) its own identifier.
func startCluster(id string) *cluster {
	dir, err := os.MkdirTemp("", "pco-reseller-")
	Expect(err).NotTo(HaveOccurred())
	cp, err := testenv.StartControlPlane(dir)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = cp.Stop() })
	ctx, cancel := context.WithCancel(context.Background())
	Expect(cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controllerNS}})).To(Succeed())
	mgr, gotID, err := controllers.NewManager(ctx, cp.Config, controllers.ManagerOptions{
		Options:     controllers.Options{Namespace: controllerNS, ControllerID: id, AdoptUnrecorded: true},
		MetricsAddr: "0", HealthAddr: "0", SkipNameValidation: true,
	})
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	DeferCleanup(cancel)
	return &cluster{cp: cp, c: cp.Client, id: gotID, cancel: cancel}
}

// --- helpers ---

func namespace(cl client.Client, name string) string {
	ExpectWithOffset(1, client.IgnoreAlreadyExists(cl.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}))).To(Succeed())
	return name
}

// simRegion makes a Secret with the simulator's reseller account and a Region reading it.
func simRegion(cl client.Client, name string) *pcov1.Region {
	seed := sim.Seed()
	ctx := context.Background()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: name + "-account"},
		StringData: map[string]string{"endpoint": sim.ResellerEndpoint(), "username": seed.ResellerUsername, "password": seed.ResellerPassword},
	}
	ExpectWithOffset(1, client.IgnoreAlreadyExists(cl.Create(ctx, secret))).To(Succeed())
	region := &pcov1.Region{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: pcov1.RegionSpec{
			SecretRef:        &pcov1.SecretReference{Name: secret.Name, Namespace: controllerNS},
			IdentityEndpoint: sim.AuthURL(), OpenStackRegion: seed.Region,
		},
	}
	ExpectWithOffset(1, cl.Create(ctx, region)).To(Succeed())
	return region
}

// condition returns the object's condition of that type (nil when absent), re-reading it.
func condition(cl client.Client, obj client.Object, condType string) func() *metav1.Condition {
	return func() *metav1.Condition {
		if err := cl.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return nil
		}
		withConds, ok := obj.(interface{ StatusConditions() *[]metav1.Condition })
		if !ok {
			return nil
		}
		conds := *withConds.StatusConditions()
		return meta.FindStatusCondition(conds, condType)
	}
}

func haveStatus(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}

func gone(cl client.Client, obj client.Object) func() bool {
	return func() bool {
		err := cl.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
		return err != nil && client.IgnoreNotFound(err) == nil
	}
}

func resellerProjectNamed(name string) *ossim.ResellerProject {
	for _, p := range sim.ResellerProjects() {
		if p.Name == sim.Seed().ResellerDomain+"-"+name {
			return &p
		}
	}
	return nil
}

func resellerUserNamed(name string) *ossim.ResellerUser {
	for _, u := range sim.ResellerUsers() {
		if u.Name == name {
			return &u
		}
	}
	return nil
}
