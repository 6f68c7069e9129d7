package ossim_test

import (
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("the simulator itself", func() {
	It("seeds thousands of servers at once and filters them", func(ctx SpecContext) {
		sim := startSim(nil)
		start := time.Now()
		ids := sim.AddServers(5000, ossim.Server{Name: "bulk", Tags: []string{"bench"}})
		Expect(ids).To(HaveLen(5000))
		Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))
		c := newServices(ctx, sim, passwordAuth(sim), "2.67")
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Name: "^bulk-4999$"})).To(ConsistOf("bulk-4999"))
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Name: "^bulk-4999$", NotTags: "bench"})).To(BeEmpty())
	})

	It("pages at MaxLimit when no limit is asked for", func(ctx SpecContext) {
		sim := startSim(func(o *ossim.Options) { o.MaxLimit = 100 })
		sim.AddServers(250, ossim.Server{Name: "paged"})
		c := newServices(ctx, sim, passwordAuth(sim), "2.67")
		sim.ResetCounts()
		Expect(serverNames(ctx, c.compute, servers.ListOpts{})).To(HaveLen(250))
		Expect(sim.Counts().Get("compute GET /servers/detail")).To(Equal(3))
		sim.ResetCounts()
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Limit: 500})).To(HaveLen(250), "a larger limit is cut to MaxLimit")
		Expect(sim.Counts().Get("compute GET /servers/detail")).To(Equal(3))
	})

	It("logs requests without tokens", func(ctx SpecContext) {
		log := gbytes.NewBuffer() // written by the server's goroutines
		sim := startSim(func(o *ossim.Options) { o.Log = log })
		token := tokenOf(ctx, sim)
		rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil)
		Expect(string(log.Contents())).To(ContainSubstring("compute GET /servers /compute/v2.1/servers -> 200"))
		Expect(string(log.Contents())).To(ContainSubstring("identity POST /v3/auth/tokens"))
		Expect(string(log.Contents())).NotTo(ContainSubstring(token))
		Expect(string(log.Contents())).NotTo(ContainSubstring(sim.Seed().Password))
	})
})
