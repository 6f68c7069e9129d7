package ossim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("fault injection", func() {
	var (
		sim   *ossim.Sim
		seed  ossim.Seed
		token string
		c     *services
	)
	BeforeEach(func(ctx SpecContext) {
		sim = startSim(nil)
		seed = sim.Seed()
		token = tokenOf(ctx, sim)
		c = newServices(ctx, sim, passwordAuth(sim), "2.67")
	})
	create := func(ctx context.Context, name string) (*servers.Server, error) {
		return servers.Create(ctx, c.compute, servers.CreateOpts{Name: name, FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID,
			Networks: []servers.Network{{UUID: seed.NetworkID}}}, nil).Extract()
	}

	It("answers errors in each service's own shape", func() {
		shapes := map[string]struct{ path, body string }{
			"compute":  {"/compute/v2.1/servers", `{"serviceUnavailable":{"code":503,"message":"down"}}`},
			"volume":   {"/volume/v3/" + seed.ProjectID + "/volumes", `{"serviceUnavailable":{"code":503,"message":"down"}}`},
			"network":  {"/network/v2.0/ports", `{"NeutronError":{"type":"HTTPServiceUnavailable","message":"down","detail":""}}`},
			"identity": {"/identity/v3/auth/catalog", `{"error":{"code":503,"title":"Service Unavailable","message":"down"}}`},
			"image":    {"/image/v2/images", `{"code":"503 Service Unavailable","title":"Service Unavailable","message":"down<br /><br />\n\n\n"}`},
		}
		for service, shape := range shapes {
			sim.InjectFault(ossim.Fault{Service: service, Kind: ossim.FaultError, Status: 503, Message: "down", Count: 1})
			r := rawRequest(sim, "GET", shape.path, token, nil)
			Expect(r.code).To(Equal(503), service)
			Expect(r.body).To(MatchJSON(shape.body), service)
			Expect(rawRequest(sim, "GET", shape.path, token, nil).code).To(Equal(200), "Count 1 is used up")
		}
		sim.InjectFault(ossim.Fault{Service: "compute", Kind: ossim.FaultError, Count: 1})
		r := rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil)
		Expect(r.code).To(Equal(500))
		Expect(r.body).To(ContainSubstring(`"computeFault"`))
	})

	It("rate-limits with 429 and Retry-After", func() {
		sim.InjectFault(ossim.Fault{Service: "compute", Kind: ossim.FaultRateLimit, RetryAfter: 2 * time.Second, Count: 1})
		r := rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil)
		Expect(r.code).To(Equal(http.StatusTooManyRequests))
		Expect(r.header.Get("Retry-After")).To(Equal("2"))
		var body struct{ OverLimit struct{ RetryAfter string } }
		r.decode(&body)
		Expect(body.OverLimit.RetryAfter).To(Equal("2"))
	})

	It("matches by service, method and path, and applies Count and Rate", func() {
		sim.InjectFault(ossim.Fault{Service: "compute", Method: "GET", Path: `^/servers/[^/]+$`, Kind: ossim.FaultError, Status: 502})
		Expect(rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil).code).To(Equal(200))
		Expect(rawRequest(sim, "GET", "/compute/v2.1/servers/x", token, nil).code).To(Equal(502))
		Expect(rawRequest(sim, "DELETE", "/compute/v2.1/servers/x", token, nil).code).To(Equal(404))
		sim.ClearFaults()
		sim.InjectFault(ossim.Fault{Service: "network", Kind: ossim.FaultError, Rate: 0.5})
		failed := 0
		for range 200 {
			if rawRequest(sim, "GET", "/network/v2.0/networks", token, nil).code != 200 {
				failed++
			}
		}
		Expect(failed).To(BeNumerically("~", 100, 40))
	})

	It("delays requests, and latency adds up with another fault", func() {
		sim.InjectFault(ossim.Fault{Service: "compute", Kind: ossim.FaultLatency, Delay: 150 * time.Millisecond, Count: 1})
		sim.InjectFault(ossim.Fault{Service: "compute", Kind: ossim.FaultError, Status: 503, Count: 1})
		start := time.Now()
		r := rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil)
		Expect(time.Since(start)).To(BeNumerically(">=", 150*time.Millisecond))
		Expect(r.code).To(Equal(503))
	})

	It("drops connections before handling", func(ctx SpecContext) {
		sim.InjectFault(ossim.Fault{Service: "compute", Method: "POST", Kind: ossim.FaultDrop, Count: 1})
		_, err := create(ctx, "dropped")
		Expect(err).To(HaveOccurred())
		Expect(sim.Servers()).To(BeEmpty(), "nothing happened")
	})

	It("commits a create and then fails the answer, or drops it", func(ctx SpecContext) {
		sim.InjectFault(ossim.Fault{Service: "compute", Method: "POST", Path: "^/servers$", Kind: ossim.FaultAfterCommit, Status: 502, Count: 1})
		_, err := create(ctx, "committed")
		Expect(gophercloud.ResponseCodeIs(err, 502)).To(BeTrue())
		sim.InjectFault(ossim.Fault{Service: "network", Method: "POST", Kind: ossim.FaultAfterCommit, Count: 1})
		_, err = ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, Name: "committed"}).Extract()
		Expect(err).To(HaveOccurred())
		Expect(sim.Servers()).To(ConsistOf(HaveField("Name", "committed")), "the server exists although the client saw an error")
		Expect(sim.Ports()).To(ContainElement(HaveField("Name", "committed")), "so does the port")
	})

	It("makes servers go to ERROR with a fault, or stay in BUILD", func(ctx SpecContext) {
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Count: 1})
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerStuckBuild, Count: 1})
		p, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, Name: "failed"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		failed, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "failed", FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID,
			Networks: []servers.Network{{Port: p.ID}}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		stuck, err := create(ctx, "stuck")
		Expect(err).NotTo(HaveOccurred())
		waitServer(ctx, c.compute, failed.ID, "ERROR")
		s, err := servers.Get(ctx, c.compute, failed.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Fault.Code).To(Equal(500))
		Expect(s.Fault.Message).To(Equal(ossim.DefaultFaultMessage))
		Expect(s.Fault.Created).NotTo(BeZero())
		Consistently(func() string {
			s, err := servers.Get(ctx, c.compute, stuck.ID).Extract()
			Expect(err).NotTo(HaveOccurred())
			return s.Status
		}).WithTimeout(300 * time.Millisecond).Should(Equal("BUILD"))
		unbound, err := ports.Get(ctx, c.network, p.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(unbound.DeviceID).To(BeEmpty(), "a failed build unbinds the caller's port")
		Expect(servers.Delete(ctx, c.compute, failed.ID).ExtractErr()).To(Succeed(), "ERROR servers can be deleted")
		waitServerGone(ctx, c.compute, failed.ID)
	})

	It("takes faults, quotas and counter resets over its admin HTTP endpoint", func() {
		post := func(body string) (int, string) {
			resp, err := http.Post(sim.URL()+"/_sim/faults", "application/json", strings.NewReader(body))
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		code, body := post(`{"service":"compute","kind":"ratelimit","retryAfter":"1s","count":1}`)
		Expect(code).To(Equal(http.StatusCreated), body)
		Expect(rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil).header.Get("Retry-After")).To(Equal("1"))
		code, _ = post(`{"service":"compute","kind":"latency","delay":0.1,"count":1}`)
		Expect(code).To(Equal(http.StatusCreated))
		code, _ = post(`{"kind":"nonsense"}`)
		Expect(code).To(Equal(http.StatusBadRequest))
		code, body = post(`{"service":"image","kind":"error","status":500}`)
		Expect(code).To(Equal(http.StatusCreated))
		var created struct{ ID string }
		Expect(json.Unmarshal([]byte(body), &created)).To(Succeed())
		req, _ := http.NewRequest(http.MethodDelete, sim.URL()+"/_sim/faults/"+created.ID, nil)
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusNoContent))

		req, _ = http.NewRequest(http.MethodPut, sim.URL()+"/_sim/quotas/"+seed.ProjectID, strings.NewReader(`{"instances":0}`))
		resp, err = http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		r := rawRequest(sim, "POST", "/compute/v2.1/servers", token, map[string]any{"server": map[string]any{"name": "q",
			"flavorRef": seed.Flavors["SCS-2V-4-20s"], "imageRef": seed.ImageID, "networks": "none"}}, compute("2.67")...)
		Expect(r.code).To(Equal(http.StatusForbidden))

		resp, err = http.Get(sim.URL() + "/_sim/counts")
		Expect(err).NotTo(HaveOccurred())
		var counts struct {
			Total  int
			Routes map[string]int
		}
		Expect(json.NewDecoder(resp.Body).Decode(&counts)).To(Succeed())
		resp.Body.Close()
		Expect(counts.Routes).To(HaveKeyWithValue("compute GET /servers", 1))
		Expect(counts.Routes).To(HaveKeyWithValue("compute POST /servers", 1))
		Expect(counts.Routes).NotTo(HaveKey(ContainSubstring("_sim")), "admin requests are not counted")
		Expect(sim.Counts().String()).To(ContainSubstring("compute POST /servers\n"))

		resp, err = http.Post(sim.URL()+"/_sim/counts/reset", "", nil)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(sim.Counts().Total()).To(BeZero())

		resp, err = http.Get(sim.URL() + "/_sim/state")
		Expect(err).NotTo(HaveOccurred())
		var state struct{ Servers, Ports, Volumes []map[string]any }
		Expect(json.NewDecoder(resp.Body).Decode(&state)).To(Succeed())
		resp.Body.Close()
		Expect(state.Servers).To(BeEmpty())
	})

	It("counts requests by route template and service", func(ctx SpecContext) {
		sim.ResetCounts()
		s, err := create(ctx, "counted")
		Expect(err).NotTo(HaveOccurred())
		_, err = servers.Get(ctx, c.compute, s.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		_, err = ports.List(c.network, nil).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		counts := sim.Counts()
		Expect(counts.Get("compute POST /servers")).To(Equal(1))
		Expect(counts.Get("compute GET /servers/{id}")).To(Equal(1))
		Expect(counts.Get("network GET /v2.0/ports")).To(Equal(1))
		Expect(counts.Service("compute")).To(Equal(2))
		Expect(counts.Total()).To(Equal(3))
		Expect(rawRequest(sim, "GET", "/compute/v2.1/nothing-here", token, nil).code).To(Equal(http.StatusNotFound))
		Expect(rawRequest(sim, "PATCH", "/compute/v2.1/servers", token, nil).code).To(Equal(http.StatusMethodNotAllowed))
	})
})
