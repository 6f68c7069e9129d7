package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller/controllers"
)

var _ = Describe("bad specs give clear conditions", func() {
	ctx := context.Background()

	It("a Project in an unknown region says RegionNotFound", func() {
		ns := namespace(c, "bad-region")
		p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: pcov1.ProjectSpec{Region: "nowhere"}}
		Expect(c.Create(ctx, p)).To(Succeed())
		Eventually(condition(c, p, pcov1.ProjectReady)).Should(And(haveStatus(metav1.ConditionFalse, pcov1.ReasonRegionNotFound), HaveField("Message", ContainSubstring(`"nowhere"`))))
		Expect(c.Delete(ctx, p)).To(Succeed())
		Eventually(gone(c, p)).Should(BeTrue(), "never made in the cloud, so nothing holds it")
	})

	It("a binding of an unknown user says UserNotFound, a duplicate binding says Conflict", func() {
		ns := namespace(c, "bad-binding")
		region := simRegion(c, "sim-bad")
		p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: pcov1.ProjectSpec{Region: region.Name}}
		u := &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "u"}}
		Expect(c.Create(ctx, p)).To(Succeed())
		Expect(c.Create(ctx, u)).To(Succeed())
		unknown := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unknown"}, Spec: pcov1.UserProjectBindingSpec{User: "bob", Project: "p"}}
		Expect(c.Create(ctx, unknown)).To(Succeed())
		Eventually(condition(c, unknown, pcov1.UserProjectBindingReady)).Should(And(haveStatus(metav1.ConditionFalse, pcov1.ReasonUserNotFound), HaveField("Message", ContainSubstring(`"bob"`))))

		first := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "first"}, Spec: pcov1.UserProjectBindingSpec{User: "u", Project: "p"}}
		Expect(c.Create(ctx, first)).To(Succeed())
		Eventually(condition(c, first, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonBindingIsReady))
		second := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "second"}, Spec: pcov1.UserProjectBindingSpec{User: "u", Project: "p"}}
		Expect(c.Create(ctx, second)).To(Succeed())
		Eventually(condition(c, second, pcov1.UserProjectBindingReady)).Should(And(haveStatus(metav1.ConditionFalse, pcov1.ReasonConflict), HaveField("Message", ContainSubstring(`"first"`))))

		for _, o := range []client.Object{unknown, second, first, u, p, region} {
			Expect(c.Delete(ctx, o)).To(Succeed())
		}
		for _, o := range []client.Object{unknown, second, first, u, p, region} {
			Eventually(gone(c, o)).Should(BeTrue(), "%T %s", o, o.GetName())
		}
	})

	It("the CRDs refuse what the Reseller API would refuse, and changes to immutable fields", func() {
		ns := namespace(c, "bad-crd")
		err := c.Create(ctx, &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: pcov1.ProjectSpec{Region: "r", Description: "no dots."}})
		Expect(err).To(MatchError(ContainSubstring("spec.description")))
		err = c.Create(ctx, &pcov1.Region{ObjectMeta: metav1.ObjectMeta{Name: "half"}, Spec: pcov1.RegionSpec{Endpoint: "https://x.example/"}})
		Expect(err).To(MatchError(ContainSubstring("set secretRef, or endpoint, username and password")))

		b := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "b"}, Spec: pcov1.UserProjectBindingSpec{User: "u", Project: "p"}}
		Expect(c.Create(ctx, b)).To(Succeed())
		orig := b.DeepCopy()
		b.Spec.User = "other"
		Expect(c.Patch(ctx, b, client.MergeFrom(orig))).To(MatchError(ContainSubstring("user is immutable")))
		Expect(c.Get(ctx, client.ObjectKeyFromObject(b), b)).To(Succeed())
		Expect(c.Delete(ctx, b)).To(Succeed())
		Eventually(gone(c, b)).Should(BeTrue())
	})

	It("a Region whose account is wrong says LoginFailed", func() {
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: "wrong-account"},
			StringData: map[string]string{"endpoint": sim.ResellerEndpoint(), "username": sim.Seed().ResellerUsername, "password": "not-it"},
		}
		Expect(c.Create(ctx, secret)).To(Succeed())
		r := &pcov1.Region{ObjectMeta: metav1.ObjectMeta{Name: "wrong"}, Spec: pcov1.RegionSpec{SecretRef: &pcov1.SecretReference{Name: secret.Name, Namespace: controllerNS}}}
		Expect(c.Create(ctx, r)).To(Succeed())
		Eventually(condition(c, r, pcov1.RegionReady)).Should(haveStatus(metav1.ConditionFalse, pcov1.ReasonLoginFailed))
		Expect(r.Status.Conditions[0].Message).NotTo(ContainSubstring("not-it"), "no password in a condition")

		By("fixing the Secret, the Region becomes ready without touching the Region")
		orig := secret.DeepCopy()
		secret.StringData = map[string]string{"password": sim.Seed().ResellerPassword}
		Expect(c.Patch(ctx, secret, client.MergeFrom(orig))).To(Succeed())
		Eventually(func() []string {
			_ = c.Get(ctx, client.ObjectKeyFromObject(secret), secret)
			return secret.Finalizers
		}).Should(ContainElement(controllers.SecretFinalizer), "the Region holds its Secret")
		Eventually(condition(c, r, pcov1.RegionReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonRegionIsReady))
		Expect(c.Delete(ctx, secret)).To(Succeed())
		Expect(c.Delete(ctx, r)).To(Succeed())
		Eventually(gone(c, r)).Should(BeTrue())
		Eventually(gone(c, secret)).Should(BeTrue(), "released with its Region")
	})
})

