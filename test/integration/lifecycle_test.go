package integration_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

const (
	clusterKey = "kubernetes.io-cluster-shoot--demo--pco"
	roleKey    = "kubernetes.io-role-node"
)

// lifecycleSpecs run after the MachineDeployment specs, in the same Ordered container, on the
// same stack (one machine running).
func lifecycleSpecs() {
	var class *mcmv1alpha1.MachineClass

	BeforeAll(func(ctx SpecContext) {
		Eventually(func(g Gomega) {
			running, err := stack.RunningMachines(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(running).To(BeNumerically(">=", 1))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).Should(Succeed())
		class = &mcmv1alpha1.MachineClass{}
		Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Namespace: stack.Opts.Namespace, Name: "pco-scs-2v-4"}, class)).To(Succeed())
	})

	It("rolls the machines over to a new MachineClass", func(ctx SpecContext) {
		next := &mcmv1alpha1.MachineClass{
			ObjectMeta:           metav1.ObjectMeta{Name: "pco-scs-4v-8", Namespace: stack.Opts.Namespace},
			Provider:             class.Provider,
			SecretRef:            class.SecretRef,
			CredentialsSecretRef: class.CredentialsSecretRef,
		}
		config, err := framework.ProviderSpec(class)
		Expect(err).NotTo(HaveOccurred())
		config.Spec.FlavorName = stack.Cloud.Fixture().OtherFlavor
		config.Spec.RootDiskSize = 0 // the other flavor has a local disk
		Expect(framework.SetProviderSpec(next, config)).To(Succeed())
		Expect(stack.CP.Client.Create(ctx, next)).To(Succeed())

		Expect(stack.UpdateMachineDeployment(ctx, "pco-workers", func(md *mcmv1alpha1.MachineDeployment) {
			md.Spec.Template.Spec.Class.Name = next.Name
		})).To(Succeed())
		Eventually(func(g Gomega) {
			healthy()
			servers := cloudServers(ctx)
			g.Expect(servers).To(HaveLen(1))
			g.Expect(servers[0].FlavorName).To(Equal(stack.Cloud.Fixture().OtherFlavor))
			g.Expect(servers[0].Status).To(Equal("ACTIVE"))
			running, err := stack.RunningMachines(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(running).To(Equal(1))
		}).WithContext(ctx).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(4*time.Minute))

	It("replaces a server deleted behind MCM's back", func(ctx SpecContext) {
		servers := cloudServers(ctx)
		Expect(servers).To(HaveLen(1))
		gone := servers[0]
		Expect(stack.Cloud.DeleteServer(ctx, gone.ID)).To(Succeed())
		Eventually(func(g Gomega) {
			healthy()
			servers := cloudServers(ctx)
			g.Expect(servers).To(HaveLen(1))
			g.Expect(servers[0].ID).NotTo(Equal(gone.ID))
			g.Expect(servers[0].Status).To(Equal("ACTIVE"))
			running, err := stack.RunningMachines(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(running).To(Equal(1))
		}).WithContext(ctx).WithTimeout(4 * time.Minute).WithPolling(time.Second).Should(Succeed())
		Eventually(func(g Gomega) {
			for _, p := range cloudPorts(ctx) {
				g.Expect(p.DeviceID).NotTo(Equal(gone.ID), "no port of the lost server is left")
			}
		}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(5*time.Minute))

	It("collects an orphan server of the cluster through ListMachines", func(ctx SpecContext) {
		Expect(stack.Cloud.CreateServer(ctx, "orphan-worker", []string{clusterKey, roleKey}, map[string]string{clusterKey: "1", roleKey: "1"})).To(Succeed())
		Expect(stack.Cloud.CreateServer(ctx, "not-ours", []string{"kubernetes.io-cluster-other", roleKey}, map[string]string{"kubernetes.io-cluster-other": "1", roleKey: "1"})).To(Succeed())
		Eventually(func(g Gomega) {
			healthy()
			var names []string
			for _, s := range cloudServers(ctx) {
				names = append(names, s.Name)
			}
			g.Expect(names).NotTo(ContainElement("orphan-worker"))
			g.Expect(names).To(ContainElement("not-ours"), "another cluster's server is left alone")
		}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(3*time.Minute))

	It("names the bad field of a bad MachineClass in the Machine's status", func(ctx SpecContext) {
		bad := &mcmv1alpha1.MachineClass{
			ObjectMeta: metav1.ObjectMeta{Name: "bad-class", Namespace: stack.Opts.Namespace},
			Provider:   class.Provider, SecretRef: class.SecretRef, CredentialsSecretRef: class.CredentialsSecretRef,
		}
		config, err := framework.ProviderSpec(class)
		Expect(err).NotTo(HaveOccurred())
		config.Spec.FlavorName = ""
		config.Spec.PodNetworkCIDRs = []string{"not-a-cidr"}
		Expect(framework.SetProviderSpec(bad, config)).To(Succeed())
		Expect(stack.CP.Client.Create(ctx, bad)).To(Succeed())
		m := &mcmv1alpha1.Machine{
			ObjectMeta: metav1.ObjectMeta{Name: "bad-machine", Namespace: stack.Opts.Namespace},
			Spec:       mcmv1alpha1.MachineSpec{Class: mcmv1alpha1.ClassSpec{Kind: "MachineClass", Name: bad.Name}},
		}
		Expect(stack.CP.Client.Create(ctx, m)).To(Succeed())
		Eventually(func(g Gomega) {
			got := &mcmv1alpha1.Machine{}
			g.Expect(stack.CP.Client.Get(ctx, types.NamespacedName{Namespace: m.Namespace, Name: m.Name}, got)).To(Succeed())
			desc := got.Status.LastOperation.Description
			g.Expect(desc).To(ContainSubstring("providerSpec.spec.flavorName"))
			g.Expect(desc).To(ContainSubstring("providerSpec.spec.podNetworkCIDRs[0]"))
			g.Expect(got.Status.LastOperation.ErrorCode).To(Equal("InvalidArgument"))
		}).WithContext(ctx).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
		for _, s := range cloudServers(ctx) {
			Expect(s.Name).NotTo(Equal("bad-machine"))
		}
		Expect(stack.CP.Client.Delete(ctx, m)).To(Succeed())
	}, SpecTimeout(2*time.Minute))

	It("serves /healthz and Prometheus metrics of its OpenStack requests", func() {
		base := fmt.Sprintf("http://127.0.0.1:%d", stack.ProviderPort)
		resp, err := http.Get(base + "/healthz")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		resp, err = http.Get(base + "/metrics")
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics := string(body)
		Expect(metrics).To(ContainSubstring(`pco_openstack_requests_total{code="202",method="POST",operation="create_server",service="compute"}`))
		Expect(metrics).To(ContainSubstring(`pco_driver_calls_total{code="OK",method="CreateMachine"}`))
		Expect(strings.Count(metrics, `pco_driver_calls_total{code="InvalidArgument"`)).To(BeNumerically(">=", 1))
	})
}
