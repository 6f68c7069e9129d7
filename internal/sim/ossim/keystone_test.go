package ossim_test

import (
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("Keystone", func() {
	It("authenticates with a password, by user name and domain or by user ID", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		for _, opts := range []gophercloud.AuthOptions{
			passwordAuth(sim),
			{IdentityEndpoint: sim.AuthURL(), Username: seed.Username, Password: seed.Password, DomainID: seed.DomainID,
				Scope: &gophercloud.AuthScope{ProjectName: seed.ProjectName, DomainID: seed.DomainID}},
			{IdentityEndpoint: sim.AuthURL(), UserID: seed.UserID, Password: seed.Password, Scope: &gophercloud.AuthScope{ProjectID: seed.ProjectID}},
		} {
			_, err := openstack.AuthenticatedClient(ctx, opts)
			Expect(err).NotTo(HaveOccurred())
		}
	})

	It("answers 201 with X-Subject-Token and a token body with the catalog", func() {
		sim := startSim(nil)
		seed := sim.Seed()
		r := rawRequest(sim, "POST", "/identity/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
				"name": seed.Username, "domain": map[string]any{"name": "Default"}, "password": seed.Password}}},
			"scope": map[string]any{"project": map[string]any{"id": seed.ProjectID}}}})
		Expect(r.code).To(Equal(http.StatusCreated))
		Expect(r.header.Get("X-Subject-Token")).NotTo(BeEmpty())
		var body struct {
			Token struct {
				Methods   []string
				ExpiresAt string `json:"expires_at"`
				IssuedAt  string `json:"issued_at"`
				User      struct{ ID, Name string }
				Project   struct{ ID, Name string }
				Roles     []struct{ Name string }
				Catalog   []struct {
					Type      string
					Endpoints []struct{ Interface, Region, RegionID, URL string }
				}
			}
		}
		r.decode(&body)
		Expect(body.Token.Methods).To(Equal([]string{"password"}))
		Expect(body.Token.User.ID).To(Equal(seed.UserID))
		Expect(body.Token.Project.ID).To(Equal(seed.ProjectID))
		Expect(body.Token.Roles).To(ContainElement(HaveField("Name", "member")))
		expires, err := time.Parse("2006-01-02T15:04:05.000000Z", body.Token.ExpiresAt)
		Expect(err).NotTo(HaveOccurred())
		Expect(time.Until(expires)).To(BeNumerically("~", time.Hour, time.Minute))
		var types []string
		for _, e := range body.Token.Catalog {
			types = append(types, e.Type)
			Expect(e.Endpoints).To(HaveLen(3))
		}
		Expect(types).To(ConsistOf("identity", "compute", "network", "image", "volumev3", "block-storage"))
	})

	It("authenticates with an application credential, by ID or by name and user", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		byID := gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), ApplicationCredentialID: seed.AppCredID, ApplicationCredentialSecret: seed.AppCredSecret}
		p, err := openstack.AuthenticatedClient(ctx, byID)
		Expect(err).NotTo(HaveOccurred())
		c, err := openstack.NewComputeV2(p, gophercloud.EndpointOpts{})
		Expect(err).NotTo(HaveOccurred())
		_, err = servers.List(c, nil).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred(), "scoped to the credential's project")

		byName := gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), ApplicationCredentialName: seed.AppCredName,
			ApplicationCredentialSecret: seed.AppCredSecret, Username: seed.Username, DomainName: seed.DomainName}
		_, err = openstack.AuthenticatedClient(ctx, byName)
		Expect(err).NotTo(HaveOccurred())

		byID.ApplicationCredentialSecret = "wrong"
		_, err = openstack.AuthenticatedClient(ctx, byID)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)).To(BeTrue())
	})

	It("re-scopes a token with the token method, keeping its expiry", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		provider, err := openstack.AuthenticatedClient(ctx, passwordAuth(sim))
		Expect(err).NotTo(HaveOccurred())
		byToken := gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), TokenID: provider.Token(), Scope: &gophercloud.AuthScope{ProjectID: seed.ProjectID}}
		p2, err := openstack.AuthenticatedClient(ctx, byToken)
		Expect(err).NotTo(HaveOccurred())
		Expect(p2.Token()).NotTo(Equal(provider.Token()))

		id, err := openstack.NewIdentityV3(p2, gophercloud.EndpointOpts{})
		Expect(err).NotTo(HaveOccurred())
		first, err := tokens.Get(ctx, id, provider.Token()).ExtractToken()
		Expect(err).NotTo(HaveOccurred())
		second, err := tokens.Get(ctx, id, p2.Token()).ExtractToken()
		Expect(err).NotTo(HaveOccurred())
		Expect(second.ExpiresAt).To(Equal(first.ExpiresAt))

		byToken.TokenID = "gAAAAAnope"
		_, err = openstack.AuthenticatedClient(ctx, byToken)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusNotFound)).To(BeTrue(), "Keystone answers 404 for an unknown token")
	})

	It("rejects a wrong password with Keystone's exact 401", func() {
		sim := startSim(nil)
		seed := sim.Seed()
		r := rawRequest(sim, "POST", "/identity/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
				"name": seed.Username, "domain": map[string]any{"id": "default"}, "password": "nope"}}}}})
		Expect(r.code).To(Equal(http.StatusUnauthorized))
		Expect(r.body).To(MatchJSON(`{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`))
	})

	It("refuses a project the user has no role on, and scopes to the default project when none is asked", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		opts := passwordAuth(sim)
		opts.Scope = &gophercloud.AuthScope{ProjectID: seed.OtherProjectID}
		_, err := openstack.AuthenticatedClient(ctx, opts)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)).To(BeTrue())

		opts.Scope = nil
		opts.TenantName, opts.TenantID = "", ""
		p, err := openstack.AuthenticatedClient(ctx, opts)
		Expect(err).NotTo(HaveOccurred())
		_, err = openstack.NewComputeV2(p, gophercloud.EndpointOpts{})
		Expect(err).NotTo(HaveOccurred(), "a default-project token has a catalog")
	})

	It("expires tokens: the 401 makes gophercloud re-authenticate once and retry", func(ctx SpecContext) {
		sim := startSim(func(o *ossim.Options) { o.TokenTTL = 200 * time.Millisecond })
		c := newServices(ctx, sim, passwordAuth(sim), "2.67")
		_, err := servers.List(c.compute, nil).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(300 * time.Millisecond)
		_, err = servers.List(c.compute, nil).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(sim.Counts().Get("identity POST /v3/auth/tokens")).To(Equal(2))
		Expect(sim.Counts().Get("compute GET /servers/detail")).To(Equal(3), "one 401, then the retry")
	})

	It("revokes tokens: requests with a revoked token get 401", func(ctx SpecContext) {
		sim := startSim(nil)
		token := tokenOf(ctx, sim)
		Expect(rawRequest(sim, "GET", "/compute/v2.1/flavors", token, nil).code).To(Equal(http.StatusOK))
		r := rawRequest(sim, "DELETE", "/identity/v3/auth/tokens", token, nil, "X-Subject-Token", token)
		Expect(r.code).To(Equal(http.StatusNoContent))
		Expect(rawRequest(sim, "GET", "/compute/v2.1/flavors", token, nil).code).To(Equal(http.StatusUnauthorized))
		Expect(rawRequest(sim, "GET", "/identity/v3/auth/tokens", tokenOf(ctx, sim), nil, "X-Subject-Token", token).code).To(Equal(http.StatusNotFound))
	})

	It("answers a missing or bad token with keystonemiddleware's 401 on every service", func() {
		sim := startSim(nil)
		paths := []string{"/compute/v2.1/servers", "/network/v2.0/ports", "/image/v2/images",
			"/volume/v3/" + sim.Seed().ProjectID + "/volumes", "/identity/v3/auth/catalog"}
		for _, path := range paths {
			for _, token := range []string{"", "gAAAAAbogus"} {
				r := rawRequest(sim, "GET", path, token, nil)
				Expect(r.code).To(Equal(http.StatusUnauthorized), path)
				Expect(r.body).To(MatchJSON(`{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`))
				Expect(r.header.Get("WWW-Authenticate")).To(Equal(`Keystone uri="` + sim.URL() + `/identity"`))
			}
		}
	})
})
