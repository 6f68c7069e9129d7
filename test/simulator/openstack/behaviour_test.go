package ossim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/test/simulator/openstack"
)

func passwordAuth(sim *ossim.Sim) gophercloud.AuthOptions {
	seed := sim.Seed()
	return gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), Username: seed.Username, Password: seed.Password,
		DomainName: seed.DomainName, Scope: &gophercloud.AuthScope{ProjectName: seed.ProjectName, DomainName: seed.DomainName}, AllowReauth: true}
}

func computeClient(ctx context.Context, sim *ossim.Sim, opts gophercloud.AuthOptions, microversion string) *gophercloud.ServiceClient {
	provider, err := openstack.AuthenticatedClient(ctx, opts)
	Expect(err).NotTo(HaveOccurred())
	c, err := openstack.NewComputeV2(provider, gophercloud.EndpointOpts{Region: sim.Seed().Region})
	Expect(err).NotTo(HaveOccurred())
	c.Microversion = microversion
	return c
}

// rawRequest sends a request with a token, returning status and body, for shapes gophercloud hides.
func rawRequest(sim *ossim.Sim, method, path, token string, body any, headers map[string]string) (int, string) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, sim.URL()+path, r)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func tokenOf(ctx context.Context, sim *ossim.Sim) string {
	provider, err := openstack.AuthenticatedClient(ctx, passwordAuth(sim))
	Expect(err).NotTo(HaveOccurred())
	return provider.Token()
}

var _ = Describe("Keystone", func() {
	It("authenticates with password, application credential and token, and rejects a wrong password", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		_, err := openstack.AuthenticatedClient(ctx, passwordAuth(sim))
		Expect(err).NotTo(HaveOccurred())

		byID := gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), ApplicationCredentialID: seed.AppCredID, ApplicationCredentialSecret: seed.AppCredSecret}
		_, err = openstack.AuthenticatedClient(ctx, byID)
		Expect(err).NotTo(HaveOccurred())
		byName := gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), ApplicationCredentialName: seed.AppCredName,
			ApplicationCredentialSecret: seed.AppCredSecret, Username: seed.Username, DomainName: seed.DomainName}
		_, err = openstack.AuthenticatedClient(ctx, byName)
		Expect(err).NotTo(HaveOccurred())

		token := tokenOf(ctx, sim)
		byToken := gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), TokenID: token,
			Scope: &gophercloud.AuthScope{ProjectID: seed.ProjectID}}
		_, err = openstack.AuthenticatedClient(ctx, byToken)
		Expect(err).NotTo(HaveOccurred())

		wrong := passwordAuth(sim)
		wrong.Password = "nope"
		_, err = openstack.AuthenticatedClient(ctx, wrong)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)).To(BeTrue())

		otherProject := passwordAuth(sim)
		otherProject.Scope = &gophercloud.AuthScope{ProjectID: seed.OtherProjectID}
		_, err = openstack.AuthenticatedClient(ctx, otherProject)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)).To(BeTrue(), "no role on the other project")
	})

	It("expires tokens, and gophercloud re-authenticates once on the 401", func(ctx SpecContext) {
		sim := startSim(func(o *ossim.Options) { o.TokenTTL = 200 * time.Millisecond })
		c := computeClient(ctx, sim, passwordAuth(sim), "2.67")
		_, err := servers.List(c, nil).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(300 * time.Millisecond)
		_, err = servers.List(c, nil).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(sim.Counts().Get("identity POST /v3/auth/tokens")).To(Equal(2))
		Expect(sim.Counts().Get("compute GET /servers/detail")).To(Equal(3), "one 401, then the retry")
	})

	It("answers a missing token with 401 on every service", func() {
		sim := startSim(nil)
		for _, path := range []string{"/compute/v2.1/servers", "/network/v2.0/ports", "/image/v2/images"} {
			code, body := rawRequest(sim, "GET", path, "", nil, nil)
			Expect(code).To(Equal(http.StatusUnauthorized), path)
			Expect(body).To(ContainSubstring("requires authentication"))
		}
	})
})