var _ = Describe("Reseller API errors", func() {
	ctx := context.Background()

	It("a 4xx becomes a condition and an event with the API's message; a 5xx is retried", func() {
		ns := namespace(c, "api-errors")
		region := simRegion(c, "sim-errors")
		fault := sim.InjectFault(ossim.Fault{Service: "reseller", Method: "PUT", Path: "/quota$", Kind: "error", Status: 422, Message: "quota too large for this reseller"})
		sim.InjectFault(ossim.Fault{Service: "reseller", Method: "POST", Path: "^/api/v1/project/$", Kind: "error", Status: 503, Count: 2})
		p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: pcov1.ProjectSpec{Region: region.Name, Quotas: &pcov1.Quotas{
			Compute: &pcov1.ComputeQuota{Instances: new(int64)},
		}}}
		*p.Spec.Quotas.Compute.Instances = 100000
		Expect(c.Create(ctx, p)).To(Succeed())
		Eventually(condition(c, p, pcov1.ProjectReady)).Should(And(haveStatus(metav1.ConditionFalse, pcov1.ReasonAPIRejected), HaveField("Message", ContainSubstring("quota too large"))))
		Eventually(func() []string {
			var events corev1.EventList
			_ = c.List(ctx, &events, client.InNamespace(ns))
			var reasons []string
			for _, e := range events.Items {
				reasons = append(reasons, e.Reason)
			}
			return reasons
		}).Should(ContainElement(pcov1.ReasonAPIRejected))
		Expect(sim.Counts().Get("reseller POST /api/v1/project/")).To(BeNumerically(">=", 3), "the 503s were retried until the project was made")

		sim.RemoveFault(fault)
		Expect(c.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		*p.Spec.Quotas.Compute.Instances = 50
		Expect(c.Update(ctx, p)).To(Succeed())
		Eventually(condition(c, p, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonProjectIsReady))
		Expect(c.Delete(ctx, p)).To(Succeed())
		Eventually(gone(c, p)).Should(BeTrue())
		Expect(c.Delete(ctx, region)).To(Succeed())
		Eventually(gone(c, region)).Should(BeTrue())
	})
})

var _ = Describe("two clusters, one reseller account", func() {
	ctx := context.Background()

	It("never collide: each controller's identifier is in its names, and each deletes only its own", func() {
		clusterB := startCluster("")
		Expect(clusterB.id).NotTo(Equal(clusterA.id))
		makeProject := func(cl *cluster) *pcov1.Project {
			namespace(cl.c, "shared-name")
			simRegion(cl.c, "sim-shared")
			p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: "shared-name", Name: "workers"}, Spec: pcov1.ProjectSpec{Region: "sim-shared"}}
			Expect(cl.c.Create(ctx, p)).To(Succeed())
			Eventually(condition(cl.c, p, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonProjectIsReady))
			return p
		}
		pa, pb := makeProject(clusterA), makeProject(clusterB)
		Expect(pa.Status.ProjectID).NotTo(Equal(pb.Status.ProjectID))
		Expect(resellerProjectNamed(clusterA.id + "-shared-name-workers")).NotTo(BeNil())
		Expect(resellerProjectNamed(clusterB.id + "-shared-name-workers")).NotTo(BeNil())

		Expect(clusterB.c.Delete(ctx, pb)).To(Succeed())
		Eventually(gone(clusterB.c, pb)).Should(BeTrue())
		Expect(resellerProjectNamed(clusterB.id + "-shared-name-workers")).To(BeNil())
		Expect(resellerProjectNamed(clusterA.id+"-shared-name-workers")).NotTo(BeNil(), "cluster A's project stays")
		Expect(c.Delete(ctx, pa)).To(Succeed())
		Eventually(gone(c, pa)).Should(BeTrue())
	})

	It("takes over a project the peer operator made under the same name instead of making a second", func() {
		ns := namespace(c, "takeover")
		region := simRegion(c, "sim-takeover")
		made, err := resellerAPI().CreateProject(ctx, reseller.ProjectCreate{Name: fmt.Sprintf("%s-%s-legacy", clusterA.id, ns), Description: pcov1.DefaultDescription})
		Expect(err).NotTo(HaveOccurred())
		before := len(sim.ResellerProjects())
		p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "legacy"}, Spec: pcov1.ProjectSpec{Region: region.Name}}
		Expect(c.Create(ctx, p)).To(Succeed())
		Eventually(condition(c, p, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonProjectIsReady))
		Expect(p.Status.ProjectID).To(Equal(made.ID))
		Expect(sim.ResellerProjects()).To(HaveLen(before))
		Expect(c.Delete(ctx, p)).To(Succeed())
		Eventually(gone(c, p)).Should(BeTrue())
	})
})

