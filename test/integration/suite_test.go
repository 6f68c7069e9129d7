package integration_test

import (
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
	ossim "github.com/pco-mcm/mcm-provider-pco/test/simulator/openstack"
)

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Integration Suite (real kube-apiserver, MCM and machine-controller)")
}

var stack *framework.Stack

var _ = BeforeSuite(func() {
	dir, err := os.MkdirTemp("", "pco-integration-")
	Expect(err).NotTo(HaveOccurred())
	stack, err = framework.StartStack(framework.StackOptions{
		Dir:                dir,
		Sim:                ossim.Options{BuildTime: 500 * time.Millisecond, DeleteTime: 100 * time.Millisecond},
		SafetyOrphanPeriod: 20 * time.Second,
		Verbosity:          3,
		// A lost Node must fail its Machine quickly so the replacement is seen in the test.
		ProviderArgs: []string{"--machine-health-timeout=20s"},
	})
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("stack logs in %s\n", dir)
})

var _ = AfterSuite(func() {
	stack.Stop()
})

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() && stack != nil {
		AddReportEntry("machine-controller log", stack.Provider.Tail(6000))
		AddReportEntry("machine-controller-manager log", stack.MCM.Tail(4000))
	}
})

func healthy() {
	ExpectWithOffset(1, stack.Healthy()).To(Succeed())
}
