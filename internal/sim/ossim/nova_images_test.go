package ossim_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Nova's image proxy", func() {
	It("lists images by name below microversion 2.36 and is gone from 2.36 on, as in Nova", func(ctx SpecContext) {
		sim := startSim(nil)
		token := tokenOf(ctx, sim)
		resp := rawRequest(sim, "GET", "/compute/v2.1/images?name=Ubuntu+24.04", token, nil)
		Expect(resp.code).To(Equal(http.StatusOK))
		Expect(resp.body).To(ContainSubstring(sim.Seed().ImageID))
		resp = rawRequest(sim, "GET", "/compute/v2.1/images", token, nil, "OpenStack-API-Version", "compute 2.36")
		Expect(resp.code).To(Equal(http.StatusNotFound))
	})
})
