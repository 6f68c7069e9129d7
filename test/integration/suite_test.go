package integration_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Integration Suite (real kube-apiserver, MCM and machine-controller)")
}

var stack *framework.Stack

var _ = BeforeSuite(func() {
	dir, err := os.MkdirTemp("", "pco-integration-")
	Expect(err).NotTo(HaveOccurred())
	// Everything logs at its most verbose, for the secret scan at the end (secrets_test.go).
	Expect(logInProcess(dir)).To(Succeed())
	// PCO_E2E_CLOUDS (make e2e-openstack) runs the same specs against a real OpenStack.
	cloudsFile, cloudName := framework.RealCloudFromEnv()
	stack, err = framework.StartStack(framework.StackOptions{
		Dir:                dir,
		CloudsFile:         cloudsFile,
		CloudName:          cloudName,
		Sim:                ossim.Options{BuildTime: 500 * time.Millisecond, DeleteTime: 100 * time.Millisecond},
		SafetyOrphanPeriod: 20 * time.Second,
		// The highest -v: client-go dumps every request and response (secrets_test.go checks
		// that no secret gets into the logs even so).
		Verbosity: 10,
		// A lost Node must fail its Machine quickly so the replacement is seen in the test.
		ProviderArgs: []string{"--machine-health-timeout=20s"},
	})
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("stack logs in %s\n", dir)
	scan, err = startSecretScan(cloudsFile)
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func(ctx SpecContext) {
	defer stack.Stop()
	if scan != nil {
		scan.finish(ctx)
	}
}, NodeTimeout(5*time.Minute))

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() && stack != nil {
		AddReportEntry("machine-controller log", stack.Provider.Tail(6000))
		AddReportEntry("machine-controller-manager log", stack.MCM.Tail(4000))
		AddReportEntry("in-process controllers log", inProcessTail(4000))
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