var _ = Describe("Nova", func() {
	var (
		sim   *ossim.Sim
		token string
	)
	BeforeEach(func(ctx SpecContext) {
		sim = startSim(nil)
		token = tokenOf(ctx, sim)
	})
	serverBody := func(mod func(map[string]any)) map[string]any {
		seed := sim.Seed()
		s := map[string]any{"name": "raw", "flavorRef": "104", "imageRef": seed.ImageID, "networks": []map[string]any{{"uuid": seed.NetworkID}}}
		if mod != nil {
			mod(s)
		}
		return map[string]any{"server": s}
	}
	v := func(mv string) map[string]string { return map[string]string{"OpenStack-API-Version": "compute " + mv} }

	It("negotiates microversions like Nova", func() {
		code, _ := rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil, v("2.99"))
		Expect(code).To(Equal(http.StatusNotAcceptable))
		req, _ := http.NewRequest("GET", sim.URL()+"/compute/v2.1/servers", nil)
		req.Header.Set("X-Auth-Token", token)
		req.Header.Set("OpenStack-API-Version", "compute 2.67")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.Header.Get("OpenStack-API-Version")).To(Equal("compute 2.67"))
		Expect(resp.Header.Get("X-OpenStack-Nova-API-Version")).To(Equal("2.67"))

		code, body := rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(func(s map[string]any) { s["tags"] = []string{"a"} }), v("2.51"))
		Expect(code).To(Equal(http.StatusBadRequest))
		Expect(body).To(ContainSubstring("'tags' was unexpected"))
	})

	It("validates server creates with Nova's codes and messages", func() {
		cases := []struct {
			mod  func(map[string]any)
			code int
			msg  string
		}{
			{func(s map[string]any) { s["flavorRef"] = "nope" }, 400, "Flavor nope could not be found."},
			{func(s map[string]any) { s["imageRef"] = "nope" }, 400, "Invalid imageRef provided."},
			{func(s map[string]any) { s["key_name"] = "nope" }, 400, "Invalid key_name provided."},
			{func(s map[string]any) { s["user_data"] = "not base64!" }, 400, "User data needs to be valid base 64."},
			{func(s map[string]any) { s["availability_zone"] = "az9" }, 400, "The requested availability zone is not available"},
			{func(s map[string]any) { s["flavorRef"] = "101" }, 403, "Only volume-backed servers are allowed for flavors with zero disk."},
			{func(s map[string]any) { s["tags"] = []string{"a/b"} }, 400, "does not match"},
			{func(s map[string]any) { delete(s, "networks") }, 400, "'networks' is a required property"},
		}
		for _, tc := range cases {
			code, body := rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(tc.mod), v("2.67"))
			Expect(code).To(Equal(tc.code), body)
			Expect(body).To(ContainSubstring(tc.msg))
		}
		Expect(sim.Servers()).To(BeEmpty())
	})

	It("filters names as a regular expression, unanchored, as Nova does", func() {
		sim.AddServers(1, ossim.Server{Name: "node-1"})
		sim.AddServers(1, ossim.Server{Name: "node-10"})
		sim.AddServers(1, ossim.Server{Name: "xnode-1"})
		names := func(q string) []string {
			code, body := rawRequest(sim, "GET", "/compute/v2.1/servers?name="+q, token, nil, v("2.67"))
			Expect(code).To(Equal(200))
			var r struct{ Servers []struct{ Name string } }
			Expect(json.Unmarshal([]byte(body), &r)).To(Succeed())
			var out []string
			for _, s := range r.Servers {
				out = append(out, s.Name)
			}
			return out
		}
		Expect(names("node-1")).To(ConsistOf("node-1", "node-10", "xnode-1"))
		Expect(names("%5Enode-1%24")).To(ConsistOf("node-1"))
	})

	It("rejects an unknown pagination marker with 400", func() {
		code, body := rawRequest(sim, "GET", "/compute/v2.1/servers?marker=nope", token, nil, v("2.67"))
		Expect(code).To(Equal(400))
		Expect(body).To(ContainSubstring("marker [nope] not found"))
	})

	It("boots from a volume that is in-use and deleted with the server", func(ctx SpecContext) {
		c := computeClient(ctx, sim, passwordAuth(sim), "2.67")
		seed := sim.Seed()
		srv, err := servers.Create(ctx, c, servers.CreateOpts{Name: "bfv", FlavorRef: "101", Networks: []servers.Network{{UUID: seed.NetworkID}},
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: seed.ImageWithMinDiskID, DestinationType: servers.DestinationVolume,
				VolumeSize: 30, VolumeType: "ssd", DeleteOnTermination: true}}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(sim.Volumes()).To(HaveLen(1))
		Expect(sim.Volumes()[0].Status).To(Equal("in-use"))
		Expect(sim.Volumes()[0].Attachments).To(ConsistOf(srv.ID))
		Expect(sim.Ports()).To(HaveLen(1), "Nova made a port on the network")
		Expect(servers.Delete(ctx, c, srv.ID).ExtractErr()).To(Succeed())
		Eventually(sim.Volumes).WithTimeout(2 * time.Second).Should(BeEmpty())
		Eventually(sim.Ports).WithTimeout(2 * time.Second).Should(BeEmpty(), "Nova's own port goes with the server")

		_, err = servers.Create(ctx, c, servers.CreateOpts{Name: "too-small", FlavorRef: "101", Networks: []servers.Network{{UUID: seed.NetworkID}},
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: seed.ImageWithMinDiskID, DestinationType: servers.DestinationVolume,
				VolumeSize: 5, DeleteOnTermination: true}}}, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 400)).To(BeTrue())
	})

	It("reports quota in Nova's, Neutron's and Cinder's words", func() {
		seed := sim.Seed()
		q := ossim.Unlimited
		q.Instances, q.Ports, q.Volumes = 0, 0, 0
		sim.SetQuota(seed.ProjectID, q)
		code, body := rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(nil), v("2.67"))
		Expect(code).To(Equal(403))
		Expect(body).To(MatchJSON(`{"forbidden": {"code": 403, "message": "Quota exceeded for instances: Requested 1, but already used 0 of 0 instances"}}`))
		code, body = rawRequest(sim, "POST", "/network/v2.0/ports", token, map[string]any{"port": map[string]any{"network_id": seed.NetworkID}}, nil)
		Expect(code).To(Equal(409))
		Expect(body).To(MatchJSON(`{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['port'].", "detail": ""}}`))
		code, body = rawRequest(sim, "POST", "/volume/v3/"+seed.ProjectID+"/volumes", token, map[string]any{"volume": map[string]any{"size": 1}}, nil)
		Expect(code).To(Equal(413))
		Expect(body).To(ContainSubstring("VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes'."))
	})
})