var _ = Describe("owner records", func() {
	ctx := context.Background()

	It("deleting a binding whose status names another User's OpenStack user (as one written before owner records could) leaves that user alone, with a Warning event", func() {
		region := simRegion(c, "sim-owner")
		ready := func(ns string) (*pcov1.UserProjectBinding, *pcov1.User) {
			namespace(c, ns)
			p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: pcov1.ProjectSpec{Region: region.Name}}
			u := &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "u"}}
			b := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "b"}, Spec: pcov1.UserProjectBindingSpec{User: "u", Project: "p"}}
			for _, o := range []client.Object{p, u, b} {
				Expect(c.Create(ctx, o)).To(Succeed())
			}
			Eventually(condition(c, b, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonBindingIsReady))
			return b, u
		}
		victim, victimUser := ready("owner-victim")
		other, _ := ready("owner-other")
		// The status is the controller's; only a stale one (or an admin) can name another's user.
		other.Status.UserID = victim.Status.UserID
		Expect(c.Status().Update(ctx, other)).To(Succeed())
		Expect(c.Delete(ctx, other)).To(Succeed())
		Eventually(gone(c, other)).Should(BeTrue())
		u := resellerUserNamed(fmt.Sprintf("u-%s@%s.k8s", victimUser.Namespace, clusterA.id))
		Expect(u).NotTo(BeNil(), "the victim's OpenStack user is still there")
		Expect(u.ID).To(Equal(victim.Status.UserID))
		Expect(u.Projects).NotTo(BeEmpty(), "and still a member of its project")
		var events corev1.EventList
		Expect(c.List(ctx, &events, client.InNamespace("owner-other"))).To(Succeed())
		var reasons []string
		for _, e := range events.Items {
			if e.Type == corev1.EventTypeWarning {
				reasons = append(reasons, e.Reason)
			}
		}
		Expect(reasons).To(ContainElement(pcov1.ReasonConflict))
	})

	It("writes the owner record at the end of the description, after the spec's, and never more than 254 characters", func() {
		ns := namespace(c, "owner-desc")
		region := simRegion(c, "sim-desc")
		long := strings.TrimSpace(strings.Repeat("word ", 50))
		p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: pcov1.ProjectSpec{Region: region.Name, Description: long}}
		Expect(c.Create(ctx, p)).To(Succeed())
		Eventually(condition(c, p, pcov1.ProjectReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonProjectIsReady))
		got := resellerProjectNamed(fmt.Sprintf("%s-%s-p", clusterA.id, ns))
		Expect(got).NotTo(BeNil())
		Expect(got.Description).To(HavePrefix("word word"))
		Expect(got.Description).To(HaveSuffix(fmt.Sprintf(" pco-owner %s %s p", clusterA.id, ns)))
		Expect(len(got.Description)).To(BeNumerically("<=", 254))
	})
})

