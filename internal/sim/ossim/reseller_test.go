package ossim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// resellerLogin posts the OAuth2 password form and returns the answer.
func resellerLogin(sim *ossim.Sim, form url.Values) response {
	resp, err := http.Post(sim.ResellerEndpoint()+"/api/v1/auth/login/access-token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return response{code: resp.StatusCode, body: string(b), header: resp.Header}
}

// resellerToken logs in with the seeded reseller account.
func resellerToken(sim *ossim.Sim) string {
	seed := sim.Seed()
	r := resellerLogin(sim, url.Values{"grant_type": {""}, "username": {seed.ResellerUsername}, "password": {seed.ResellerPassword}})
	ExpectWithOffset(1, r.code).To(Equal(http.StatusOK), r.body)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	r.decode(&tok)
	ExpectWithOffset(1, tok.TokenType).To(Equal("bearer"))
	return tok.AccessToken
}

// reseller sends a request to the Reseller API with a bearer token; body may be a string (sent
// as is) or any value (JSON).
func reseller(sim *ossim.Sim, method, path, token string, body any) response {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		Expect(err).NotTo(HaveOccurred())
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, sim.ResellerEndpoint()+path, r)
	Expect(err).NotTo(HaveOccurred())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return response{code: resp.StatusCode, body: string(b), header: resp.Header}
}

// envelope is the Reseller API's wrapper.
type envelope struct {
	Status  int             `json:"status"`
	Data    json.RawMessage `json:"data"`
	Message string          `json:"message"`
}

func unwrap(r response, code int, data any) {
	ExpectWithOffset(1, r.code).To(Equal(code), r.body)
	var env envelope
	r.decode(&env)
	ExpectWithOffset(1, env.Status).To(Equal(code))
	ExpectWithOffset(1, env.Message).NotTo(BeEmpty())
	if data != nil {
		ExpectWithOffset(1, json.Unmarshal(env.Data, data)).To(Succeed())
	}
}

type rProject struct {
	ID, Name, Description string
	Enabled               bool
	NetworkPreconfigure   bool `json:"network_preconfigure"`
}

type rUser struct {
	ID, Name, Description string
	DefaultProject        *string `json:"default_project"`
	Enabled               bool
}

func createProject(sim *ossim.Sim, token, name string) rProject {
	var p rProject
	unwrap(reseller(sim, "POST", "/api/v1/project/", token, map[string]any{"name": name, "description": "made by a test"}), http.StatusCreated, &p)
	return p
}

func createUser(sim *ossim.Sim, token, name, password string) rUser {
	var u rUser
	unwrap(reseller(sim, "POST", "/api/v1/user/", token, map[string]any{"name": name, "description": "test user", "password": password}), http.StatusCreated, &u)
	return u
}

