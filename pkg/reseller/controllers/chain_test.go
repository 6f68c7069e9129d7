package controllers_test

import (
	"context"
	"fmt"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"
)

// login authenticates with a credentials Secret's data as the driver reads it.
func login(data map[string][]byte) (string, error) {
	creds, err := credentials.FromSecretData(data)
	if err != nil {
		return "", err
	}
	_, err = testenv.Login(context.Background(), creds)
	return "", err
}

// resellerAPI is a client of the simulator's Reseller API with the reseller account.
func resellerAPI() *reseller.Client {
	seed := sim.Seed()
	api, err := reseller.New(sim.ResellerEndpoint(), seed.ResellerUsername, seed.ResellerPassword)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return api
}

var _ = Describe("controller identifier", func() {
	It("is six lower-case letters, stored once in an immutable Secret", func() {
		Expect(clusterA.id).To(MatchRegexp(`^[a-z]{6}$`))
		var s corev1.Secret
		Expect(c.Get(context.Background(), client.ObjectKey{Namespace: controllerNS, Name: controllers.IDSecretName}, &s)).To(Succeed())
		Expect(string(s.Data["id"])).To(Equal(clusterA.id))
		Expect(s.Immutable).To(HaveValue(BeTrue()))
		again, err := controllers.EnsureControllerID(context.Background(), c, controllerNS)
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(clusterA.id))
	})
})

