package credentials_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// tokenRequest renders the body of the Keystone v3 token request gophercloud builds from c's
// AuthOptions, exactly as tokens.Create does.
func tokenRequest(c *credentials.Credentials) string {
	GinkgoHelper()
	opts := c.AuthOptions()
	scope, err := opts.ToTokenV3ScopeMap()
	Expect(err).NotTo(HaveOccurred())
	body, err := opts.ToTokenV3CreateMap(scope)
	Expect(err).NotTo(HaveOccurred())
	raw, err := json.Marshal(body)
	Expect(err).NotTo(HaveOccurred())
	return string(raw)
}

func parsed(d map[string][]byte) *credentials.Credentials {
	GinkgoHelper()
	c, errs := credentials.Parse(d)
	Expect(errs).To(BeEmpty())
	return c
}

var _ = Describe("AuthOptions", func() {
	It("sends the user's domain and the project's domain separately (the peer dropped userDomain*)", func() {
		c := parsed(data("authURL", authURL, "domainName", "projects", "tenantName", "shoot-project",
			"username", "mcm", "userDomainName", "users", "password", password))
		Expect(tokenRequest(c)).To(MatchJSON(`{"auth":{
			"identity":{"methods":["password"],"password":{"user":{"name":"mcm","password":"` + password + `","domain":{"name":"users"}}}},
			"scope":{"project":{"name":"shoot-project","domain":{"name":"projects"}}}}}`))
	})

	It("uses tenantID and userDomainID (the peer dropped them)", func() {
		c := parsed(data("authURL", authURL, "domainID", "pd-1", "tenantID", "p-1",
			"username", "mcm", "userDomainID", "ud-1", "password", password))
		Expect(tokenRequest(c)).To(MatchJSON(`{"auth":{
			"identity":{"methods":["password"],"password":{"user":{"name":"mcm","password":"` + password + `","domain":{"id":"ud-1"}}}},
			"scope":{"project":{"id":"p-1"}}}}`))
	})

	It("falls back to the project's domain for the user, ID before name", func() {
		c := parsed(data("authURL", authURL, "domainName", "Default", "domainID", "default", "tenantName", "p",
			"username", "mcm", "password", password))
		Expect(tokenRequest(c)).To(MatchJSON(`{"auth":{
			"identity":{"methods":["password"],"password":{"user":{"name":"mcm","password":"` + password + `","domain":{"id":"default"}}}},
			"scope":{"project":{"name":"p","domain":{"id":"default"}}}}}`))
	})

	It("names the user by ID alone when userID is given, even next to a username", func() {
		c := parsed(data("authURL", authURL, "domainName", "Default", "tenantID", "p-1", "tenantName", "p",
			"username", "mcm", "userID", "u-1", "password", password))
		Expect(tokenRequest(c)).To(MatchJSON(`{"auth":{
			"identity":{"methods":["password"],"password":{"user":{"id":"u-1","password":"` + password + `"}}},
			"scope":{"project":{"id":"p-1"}}}}`))
	})

	It("sends an application credential by ID without scope or user", func() {
		c := parsed(with(appCredSecretData(), "domainName", "Default", "tenantName", "p", "username", "mcm"))
		Expect(tokenRequest(c)).To(MatchJSON(`{"auth":{"identity":{"methods":["application_credential"],
			"application_credential":{"id":"ac-id-1","secret":"` + appCredSecret + `"}}}}`))
	})

	It("sends an application credential by name with the user and the user's domain", func() {
		c := parsed(data("authURL", authURL, "applicationCredentialName", "mcm-cred", "username", "mcm",
			"domainName", "projects", "userDomainName", "users", "applicationCredentialSecret", appCredSecret))
		Expect(tokenRequest(c)).To(MatchJSON(`{"auth":{"identity":{"methods":["application_credential"],
			"application_credential":{"name":"mcm-cred","secret":"` + appCredSecret + `","user":{"name":"mcm","domain":{"name":"users"}}}}}}`))
	})

	It("sends an application credential by name with a user ID", func() {
		c := parsed(data("authURL", authURL, "applicationCredentialName", "mcm-cred", "userID", "u-1",
			"applicationCredentialSecret", appCredSecret))
		Expect(tokenRequest(c)).To(MatchJSON(`{"auth":{"identity":{"methods":["application_credential"],
			"application_credential":{"name":"mcm-cred","secret":"` + appCredSecret + `","user":{"id":"u-1"}}}}}`))
	})

	It("sets the endpoint and allows re-authentication", func() {
		opts := parsed(passwordSecret()).AuthOptions()
		Expect(opts.IdentityEndpoint).To(Equal(authURL))
		Expect(opts.AllowReauth).To(BeTrue())
	})

	It("is what goes over the wire to Keystone", func() {
		var sent []byte
		keystone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer GinkgoRecover()
			Expect(r.Method).To(Equal(http.MethodPost))
			Expect(r.URL.Path).To(Equal("/v3/auth/tokens"))
			sent, _ = io.ReadAll(r.Body)
			w.Header().Set("X-Subject-Token", "t")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"token":{"expires_at":"2030-01-01T00:00:00Z"}}`)
		}))
		defer keystone.Close()

		c := parsed(data("authURL", keystone.URL+"/v3", "domainName", "projects", "tenantName", "shoot-project",
			"username", "mcm", "userDomainID", "ud-1", "password", password))
		opts := c.AuthOptions()
		client := &gophercloud.ServiceClient{ProviderClient: &gophercloud.ProviderClient{}, Endpoint: keystone.URL + "/v3/"}
		Expect(tokens.Create(context.Background(), client, &opts).Err).NotTo(HaveOccurred())
		Expect(sent).To(MatchJSON(`{"auth":{
			"identity":{"methods":["password"],"password":{"user":{"name":"mcm","password":"` + password + `","domain":{"id":"ud-1"}}}},
			"scope":{"project":{"name":"shoot-project","domain":{"name":"projects"}}}}}`))
	})
})
