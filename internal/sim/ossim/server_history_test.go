package ossim_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("server history", func() {
	It("keeps every server made, gone ones with the time their delete took effect, and a lost delete leaves a server live", func(ctx SpecContext) {
		sim := startSim(nil)
		token := tokenOf(ctx, sim)
		ids := sim.AddServers(3, ossim.Server{Name: "h"})
		deleted, outOfBand, lost := ids[0], ids[1], ids[2]
		Expect(rawRequest(sim, "DELETE", "/compute/v2.1/servers/"+deleted, token, nil).code).To(Equal(http.StatusNoContent))
		sim.DeleteServerOutOfBand(outOfBand)
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerDeleteLingers, Count: 1})
		Expect(rawRequest(sim, "DELETE", "/compute/v2.1/servers/"+lost, token, nil).code).To(Equal(http.StatusNoContent))
		Eventually(func() []ossim.Server { return sim.Servers() }).Should(HaveLen(1), "the deleted one disappears")

		h := sim.ServerHistory()
		Expect(h).To(HaveLen(3))
		byID := map[string]ossim.ServerRecord{}
		for _, r := range h {
			byID[r.ID] = r
			Expect(r.Name).To(HavePrefix("h-"))
		}
		Expect(byID[deleted].Ended).NotTo(BeZero())
		Expect(byID[deleted].Ended).NotTo(BeTemporally("<", byID[deleted].Created))
		Expect(byID[outOfBand].Ended).NotTo(BeZero())
		Expect(byID[lost].Ended).To(BeZero(), "a lost delete did not end it")
		Expect(byID[lost].LostDeletes).To(Equal(1))
		Expect(byID[deleted].LostDeletes).To(BeZero())
	})
})