var _ = Describe("Reseller API", func() {
	It("logs in with the OAuth2 password form and refuses bad credentials and missing fields", func() {
		sim := startSim(nil)
		seed := sim.Seed()
		Expect(resellerToken(sim)).To(HavePrefix("eyJ"))

		r := resellerLogin(sim, url.Values{"username": {seed.ResellerUsername}, "password": {"nope"}})
		Expect(r.code).To(Equal(http.StatusUnauthorized))
		Expect(r.body).To(MatchJSON(`{"detail":"Incorrect username or password"}`))
		Expect(resellerLogin(sim, url.Values{"username": {seed.Username}, "password": {seed.Password}}).code).To(Equal(http.StatusUnauthorized), "Keystone users are no reseller accounts")

		r = resellerLogin(sim, url.Values{"username": {seed.ResellerUsername}})
		Expect(r.code).To(Equal(http.StatusUnprocessableEntity))
		Expect(r.body).To(MatchJSON(`{"detail":[{"loc":["body","password"],"msg":"field required","type":"value_error.missing"}]}`))
		r = resellerLogin(sim, url.Values{"grant_type": {"client_credentials"}, "username": {"a"}, "password": {"b"}})
		Expect(r.code).To(Equal(http.StatusUnprocessableEntity))
		Expect(r.body).To(ContainSubstring(`"loc":["body","grant_type"]`))
	})

	It("answers test-token with the VaultUser and refuses missing, bad and expired tokens", func() {
		sim := startSim(func(o *ossim.Options) { o.ResellerTokenTTL = time.Second }) // long enough for the first requests on a loaded machine
		seed := sim.Seed()
		token := resellerToken(sim)
		r := reseller(sim, "POST", "/api/v1/auth/login/test-token", token, nil)
		Expect(r.code).To(Equal(http.StatusOK))
		Expect(r.body).To(MatchJSON(`{"domain_id":"` + seed.ResellerDomainID + `","project_prefix":"` + seed.ResellerDomain + `","username":"` + seed.ResellerUsername + `"}`))
		Expect(seed.ResellerDomain).NotTo(ContainSubstring("-"))
		Expect(seed.ResellerDomainID).To(MatchRegexp(`^[0-9a-f]{32}$`))

		for _, tok := range []string{"", "eyJbogus"} {
			r = reseller(sim, "GET", "/api/v1/project/", tok, nil)
			Expect(r.code).To(Equal(http.StatusUnauthorized))
			Expect(r.body).To(MatchJSON(`{"detail":"Could not validate credentials"}`))
			Expect(r.header.Get("WWW-Authenticate")).To(Equal("Bearer"))
		}
		Expect(reseller(sim, "GET", "/api/v1/project/", token, nil).code).To(Equal(http.StatusOK))
		time.Sleep(1100 * time.Millisecond)
		Expect(reseller(sim, "GET", "/api/v1/project/", token, nil).code).To(Equal(http.StatusUnauthorized), "expired")
		Expect(reseller(sim, "GET", "/api/v1/project/", resellerToken(sim), nil).code).To(Equal(http.StatusOK), "a new login works")
	})

	It("creates, lists, gets, updates and deletes projects in the reseller domain", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		token := resellerToken(sim)

		var list []rProject
		unwrap(reseller(sim, "GET", "/api/v1/project/", token, nil), http.StatusOK, &list)
		Expect(list).To(BeEmpty(), "the seeded projects are in another domain")

		r := reseller(sim, "POST", "/api/v1/project/", token, map[string]any{"name": "abc-ns-proj_1", "description": "Generated by PCO Reseller Operator", "network_preconfigure": true})
		Expect(r.code).To(Equal(http.StatusCreated))
		var env map[string]any
		r.decode(&env)
		Expect(env).To(HaveKeyWithValue("status", BeEquivalentTo(201)))
		Expect(env).To(HaveKey("message"))
		var p rProject
		unwrap(r, http.StatusCreated, &p)
		Expect(p.ID).To(MatchRegexp(`^[0-9a-f]{32}$`))
		Expect(p.Name).To(Equal(seed.ResellerDomain + "-abc-ns-proj_1"))
		Expect(p.Enabled).To(BeTrue())
		Expect(p.NetworkPreconfigure).To(BeTrue())

		r = reseller(sim, "POST", "/api/v1/project/", token, map[string]any{"name": "abc-ns-proj_1", "description": "again"})
		Expect(r.code).To(Equal(http.StatusConflict))
		Expect(r.body).To(MatchJSON(`{"status":409,"data":null,"message":"Project with name ` + p.Name + ` already exists"}`))

		unwrap(reseller(sim, "GET", "/api/v1/project/", token, nil), http.StatusOK, &list)
		Expect(list).To(ConsistOf(p))
		var got rProject
		unwrap(reseller(sim, "GET", "/api/v1/project/"+p.ID, token, nil), http.StatusOK, &got)
		Expect(got).To(Equal(p))

		unwrap(reseller(sim, "PUT", "/api/v1/project/"+p.ID, token, map[string]any{"description": "new words", "enabled": false}), http.StatusOK, &got)
		Expect(got.Description).To(Equal("new words"))
		Expect(got.Enabled).To(BeFalse())
		Expect(got.Name).To(Equal(p.Name))
		unwrap(reseller(sim, "PUT", "/api/v1/project/"+p.ID, token, map[string]any{"name": "renamed", "enabled": true}), http.StatusOK, &got)
		Expect(got.Name).To(Equal(seed.ResellerDomain + "-renamed"))
		unwrap(reseller(sim, "PUT", "/api/v1/project/"+p.ID, token, map[string]any{"name": got.Name}), http.StatusOK, &got)
		Expect(got.Name).To(Equal(seed.ResellerDomain+"-renamed"), "a prefixed name is not prefixed again")
		Expect(sim.ResellerProjects()).To(ConsistOf(HaveField("Name", got.Name)))

		// A Keystone project of the reseller domain.
		u := createUser(sim, token, "someone@abc.k8s", "pw-123456")
		unwrap(reseller(sim, "POST", "/api/v1/project/"+p.ID+"/user/"+u.ID, token, nil), http.StatusOK, nil)
		provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), Username: u.Name,
			Password: "pw-123456", DomainName: seed.ResellerDomain, Scope: &gophercloud.AuthScope{ProjectName: got.Name, DomainName: seed.ResellerDomain}})
		Expect(err).NotTo(HaveOccurred())
		id, err := openstack.NewIdentityV3(provider, gophercloud.EndpointOpts{})
		Expect(err).NotTo(HaveOccurred())
		kp, err := projects.Get(ctx, id, p.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(kp.DomainID).To(Equal(seed.ResellerDomainID))
		Expect(kp.Name).To(Equal(got.Name))
		Expect(kp.Description).To(Equal("new words"))

		Expect(reseller(sim, "DELETE", "/api/v1/project/"+p.ID, token, nil).code).To(Equal(http.StatusNoContent))
		r = reseller(sim, "GET", "/api/v1/project/"+p.ID, token, nil)
		Expect(r.code).To(Equal(http.StatusNotFound))
		Expect(r.body).To(MatchJSON(`{"status":404,"data":null,"message":"Project not found"}`))
		Expect(reseller(sim, "DELETE", "/api/v1/project/"+p.ID, token, nil).code).To(Equal(http.StatusNotFound))
		Expect(reseller(sim, "PUT", "/api/v1/project/"+p.ID, token, map[string]any{}).code).To(Equal(http.StatusNotFound))
		Expect(reseller(sim, "GET", "/api/v1/project/"+seed.ProjectID, token, nil).code).To(Equal(http.StatusNotFound), "other domains' projects do not exist here")
		_, err = tokens.Get(ctx, id, provider.Token()).Extract()
		Expect(err).To(HaveOccurred(), "tokens on a deleted project are revoked")
	})

	It("validates bodies with FastAPI's 422", func() {
		sim := startSim(nil)
		token := resellerToken(sim)
		r := reseller(sim, "POST", "/api/v1/project/", token, map[string]any{"name": "ok", "description": "no, punctuation!"})
		Expect(r.code).To(Equal(http.StatusUnprocessableEntity))
		Expect(r.body).To(MatchJSON(`{"detail":[{"loc":["body","description"],"msg":"string does not match regex \"^[\\w-]+(?: +[\\w-]+)*$\"","type":"value_error.str.regex","ctx":{"pattern":"^[\\w-]+(?: +[\\w-]+)*$"}}]}`))

		r = reseller(sim, "POST", "/api/v1/project/", token, map[string]any{"name": "has space", "enabled": "maybe"})
		Expect(r.code).To(Equal(http.StatusUnprocessableEntity))
		var body struct {
			Detail []struct {
				Loc  []any
				Msg  string
				Type string
			}
		}
		r.decode(&body)
		Expect(body.Detail).To(ConsistOf(
			And(HaveField("Loc", Equal([]any{"body", "name"})), HaveField("Type", "value_error.str.regex")),
			And(HaveField("Loc", Equal([]any{"body", "description"})), HaveField("Type", "value_error.missing")),
			And(HaveField("Loc", Equal([]any{"body", "enabled"})), HaveField("Type", "type_error.bool")),
		))

		r = reseller(sim, "POST", "/api/v1/project/", token, map[string]any{"name": "x", "description": strings.Repeat("a", 255)})
		Expect(r.body).To(ContainSubstring("value_error.any_str.max_length"))
		Expect(reseller(sim, "POST", "/api/v1/project/", token, "{not json").code).To(Equal(http.StatusUnprocessableEntity))
		Expect(reseller(sim, "POST", "/api/v1/project/", token, "[]").body).To(ContainSubstring("type_error.dict"))
		Expect(reseller(sim, "POST", "/api/v1/project/", token, "").body).To(ContainSubstring("value_error.missing"))

		r = reseller(sim, "POST", "/api/v1/user/", token, map[string]any{"name": "not-an-email", "description": "d", "password": "p", "default_project": "xyz"})
		Expect(r.code).To(Equal(http.StatusUnprocessableEntity))
		Expect(r.body).To(ContainSubstring("value_error.email"))
		Expect(r.body).To(ContainSubstring(`"loc":["body","default_project"]`))
		r = reseller(sim, "POST", "/api/v1/user/", token, map[string]any{"name": "a@b.c", "description": "d", "password": strings.Repeat("p", 255)})
		Expect(r.body).To(ContainSubstring(`"loc":["body","password"]`))
		Expect(sim.ResellerProjects()).To(BeEmpty())
		Expect(sim.ResellerUsers()).To(BeEmpty())
	})

	It("manages users: create, 409 on a taken name, get, update, delete", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		token := resellerToken(sim)
		p := createProject(sim, token, "p1")

		var u rUser
		r := reseller(sim, "POST", "/api/v1/user/", token, map[string]any{"name": "alice-ns@abcdef.k8s", "description": "Generated by PCO Reseller Operator",
			"password": "Secret123", "default_project": p.ID})
		unwrap(r, http.StatusCreated, &u)
		Expect(r.body).NotTo(ContainSubstring("Secret123"))
		Expect(u.ID).To(MatchRegexp(`^[0-9a-f]{32}$`))
		Expect(u.Enabled).To(BeTrue())
		Expect(*u.DefaultProject).To(Equal(p.ID))

		r = reseller(sim, "POST", "/api/v1/user/", token, map[string]any{"name": u.Name, "description": "again", "password": "x"})
		Expect(r.code).To(Equal(http.StatusConflict))
		Expect(r.body).To(ContainSubstring(`"data":null`))
		Expect(reseller(sim, "POST", "/api/v1/user/", token, map[string]any{"name": "b@c.de", "description": "d", "password": "x",
			"default_project": strings.Repeat("0", 32)}).code).To(Equal(http.StatusNotFound))

		var list []rUser
		unwrap(reseller(sim, "GET", "/api/v1/user/", token, nil), http.StatusOK, &list)
		Expect(list).To(ConsistOf(u))
		var got rUser
		unwrap(reseller(sim, "GET", "/api/v1/user/"+u.ID, token, nil), http.StatusOK, &got)
		Expect(got).To(Equal(u))

		// The default project grants no role; the password works once the user is a member.
		auth := gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), UserID: u.ID, Password: "Secret123", Scope: &gophercloud.AuthScope{ProjectID: p.ID}}
		_, err := openstack.AuthenticatedClient(ctx, auth)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)).To(BeTrue())
		unwrap(reseller(sim, "POST", "/api/v1/project/"+p.ID+"/user/"+u.ID, token, nil), http.StatusOK, nil)
		_, err = openstack.AuthenticatedClient(ctx, auth)
		Expect(err).NotTo(HaveOccurred())

		unwrap(reseller(sim, "PUT", "/api/v1/user/"+u.ID, token, map[string]any{"password": "Other456", "description": "changed"}), http.StatusOK, &got)
		Expect(got.Description).To(Equal("changed"))
		_, err = openstack.AuthenticatedClient(ctx, auth)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)).To(BeTrue(), "the old password is gone")
		auth.Password = "Other456"
		_, err = openstack.AuthenticatedClient(ctx, auth)
		Expect(err).NotTo(HaveOccurred())

		unwrap(reseller(sim, "PUT", "/api/v1/user/"+u.ID, token, map[string]any{"enabled": false}), http.StatusOK, &got)
		Expect(got.Enabled).To(BeFalse())
		_, err = openstack.AuthenticatedClient(ctx, auth)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)).To(BeTrue(), "a disabled user gets 401")
		Expect(sim.ResellerUsers()).To(ConsistOf(And(HaveField("Enabled", false), HaveField("Projects", []string{p.ID}))))
		unwrap(reseller(sim, "PUT", "/api/v1/user/"+u.ID, token, map[string]any{"enabled": true}), http.StatusOK, &got)

		Expect(reseller(sim, "DELETE", "/api/v1/user/"+u.ID, token, nil).code).To(Equal(http.StatusNoContent))
		_, err = openstack.AuthenticatedClient(ctx, auth)
		Expect(gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)).To(BeTrue())
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			Expect(reseller(sim, m, "/api/v1/user/"+u.ID, token, map[string]any{}).code).To(Equal(http.StatusNotFound), m)
		}
		Expect(reseller(sim, "GET", "/api/v1/user/"+seed.UserID, token, nil).code).To(Equal(http.StatusNotFound))
	})

	It("adds, lists and removes project members", func() {
		sim := startSim(nil)
		token := resellerToken(sim)
		p := createProject(sim, token, "members")
		u := createUser(sim, token, "m@example.com", "pw")
		var members []map[string]string
		unwrap(reseller(sim, "GET", "/api/v1/project/"+p.ID+"/user", token, nil), http.StatusOK, &members)
		Expect(members).To(BeEmpty())
		var added map[string]string
		unwrap(reseller(sim, "POST", "/api/v1/project/"+p.ID+"/user/"+u.ID, token, nil), http.StatusOK, &added)
		Expect(added).To(Equal(map[string]string{"project": p.ID, "user": u.ID}))
		unwrap(reseller(sim, "POST", "/api/v1/project/"+p.ID+"/user/"+u.ID, token, nil), http.StatusOK, nil)
		unwrap(reseller(sim, "GET", "/api/v1/project/"+p.ID+"/user", token, nil), http.StatusOK, &members)
		Expect(members).To(Equal([]map[string]string{{"project": p.ID, "user": u.ID}}))
		Expect(sim.ResellerProjects()[0].Members).To(Equal([]string{u.ID}))

		Expect(reseller(sim, "POST", "/api/v1/project/"+p.ID+"/user/"+strings.Repeat("a", 32), token, nil).code).To(Equal(http.StatusNotFound))
		Expect(reseller(sim, "POST", "/api/v1/project/"+strings.Repeat("a", 32)+"/user/"+u.ID, token, nil).code).To(Equal(http.StatusNotFound))
		Expect(reseller(sim, "GET", "/api/v1/project/"+strings.Repeat("a", 32)+"/user", token, nil).code).To(Equal(http.StatusNotFound))
		Expect(reseller(sim, "DELETE", "/api/v1/project/"+p.ID+"/user/"+u.ID, token, nil).code).To(Equal(http.StatusNoContent))
		Expect(reseller(sim, "DELETE", "/api/v1/project/"+p.ID+"/user/"+u.ID, token, nil).code).To(Equal(http.StatusNotFound), "no longer a member")
		unwrap(reseller(sim, "GET", "/api/v1/project/"+p.ID+"/user", token, nil), http.StatusOK, &members)
		Expect(members).To(BeEmpty())
	})

	It("stores quotas and feeds the compute ones to Nova's quota enforcement", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		token := resellerToken(sim)
		p := createProject(sim, token, "quota")
		var q map[string]map[string]int64
		unwrap(reseller(sim, "GET", "/api/v1/project/"+p.ID+"/quota", token, nil), http.StatusOK, &q)
		Expect(q["compute"]).To(HaveKeyWithValue("instances", BeEquivalentTo(10)), "OpenStack's defaults")
		Expect(q).To(HaveKey("network"))
		Expect(q).To(HaveKey("volume"))

		put := map[string]any{"compute": map[string]any{"instances": 1, "cores": 2, "ram": 4096, "key_pairs": 5, "metadata_items": 10, "server_groups": 2},
			"volume": map[string]any{"volumes": 3, "gigabytes": 100, "backups": 0, "backup_gigabytes": 0}}
		unwrap(reseller(sim, "PUT", "/api/v1/project/"+p.ID+"/quota", token, put), http.StatusOK, &q)
		Expect(q["compute"]).To(And(HaveKeyWithValue("instances", BeEquivalentTo(1)), HaveKeyWithValue("ram", BeEquivalentTo(4096))))
		Expect(q["volume"]).To(HaveKeyWithValue("gigabytes", BeEquivalentTo(100)))
		Expect(q["network"]).To(HaveKeyWithValue("port", BeEquivalentTo(500)), "sections not given stay")
		unwrap(reseller(sim, "GET", "/api/v1/project/"+p.ID+"/quota", token, nil), http.StatusOK, &q)
		Expect(q["compute"]).To(HaveKeyWithValue("cores", BeEquivalentTo(2)))

		r := reseller(sim, "PUT", "/api/v1/project/"+p.ID+"/quota", token, map[string]any{"compute": map[string]any{"instances": "many", "cores": 1}})
		Expect(r.code).To(Equal(http.StatusUnprocessableEntity))
		Expect(r.body).To(ContainSubstring(`{"loc":["body","compute","instances"],"msg":"value is not a valid integer","type":"type_error.integer"}`))
		Expect(r.body).To(ContainSubstring(`"loc":["body","compute","key_pairs"]`))
		Expect(reseller(sim, "PUT", "/api/v1/project/"+strings.Repeat("a", 32)+"/quota", token, put).code).To(Equal(http.StatusNotFound))

		// Nova enforces it: a 4-core flavor exceeds 2 cores.
		u := createUser(sim, token, "q@example.com", "pw")
		unwrap(reseller(sim, "POST", "/api/v1/project/"+p.ID+"/user/"+u.ID, token, nil), http.StatusOK, nil)
		c := newServices(ctx, sim, gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), UserID: u.ID, Password: "pw", Scope: &gophercloud.AuthScope{ProjectID: p.ID}}, "2.67")
		_, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "big", FlavorRef: seed.Flavors["SCS-4V-16-50s"], ImageRef: seed.ImageID,
			Networks: []servers.Network{{UUID: seed.SharedNetworkID}}}, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusForbidden)).To(BeTrue(), "%v", err)
		Expect(errorBody(err)).To(ContainSubstring("cores"))
	})

	It("lets a user made through it boot a server on the shared network", func(ctx SpecContext) {
		sim := startSim(nil)
		seed := sim.Seed()
		token := resellerToken(sim)
		p := createProject(sim, token, "boot")
		u := createUser(sim, token, "worker-ns@abcdef.k8s", "Boot-pw-1")
		unwrap(reseller(sim, "POST", "/api/v1/project/"+p.ID+"/user/"+u.ID, token, nil), http.StatusOK, nil)

		auth := gophercloud.AuthOptions{IdentityEndpoint: sim.AuthURL(), Username: u.Name, Password: "Boot-pw-1", DomainName: seed.ResellerDomain,
			Scope: &gophercloud.AuthScope{ProjectID: p.ID}}
		c := newServices(ctx, sim, auth, "2.67")
		srv, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "node-1", FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID,
			Networks: []servers.Network{{UUID: seed.SharedNetworkID}}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		eventually(func() string {
			s, err := servers.Get(ctx, c.compute, srv.ID).Extract()
			Expect(err).NotTo(HaveOccurred())
			return s.Status
		}).Should(Equal("ACTIVE"))
		s, err := servers.Get(ctx, c.compute, srv.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.TenantID).To(Equal(p.ID))
		Expect(s.Addresses).To(HaveKey(seed.SharedNetworkName))

		// Without networks Nova picks the shared one: the project has none of its own.
		srv2, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "node-2", FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID, Networks: "auto"}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(srv2.ID).NotTo(BeEmpty())

		// Keystone lists the project among the user's.
		r := rawRequest(sim, "GET", "/identity/v3/auth/projects", c.provider.Token(), nil)
		Expect(r.code).To(Equal(http.StatusOK))
		Expect(r.body).To(ContainSubstring(p.ID))
	})

	It("redirects a missing trailing slash, answers 405 and 404 in the envelope", func() {
		sim := startSim(nil)
		token := resellerToken(sim)
		r := reseller(sim, "GET", "/api/v1/project", token, nil)
		Expect(r.code).To(Equal(http.StatusTemporaryRedirect))
		Expect(r.header.Get("Location")).To(Equal("/reseller/api/v1/project/"))
		r = reseller(sim, "PATCH", "/api/v1/project/"+strings.Repeat("a", 32), token, nil)
		Expect(r.code).To(Equal(http.StatusMethodNotAllowed))
		Expect(r.body).To(MatchJSON(`{"status":405,"data":null,"message":"Method Not Allowed"}`))
		r = reseller(sim, "GET", "/api/v1/nothing", token, nil)
		Expect(r.code).To(Equal(http.StatusNotFound))
		Expect(r.body).To(MatchJSON(`{"status":404,"data":null,"message":"Not Found"}`))
	})

	It("counts its requests and injects faults on the reseller service", func() {
		sim := startSim(nil)
		token := resellerToken(sim)
		reseller(sim, "GET", "/api/v1/project/", token, nil)
		reseller(sim, "GET", "/api/v1/project/", token, nil)
		c := sim.Counts()
		Expect(c.Get("reseller POST /api/v1/auth/login/access-token")).To(Equal(1))
		Expect(c.Get("reseller GET /api/v1/project/")).To(Equal(2))
		Expect(c.Service("reseller")).To(Equal(3))

		sim.InjectFault(ossim.Fault{Service: "reseller", Method: "POST", Path: "^/api/v1/project/$", Kind: ossim.FaultError, Status: 503, Count: 1})
		r := reseller(sim, "POST", "/api/v1/project/", token, map[string]any{"name": "f", "description": "d"})
		Expect(r.code).To(Equal(http.StatusServiceUnavailable))
		Expect(r.body).To(MatchJSON(`{"status":503,"data":null,"message":"Injected fault: Service Unavailable"}`))
		Expect(sim.ResellerProjects()).To(BeEmpty())
		unwrap(reseller(sim, "POST", "/api/v1/project/", token, map[string]any{"name": "f", "description": "d"}), http.StatusCreated, nil)

		sim.InjectFault(ossim.Fault{Service: "reseller", Kind: ossim.FaultRateLimit, RetryAfter: 2 * time.Second, Count: 1})
		r = reseller(sim, "GET", "/api/v1/user/", token, nil)
		Expect(r.code).To(Equal(http.StatusTooManyRequests))
		Expect(r.header.Get("Retry-After")).To(Equal("2"))
	})
})
