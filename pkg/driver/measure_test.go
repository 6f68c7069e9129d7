package driver_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// The cycle MCM drives for every machine: GetMachineStatus (NotFound), CreateMachine,
// InitializeMachine, GetMachineStatus, DeleteMachine. PCO_MEASURE_CYCLES sets how many
// (make measure runs 100); the counts come from the simulator's request counters.
var _ = Describe("request cost of machine cycles", func() {
	It("authenticates once and stays frugal per cycle", func() {
		cycles := 20
		if v, err := strconv.Atoi(os.Getenv("PCO_MEASURE_CYCLES")); err == nil && v > 0 {
			cycles = v
		}
		opts := fastOptions()
		// Poll later than the simulated build and delete take, as production polling
		// (2s) is later than a real Nova build step, so each wait costs one look.
		opts.PollInterval = 150 * time.Millisecond
		f := newFixture(func(o *ossim.Options) {
			o.BuildTime = 100 * time.Millisecond
			o.DeleteTime = 50 * time.Millisecond
		}, nil, opts)
		ctx := context.Background()

		for i := range cycles {
			m := machine(fmt.Sprintf("cycle-%03d", i))
			_, err := f.status(m)
			Expect(codeOf(err).String()).To(Equal("NotFound"))
			created, err := f.create(m.Name)
			Expect(err).NotTo(HaveOccurred())
			m.Spec.ProviderID = created.ProviderID
			_, err = f.drv.InitializeMachine(ctx, &mcmdriver.InitializeMachineRequest{Machine: m, MachineClass: f.class, Secret: f.secret})
			Expect(err).NotTo(HaveOccurred())
			_, err = f.status(m)
			Expect(err).NotTo(HaveOccurred())
			Expect(f.delete(m)).To(Succeed())
		}
		counts := f.sim.Counts()
		tokens := counts.Get("identity POST /v3/auth/tokens")
		perCycle := float64(counts.Total()) / float64(cycles)
		GinkgoWriter.Printf("requests by route:\n%s\n", counts.String())
		fmt.Fprintf(os.Stdout, "MEASURE cycles=%d keystone_token_requests=%d requests_total=%d requests_per_cycle=%.2f compute=%d network=%d image=%d\n",
			cycles, tokens, counts.Total(), perCycle, counts.Service("compute"), counts.Service("network"), counts.Service("image"))

		Expect(tokens).To(Equal(1), "one Keystone token serves every cycle")
		Expect(counts.Get("compute POST /servers")).To(Equal(cycles))
		// Per cycle: a look by name, POST, one poll, a port list and update, DELETE, one poll (7),
		// a second poll now and then when a learned first wait came early, and the token, flavor
		// and image once for all cycles. The peer needs 16.
		Expect(perCycle).To(BeNumerically("<=", 8))
		Expect(f.sim.Servers()).To(BeEmpty())
		Expect(f.sim.Ports()).To(BeEmpty())
	})
})
