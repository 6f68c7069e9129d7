package reseller_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

func TestReseller(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Reseller Client Suite")
}

// sim is the simulator shared by the specs that need no special options.
var sim *ossim.Sim

var _ = BeforeSuite(func() {
	var err error
	sim, err = ossim.Start(ossim.Options{Addr: "127.0.0.1:0"})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
})
