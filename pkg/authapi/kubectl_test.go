package authapi_test

import (
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// kubectl runs the real kubectl (of the envtest assets) as user, with that user's client
// certificate kubeconfig, through the kube-apiserver.
func kubectl(user string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(aenv.Assets, "kubectl"), append([]string{"--kubeconfig", userKubes[user]}, args...)...)
	cmd.Env = []string{"HOME=" + GinkgoT().TempDir()} // no ~/.kube cache or config of the machine
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var _ = Describe("kubectl get through the kube-apiserver", func() {
	It("shows user A only A's credentials; B's are NotFound", func() {
		out, err := kubectl("alice", "get", "clusteruserauths.auth.registry.pco-mcm.io", "-o", "name")
		Expect(err).NotTo(HaveOccurred(), out)
		lines := strings.Fields(out)
		Expect(lines).To(ContainElements(
			"clusteruserauth.auth.registry.pco-mcm.io/alice-c1",
			"clusteruserauth.auth.registry.pco-mcm.io/alice-c2"))
		for _, l := range lines {
			Expect(l).To(HavePrefix("clusteruserauth.auth.registry.pco-mcm.io/alice-"))
		}

		out, err = kubectl("alice", "get", "clusteruserauths.auth.registry.pco-mcm.io", "bob-c1")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring(`clusteruserauths.auth.registry.pco-mcm.io "bob-c1" not found`))

		out, err = kubectl("alice", "get", "clusteruserauths.auth.registry.pco-mcm.io", "alice-c1",
			"-o", "jsonpath={.credentials.kubeconfig}")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(Equal("kubeconfig-of-alice-c1"))

		// The table of kubectl get.
		out, err = kubectl("alice", "get", "clusteruserauths.auth.registry.pco-mcm.io")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(MatchRegexp(`NAME\s+CLUSTER\s+USER\s+AGE`))
		Expect(out).To(MatchRegexp(`alice-c1\s+c1\s+alice\s`))
		Expect(out).NotTo(ContainSubstring("bob"))
	})

	It("shows B only B's, lists clusters, and refuses users without RBAC", func() {
		out, err := kubectl("bob", "get", "clusteruserauths.auth.registry.pco-mcm.io", "-o", "name")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("/bob-c1"))
		Expect(out).NotTo(ContainSubstring("alice"))
		out, err = kubectl("bob", "get", "clusteruserauths.auth.registry.pco-mcm.io", "alice-c1")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("not found"))

		out, err = kubectl("alice", "get", "clusters.auth.registry.pco-mcm.io", "-o", "wide")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(MatchRegexp(`NAME\s+DISPLAY NAME\s+VERSION\s+NODES\s+PHASE\s+REGION\s+PROJECT\s+ENDPOINT`))
		Expect(out).To(MatchRegexp(`c2\s+Cluster c2\s+v1.36.5\s+3\s+Active\s+de-c2\s+project-c2\s+https://c2.example:6443`))
		Expect(out).NotTo(ContainSubstring("c3"))
		Expect(out).NotTo(ContainSubstring("c9"))

		out, err = kubectl("dave", "get", "clusteruserauths.auth.registry.pco-mcm.io")
		Expect(err).To(HaveOccurred())
		Expect(out).To(ContainSubstring("forbidden"))
	})
})
