package integration_test

import (
	"context"
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
	// PCO_E2E_CLOUDS (make e2e-openstack) runs the same specs against a real OpenStack.
	cloudsFile, cloudName := framework.RealCloudFromEnv()
	stack, err = framework.StartStack(framework.StackOptions{
		Dir:                dir,
		CloudsFile:         cloudsFile,
		CloudName:          cloudName,
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

// cloudServers and cloudPorts are the test's servers and ports, in the simulator or the real cloud.
func cloudServers(ctx context.Context) []ossim.Server {
	list, err := stack.Cloud.Servers(ctx)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return list
}

func cloudPorts(ctx context.Context) []ossim.Port {
	list, err := stack.Cloud.Ports(ctx)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return list
}

// simulatorOnly skips a spec that needs the simulator (fault injection, the Reseller API) when
// the suite runs against a real OpenStack.
func simulatorOnly() {
	if stack.Sim == nil {
		Skip("needs the simulator; this run is against a real OpenStack")
	}
}

func healthy() {
	ExpectWithOffset(1, stack.Healthy()).To(Succeed())
}