var _ = Describe("Region -> Project -> User -> UserProjectBinding -> credentials", Ordered, func() {
	ctx := context.Background()
	var (
		ns      string
		region  *pcov1.Region
		project *pcov1.Project
		user    *pcov1.User
		binding *pcov1.UserProjectBinding
	)

	BeforeAll(func() {
		ns = namespace(c, "team-a")
		region = simRegion(c, "sim-a")
	})

	It("logs the Region in and learns the reseller domain", func() {
		Eventually(condition(c, region, pcov1.RegionReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonRegionIsReady))
		Expect(region.Status.Domain).To(Equal(sim.Seed().ResellerDomain))
		Expect(region.Finalizers).To(ContainElement(pcov1.Finalizer))
	})

	It("makes the project with the controller identifier in its name, and its quotas", func() {
		project = &pcov1.Project{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "workers"},
			Spec: pcov1.ProjectSpec{Region: region.Name, Quotas: &pcov1.Quotas{
				Compute: &pcov1.ComputeQuota{Instances: ptr.To[int64](7), Cores: ptr.To[int64](28)},
			}},
		}
		Expect(c.Create(ctx, project)).To(Succeed())
		Eventually(condition(c, project, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonProjectIsReady))
		osName := fmt.Sprintf("%s-%s-%s-workers", sim.Seed().ResellerDomain, clusterA.id, ns)
		Expect(project.Status.OpenStackName).To(Equal(osName))
		Expect(project.Spec.Description).To(Equal(pcov1.DefaultDescription), "defaulted by the CRD")
		p := resellerProjectNamed(fmt.Sprintf("%s-%s-workers", clusterA.id, ns))
		Expect(p).NotTo(BeNil())
		Expect(p.ID).To(Equal(project.Status.ProjectID))
		q, err := resellerAPI().GetQuota(ctx, p.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(q.Compute).To(And(HaveKeyWithValue("instances", int64(7)), HaveKeyWithValue("cores", int64(28))))
	})

	It("generates the user's password Secret without touching the cloud", func() {
		before := len(sim.ResellerUsers())
		user = &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alice"}}
		Expect(c.Create(ctx, user)).To(Succeed())
		Eventually(condition(c, user, pcov1.UserReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonUserIsReady))
		var s corev1.Secret
		Expect(c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "alice-openstack"}, &s)).To(Succeed())
		Expect(string(s.Data["username"])).To(Equal(fmt.Sprintf("alice-%s@%s.k8s", ns, clusterA.id)))
		Expect(string(s.Data["password"])).To(MatchRegexp(`^[A-Za-z0-9]{32}$`))
		Expect(len(regexp.MustCompile(`[0-9]`).FindAllString(string(s.Data["password"]), -1))).To(BeNumerically(">=", 5))
		Expect(sim.ResellerUsers()).To(HaveLen(before))
	})

	It("binds the user: OpenStack user, membership and a credentials Secret the driver can use", func() {
		binding = &pcov1.UserProjectBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "alice-workers"},
			Spec:       pcov1.UserProjectBindingSpec{User: "alice", Project: "workers"},
		}
		Expect(c.Create(ctx, binding)).To(Succeed())
		Eventually(condition(c, binding, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonBindingIsReady))
		u := resellerUserNamed(fmt.Sprintf("alice-%s@%s.k8s", ns, clusterA.id))
		Expect(u).NotTo(BeNil())
		Expect(u.Projects).To(ConsistOf(project.Status.ProjectID))
		Expect(binding.Status.CredentialsSecret).To(Equal("alice-workers-credentials"))

		data := secretData(ns, "alice-workers-credentials")
		Expect(data).To(HaveKey("clouds.yaml"))
		Expect(string(data["tenantID"])).To(Equal(project.Status.ProjectID))
		_, err := login(data)
		Expect(err).NotTo(HaveOccurred())
		cloudsOnly := map[string][]byte{"clouds.yaml": data["clouds.yaml"]}
		_, err = login(cloudsOnly)
		Expect(err).NotTo(HaveOccurred(), "the clouds.yaml alone authenticates too")
	})

	It("adds an application credential when asked, and removes it when no longer asked", func() {
		Expect(c.Get(ctx, client.ObjectKeyFromObject(binding), binding)).To(Succeed())
		binding.Spec.ApplicationCredential = true
		Expect(c.Update(ctx, binding)).To(Succeed())
		Eventually(func() map[string][]byte { return secretData(ns, "alice-workers-appcred") }).Should(HaveKey("application-credential-secret"))
		Eventually(func() map[string][]byte { return secretData(ns, "alice-workers-credentials") }).Should(HaveKey("applicationCredentialSecret"))
		data := secretData(ns, "alice-workers-credentials")
		Expect(data).NotTo(HaveKey("password"), "an application credential replaces the password")
		_, err := login(data)
		Expect(err).NotTo(HaveOccurred())
		Expect(sim.ApplicationCredentials(binding.Status.UserID)).To(HaveLen(1))

		// Reconciling again keeps the same credential (its secret is known).
		appcred := secretData(ns, "alice-workers-appcred")
		Expect(c.Get(ctx, client.ObjectKeyFromObject(binding), binding)).To(Succeed())
		binding.Annotations = map[string]string{"touch": "1"}
		Expect(c.Update(ctx, binding)).To(Succeed())
		Consistently(func() []byte { return secretData(ns, "alice-workers-appcred")["application-credential-id"] }, "1s").Should(Equal(appcred["application-credential-id"]))

		Expect(c.Get(ctx, client.ObjectKeyFromObject(binding), binding)).To(Succeed())
		binding.Spec.ApplicationCredential = false
		Expect(c.Update(ctx, binding)).To(Succeed())
		Eventually(func() []string { return sim.ApplicationCredentials(binding.Status.UserID) }).Should(BeEmpty())
		Eventually(func() map[string][]byte { return secretData(ns, "alice-workers-appcred") }).Should(BeNil())
		Eventually(func() map[string][]byte { return secretData(ns, "alice-workers-credentials") }).Should(HaveKey("password"))
	})

	It("rotates the password on request: OpenStack and every credentials Secret get the new one", func() {
		old := secretData(ns, "alice-workers-credentials")
		Expect(c.Get(ctx, client.ObjectKeyFromObject(user), user)).To(Succeed())
		user.Annotations = map[string]string{pcov1.RotatePasswordAnnotation: "2026-11-27"}
		Expect(c.Update(ctx, user)).To(Succeed())
		Eventually(func() []byte { return secretData(ns, "alice-workers-credentials")["password"] }).ShouldNot(Equal(old["password"]))
		Eventually(func() error { _, err := login(secretData(ns, "alice-workers-credentials")); return err }).Should(Succeed())
		_, err := login(old)
		Expect(err).To(HaveOccurred(), "the old password no longer works")
		Expect(string(logs.Contents())).NotTo(Or(ContainSubstring(string(old["password"])), ContainSubstring(string(secretData(ns, "alice-workers-credentials")["password"]))), "no user password in the log")
	})

	It("keeps a Region, Project and User while something uses them, and never deletes bindings for a User", func() {
		Expect(c.Delete(ctx, region)).To(Succeed())
		Expect(c.Delete(ctx, project)).To(Succeed())
		Expect(c.Delete(ctx, user)).To(Succeed())
		Eventually(condition(c, region, pcov1.RegionReady)).Should(haveStatus(metav1.ConditionFalse, pcov1.ReasonDeletionBlocked))
		Eventually(condition(c, project, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionFalse, pcov1.ReasonDeletionBlocked))
		Eventually(condition(c, user, pcov1.UserReady)).Should(haveStatus(metav1.ConditionFalse, pcov1.ReasonDeletionBlocked))
		Consistently(gone(c, binding), "1s").Should(BeFalse())
		Expect(resellerProjectNamed(fmt.Sprintf("%s-%s-workers", clusterA.id, ns))).NotTo(BeNil())
	})

	It("cleans up in order once the binding goes, through Reseller API errors", func() {
		userID := binding.Status.UserID
		sim.InjectFault(ossim.Fault{Service: "reseller", Method: "DELETE", Path: "^/api/v1/user/", Kind: "error", Status: 503, Count: 2})
		sim.InjectFault(ossim.Fault{Service: "reseller", Method: "DELETE", Path: "^/api/v1/project/[0-9a-f]+$", Kind: "error", Status: 500, Count: 2})
		Expect(c.Delete(ctx, binding)).To(Succeed())
		Eventually(gone(c, binding)).Should(BeTrue())
		Expect(resellerUserNamed(fmt.Sprintf("alice-%s@%s.k8s", ns, clusterA.id))).To(BeNil(), "the OpenStack user went with its last binding")
		Expect(sim.ApplicationCredentials(userID)).To(BeEmpty())
		Eventually(gone(c, user)).Should(BeTrue())
		Eventually(func() map[string][]byte { return secretData(ns, "alice-openstack") }).Should(BeNil())
		Eventually(gone(c, project)).Should(BeTrue())
		Expect(resellerProjectNamed(fmt.Sprintf("%s-%s-workers", clusterA.id, ns))).To(BeNil())
		Eventually(gone(c, region)).Should(BeTrue())
		Expect(sim.Counts().Get("reseller DELETE /api/v1/user/{user_id}")).To(BeNumerically(">=", 3), "the 503s were retried")
	})
})

func secretData(ns, name string) map[string][]byte {
	var s corev1.Secret
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		return nil
	}
	return s.Data
}
