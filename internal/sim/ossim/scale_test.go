package ossim_test

import (
	"bytes"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

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
		var log syncBuffer
		sim := startSim(func(o *ossim.Options) { o.Log = &log })
		token := tokenOf(ctx, sim)
		rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil)
		Expect(log.String()).To(ContainSubstring("compute GET /servers /compute/v2.1/servers -> 200"))
		Expect(log.String()).To(ContainSubstring("identity POST /v3/auth/tokens"))
		Expect(log.String()).NotTo(ContainSubstring(token))
		Expect(log.String()).NotTo(ContainSubstring(sim.Seed().Password))
	})
})
