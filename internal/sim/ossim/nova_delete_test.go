package ossim_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("server deletion", func() {
	It("goes ACTIVE+deleting, then DELETED, then 404, as on a real Nova", func(ctx SpecContext) {
		sim := startSim(func(o *ossim.Options) { o.DeleteTime = 400 * time.Millisecond })
		id := sim.AddServers(1, ossim.Server{Name: "to-delete"})[0]
		token := tokenOf(ctx, sim)
		Expect(rawRequest(sim, "DELETE", "/compute/v2.1/servers/"+id, token, nil).code).To(Equal(204))
		resp := rawRequest(sim, "GET", "/compute/v2.1/servers/"+id, token, nil)
		Expect(resp.body).To(ContainSubstring(`"OS-EXT-STS:task_state":"deleting"`))
		Eventually(func() string { return rawRequest(sim, "GET", "/compute/v2.1/servers/"+id, token, nil).body }).
			WithTimeout(time.Second).WithPolling(20 * time.Millisecond).Should(ContainSubstring(`"status":"DELETED"`))
		Eventually(func() int { return rawRequest(sim, "GET", "/compute/v2.1/servers/"+id, token, nil).code }).
			WithTimeout(time.Second).WithPolling(20 * time.Millisecond).Should(Equal(404))
	})
})