var _ = Describe("a user Keystone no longer lets in", func() {
	ctx := context.Background()

	It("deleting its binding with an application credential still deletes the OpenStack user when Keystone answers the user's login with 401", func() {
		ns := namespace(c, "keystone-401")
		region := simRegion(c, "sim-401")
		p := &pcov1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: pcov1.ProjectSpec{Region: region.Name}}
		u := &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "u"}}
		b := &pcov1.UserProjectBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "b"}, Spec: pcov1.UserProjectBindingSpec{User: "u", Project: "p", ApplicationCredential: true}}
		for _, o := range []client.Object{p, u, b} {
			Expect(c.Create(ctx, o)).To(Succeed())
		}
		Eventually(condition(c, b, pcov1.UserProjectBindingReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonBindingIsReady))
		Eventually(func() map[string][]byte { return secretData(ns, "b-appcred") }).Should(HaveKey("application-credential-secret"))
		// The user's password changed behind the controller's back, or the user was disabled.
		defer sim.RemoveFault(sim.InjectFault(ossim.Fault{Service: "identity", Method: http.MethodPost, Path: "auth/tokens", Kind: ossim.FaultError, Status: http.StatusUnauthorized}))

		Expect(c.Delete(ctx, b)).To(Succeed())
		Eventually(gone(c, b)).Should(BeTrue(), "the finalizer does not wait for a login that cannot succeed")
		Expect(resellerUserNamed(fmt.Sprintf("u-%s@%s.k8s", ns, clusterA.id))).To(BeNil(), "the OpenStack user, and with it its application credentials, is deleted")
	})
})

var _ = Describe("manifests", func() {
	ctx := context.Background()

	// applyStrict server-side-applies YAML documents with strict field validation, as kubectl
	// apply does: an unknown field is an error, not silently dropped.
	applyStrict := func(doc string) error {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return err
		}
		// Client.Apply, the replacement, takes no FieldValidation option; strict validation is the point here.
		return c.Patch(ctx, u, client.Apply, client.FieldOwner("test"), client.ForceOwnership, client.FieldValidation("Strict")) //nolint:staticcheck // SA1019, see above
	}

	It("pco-reseller-operator v0.3.1's kinds and fields apply unchanged (inline Region account, legacy compute quota keys)", func() {
		namespace(c, "peer-samples")
		for _, doc := range []string{
			"apiVersion: pco.plusserver.com/v1alpha1\nkind: Region\nmetadata:\n  name: peer-prod1\nspec:\n  endpoint: https://127.0.0.1:1/\n  username: MY_RESELLER_USERNAME\n  password: MY_RESELLER_PASSWORD\n",
			`apiVersion: pco.plusserver.com/v1alpha1
kind: Project
metadata: {name: project-sample, namespace: peer-samples}
spec:
  region: peer-prod1
  description: My special project
  quotas:
    compute: {cores: 64, fixed_ips: 1, floating_ips: 10, instances: 64, key_pairs: 500, metadata_items: 100, ram: 262144, security_group_rules: 500, security_groups: 500, server_group_members: 15, server_groups: 10}
    network: {floatingip: 10, network: 10, router: 10, security_group: 500, security_group_rule: 500, subnet: 100}
    volume: {backup_gigabytes: 2000, backups: 99, gigabytes: 2000, snapshots: 99, volumes: 500}
`,
			"apiVersion: pco.plusserver.com/v1alpha1\nkind: User\nmetadata: {name: user-sample, namespace: peer-samples}\n",
			"apiVersion: pco.plusserver.com/v1alpha1\nkind: UserProjectBinding\nmetadata: {name: userprojectbinding-sample, namespace: peer-samples}\nspec: {user: user-sample, project: project-sample, applicationCredential: false}\n",
		} {
			Expect(applyStrict(doc)).To(Succeed(), doc)
		}
		r := &pcov1.Region{ObjectMeta: metav1.ObjectMeta{Name: "peer-prod1"}}
		Eventually(condition(c, r, pcov1.RegionReady)).Should(haveStatus(metav1.ConditionFalse, pcov1.ReasonAPIUnavailable), "nothing listens there")
		Expect(r.Status.Conditions[0].Message).NotTo(ContainSubstring("MY_RESELLER_PASSWORD"))
		u := &pcov1.User{ObjectMeta: metav1.ObjectMeta{Namespace: "peer-samples", Name: "user-sample"}}
		Eventually(condition(c, u, pcov1.UserReady)).Should(haveStatus(metav1.ConditionTrue, pcov1.ReasonUserIsReady))
	})

	It("this project's examples in kubernetes/examples/reseller apply", func() {
		namespace(c, "machine-controller")
		dir := filepath.Join(testenv.RepoRoot(), "kubernetes", "examples", "reseller")
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		for _, f := range files {
			b, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			for _, doc := range strings.Split(string(b), "\n---") {
				if strings.TrimSpace(doc) == "" {
					continue
				}
				Expect(applyStrict(doc)).To(Succeed(), "%s:\n%s", filepath.Base(f), doc)
			}
		}
	})
})