var _ = Describe("fault injection", func() {
	var sim *ossim.Sim
	BeforeEach(func() { sim = startSim(nil) })

	It("answers errors, 429 with Retry-After, drops and latency", func(ctx SpecContext) {
		token := tokenOf(ctx, sim)
		sim.InjectFault(ossim.Fault{Service: "compute", Kind: ossim.FaultError, Status: 503, Count: 1})
		code, body := rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil, nil)
		Expect(code).To(Equal(503))
		Expect(body).To(ContainSubstring(`"serviceUnavailable"`))

		sim.InjectFault(ossim.Fault{Service: "network", Kind: ossim.FaultRateLimit, RetryAfter: 2 * time.Second, Count: 1})
		req, _ := http.NewRequest("GET", sim.URL()+"/network/v2.0/ports", nil)
		req.Header.Set("X-Auth-Token", token)
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(429))
		Expect(resp.Header.Get("Retry-After")).To(Equal("2"))

		sim.InjectFault(ossim.Fault{Service: "image", Kind: ossim.FaultDrop, Count: 1})
		req, _ = http.NewRequest("GET", sim.URL()+"/image/v2/images", nil)
		req.Header.Set("X-Auth-Token", token)
		_, err = http.DefaultClient.Do(req)
		Expect(err).To(HaveOccurred())

		sim.InjectFault(ossim.Fault{Service: "compute", Kind: ossim.FaultLatency, Delay: 150 * time.Millisecond, Count: 1})
		start := time.Now()
		rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil, nil)
		Expect(time.Since(start)).To(BeNumerically(">=", 150*time.Millisecond))
	})

	It("commits a create and then fails the response", func(ctx SpecContext) {
		c := computeClient(ctx, sim, passwordAuth(sim), "2.67")
		seed := sim.Seed()
		sim.InjectFault(ossim.Fault{Service: "compute", Method: "POST", Path: "^/servers$", Kind: ossim.FaultAfterCommit, Status: 502, Count: 1})
		_, err := servers.Create(ctx, c, servers.CreateOpts{Name: "committed", FlavorRef: "104", ImageRef: seed.ImageID,
			Networks: []servers.Network{{UUID: seed.NetworkID}}}, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 502)).To(BeTrue())
		Expect(sim.Servers()).To(HaveLen(1), "the server exists although the client saw an error")
	})

	It("makes servers go to ERROR with a fault, or stay in BUILD", func(ctx SpecContext) {
		c := computeClient(ctx, sim, passwordAuth(sim), "2.67")
		seed := sim.Seed()
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerError, Count: 1})
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerStuckBuild, Count: 1})
		create := func(name string) string {
			port, err := ports.Create(ctx, mustNetwork(ctx, sim), ports.CreateOpts{NetworkID: seed.NetworkID, Name: name}).Extract()
			Expect(err).NotTo(HaveOccurred())
			s, err := servers.Create(ctx, c, servers.CreateOpts{Name: name, FlavorRef: "104", ImageRef: seed.ImageID,
				Networks: []servers.Network{{Port: port.ID}}}, nil).Extract()
			Expect(err).NotTo(HaveOccurred())
			return s.ID
		}
		failed, stuck := create("failed"), create("stuck")
		Eventually(func(g Gomega) {
			s, err := servers.Get(ctx, c, failed).Extract()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(s.Status).To(Equal("ERROR"))
			g.Expect(s.Fault.Message).To(Equal(ossim.DefaultFaultMessage))
		}).WithTimeout(2 * time.Second).Should(Succeed())
		Consistently(func() string {
			s, err := servers.Get(ctx, c, stuck).Extract()
			Expect(err).NotTo(HaveOccurred())
			return s.Status
		}).WithTimeout(400 * time.Millisecond).Should(Equal("BUILD"))
		for _, p := range sim.Ports() {
			if p.Name == "failed" {
				Expect(p.DeviceID).To(BeEmpty(), "a failed build unbinds its port")
			}
		}
	})

	It("accepts faults, quotas and counter resets over its admin HTTP endpoint", func(ctx SpecContext) {
		resp, err := http.Post(sim.URL()+"/_sim/faults", "application/json",
			strings.NewReader(`{"service":"compute","kind":"ratelimit","retryAfter":"1s","count":1}`))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusCreated))
		token := tokenOf(ctx, sim)
		code, _ := rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil, nil)
		Expect(code).To(Equal(429))

		resp, err = http.Get(sim.URL() + "/_sim/counts")
		Expect(err).NotTo(HaveOccurred())
		var counts struct {
			Total  int
			Routes map[string]int
		}
		Expect(json.NewDecoder(resp.Body).Decode(&counts)).To(Succeed())
		resp.Body.Close()
		Expect(counts.Routes).To(HaveKeyWithValue("compute GET /servers", 1))
		Expect(counts.Routes).To(HaveKeyWithValue("identity POST /v3/auth/tokens", 1))
	})
})

func mustNetwork(ctx context.Context, sim *ossim.Sim) *gophercloud.ServiceClient {
	provider, err := openstack.AuthenticatedClient(ctx, passwordAuth(sim))
	Expect(err).NotTo(HaveOccurred())
	c, err := openstack.NewNetworkV2(provider, gophercloud.EndpointOpts{Region: sim.Seed().Region})
	Expect(err).NotTo(HaveOccurred())
	return c
}
