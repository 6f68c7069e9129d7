package credentials

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const (
	secretPassword = "pa55-w0rd-SECRET"
	secretAppCred  = "app-cred-SECRET"
)

func data(kv ...string) map[string][]byte {
	m := map[string][]byte{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return m
}

func passwordSecret() map[string][]byte {
	return data(KeyAuthURL, "https://keystone.example/v3", KeyDomainName, "Default", KeyTenantName, "demo",
		KeyUsername, "demo", KeyPassword, secretPassword+"\n", "userData", "#cloud-config")
}

func TestParseValid(t *testing.T) {
	cases := map[string]map[string][]byte{
		"password":                    passwordSecret(),
		"password with IDs":           data(KeyAuthURL, "https://k/v3", KeyDomainID, "default", KeyTenantID, "p1", KeyUserID, "u1", KeyPassword, secretPassword),
		"app credential by ID":        data(KeyAuthURL, "https://k/v3", KeyApplicationCredentialID, "ac1", KeyApplicationCredentialSecret, secretAppCred),
		"app credential by name+user": data(KeyAuthURL, "https://k/v3", KeyApplicationCredentialName, "ac", KeyUsername, "demo", KeyDomainName, "Default", KeyApplicationCredentialSecret, secretAppCred),
		"user domain differs":         data(KeyAuthURL, "https://k/v3", KeyDomainName, "projects", KeyTenantName, "demo", KeyUsername, "demo", KeyUserDomainName, "users", KeyPassword, secretPassword),
		"insecure":                    data(KeyAuthURL, "https://k/v3", KeyDomainName, "D", KeyTenantName, "p", KeyUsername, "u", KeyPassword, secretPassword, KeyInsecure, "true"),
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) {
			if _, errs := Parse(d); len(errs) > 0 {
				t.Fatalf("unexpected errors: %v", errs)
			}
		})
	}
}

func TestParseInvalidNamesKeysNotValues(t *testing.T) {
	cases := map[string]struct {
		data map[string][]byte
		keys []string
	}{
		"empty":                 {data(), []string{KeyAuthURL, KeyPassword, KeyApplicationCredentialSecret}},
		"both secrets":          {data(KeyAuthURL, "https://k/v3", KeyUsername, "u", KeyPassword, secretPassword, KeyApplicationCredentialSecret, secretAppCred, KeyApplicationCredentialID, "x"), []string{KeyPassword, KeyApplicationCredentialSecret}},
		"password without user": {data(KeyAuthURL, "https://k/v3", KeyDomainName, "D", KeyTenantName, "p", KeyPassword, secretPassword), []string{KeyUsername}},
		"no project":            {data(KeyAuthURL, "https://k/v3", KeyDomainName, "D", KeyUsername, "u", KeyPassword, secretPassword), []string{KeyTenantName}},
		"no domain":             {data(KeyAuthURL, "https://k/v3", KeyTenantName, "p", KeyUsername, "u", KeyPassword, secretPassword), []string{KeyDomainName}},
		"app cred without id":   {data(KeyAuthURL, "https://k/v3", KeyApplicationCredentialSecret, secretAppCred), []string{KeyApplicationCredentialID}},
		"bad insecure":          {data(KeyAuthURL, "https://k/v3", KeyDomainName, "D", KeyTenantName, "p", KeyUsername, "u", KeyPassword, secretPassword, KeyInsecure, "yes-"+secretPassword), []string{KeyInsecure}},
		"cert without key":      {data(KeyAuthURL, "https://k/v3", KeyDomainName, "D", KeyTenantName, "p", KeyUsername, "u", KeyPassword, secretPassword, KeyClientCert, "x"), []string{KeyClientKey}},
		"not a URL":             {data(KeyAuthURL, "keystone:5000", KeyDomainName, "D", KeyTenantName, "p", KeyUsername, "u", KeyPassword, secretPassword), []string{KeyAuthURL}},
		"CA not PEM":            {data(KeyAuthURL, "https://k/v3", KeyDomainName, "D", KeyTenantName, "p", KeyUsername, "u", KeyPassword, secretPassword, KeyCACert, secretPassword), []string{KeyCACert}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, errs := Parse(tc.data)
			msg := errs.ToAggregate()
			if msg == nil {
				t.Fatal("expected errors")
			}
			for _, k := range tc.keys {
				if !strings.Contains(msg.Error(), "data["+k+"]") {
					t.Errorf("error does not name %s: %v", k, msg)
				}
			}
			if strings.Contains(msg.Error(), "SECRET") {
				t.Errorf("error leaks a secret: %v", msg)
			}
		})
	}
}

// authRequest renders the Keystone request gophercloud sends for c.
func authRequest(t *testing.T, c *Credentials) string {
	t.Helper()
	opts := c.AuthOptions()
	scope, err := opts.ToTokenV3ScopeMap()
	if err != nil {
		t.Fatal(err)
	}
	body, err := opts.ToTokenV3CreateMap(scope)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func TestAuthOptionsUseEveryKey(t *testing.T) {
	c, errs := Parse(data(KeyAuthURL, "https://k/v3", KeyDomainName, "projects", KeyTenantName, "demo",
		KeyUsername, "demo", KeyUserDomainName, "users", KeyPassword, secretPassword))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	req := authRequest(t, c)
	for _, want := range []string{`"user":{"domain":{"name":"users"}`, `"project":{"domain":{"name":"projects"},"name":"demo"}`} {
		if !strings.Contains(req, want) {
			t.Errorf("request %s lacks %s", req, want)
		}
	}

	c, _ = Parse(data(KeyAuthURL, "https://k/v3", KeyDomainID, "d-id", KeyTenantID, "p-id", KeyUsername, "demo", KeyUserDomainID, "ud-id", KeyPassword, secretPassword))
	req = authRequest(t, c)
	for _, want := range []string{`"domain":{"id":"ud-id"}`, `"project":{"id":"p-id"}`} {
		if !strings.Contains(req, want) {
			t.Errorf("request %s lacks %s (tenantID and userDomainID must be used)", req, want)
		}
	}
}

func TestRedaction(t *testing.T) {
	c, errs := Parse(data(KeyAuthURL, "https://k/v3", KeyApplicationCredentialID, "ac1", KeyApplicationCredentialSecret, secretAppCred))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	c.Password, c.ClientKey = secretPassword, []byte("KEY-SECRET")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for _, v := range []any{c, *c} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, "SECRET") {
				t.Errorf("%s prints a secret: %s", verb, out)
			}
		}
	}
	if strings.Contains(c.CacheKey(), "SECRET") || len(c.CacheKey()) != 64 {
		t.Error("cache key must be an opaque hash")
	}
	other := *c
	other.Password = "rotated"
	if other.CacheKey() == c.CacheKey() {
		t.Error("a rotated password must change the cache key")
	}
}

const cloudsYAML = `clouds:
  pco:
    auth:
      auth_url: https://keystone.example/v3
      username: demo
      password: ` + secretPassword + `
      project_name: demo
      project_domain_name: Default
      user_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
  other:
    auth:
      auth_url: https://other.example/v3
      application_credential_id: ac1
      application_credential_secret: ` + secretAppCred + `
    auth_type: v3applicationcredential
`

func TestCloudsYAML(t *testing.T) {
	c, errs := Parse(data(KeyCloudsYAML, cloudsYAML, KeyCloud, "pco"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if c.AuthURL != "https://keystone.example/v3" || c.Region != "RegionOne" || c.Username != "demo" || c.ProjectName != "demo" {
		t.Fatalf("wrong credentials: %v", c)
	}
	if c, errs = Parse(data(KeyCloudsYAML, cloudsYAML, KeyCloud, "other")); len(errs) > 0 || c.ApplicationCredentialID != "ac1" {
		t.Fatalf("app cred cloud: %v %v", c, errs)
	}
	_, errs = Parse(data(KeyCloudsYAML, cloudsYAML))
	if errs == nil || !strings.Contains(errs.ToAggregate().Error(), "other, pco") {
		t.Fatalf("two clouds and no choice must list the names: %v", errs)
	}
	_, errs = Parse(data(KeyCloudsYAML, "clouds: [broken: "+secretPassword))
	if errs == nil || strings.Contains(errs.ToAggregate().Error(), "SECRET") {
		t.Fatalf("broken YAML must fail without quoting it: %v", errs)
	}
	_, errs = Parse(data(KeyCloudsYAML, cloudsYAML, KeyCloud, "pco", KeyAuthURL, "https://elsewhere/v3", KeyUsername, "demo",
		KeyTenantName, "demo", KeyDomainName, "Default", KeyPassword, secretPassword))
	if errs == nil || !strings.Contains(errs.ToAggregate().Error(), "data[clouds.yaml]") {
		t.Fatalf("disagreeing keys and clouds.yaml must be an error naming the key: %v", errs)
	}
	if _, errs = Parse(data(KeyCloudsYAML, cloudsYAML, KeyCloud, "pco", KeyAuthURL, "https://keystone.example/v3", KeyUsername, "demo",
		KeyTenantName, "demo", KeyDomainName, "Default", KeyPassword, secretPassword)); len(errs) > 0 {
		t.Fatalf("agreeing keys and clouds.yaml are fine: %v", errs)
	}
	_, errs = Parse(data(KeyCloudsYAML, strings.Replace(cloudsYAML, "identity_api_version: 3", "cacert: /etc/ca.pem", 1), KeyCloud, "pco"))
	if errs == nil || !strings.Contains(errs.ToAggregate().Error(), "cacert") {
		t.Fatalf("a cacert path cannot be used from a Secret: %v", errs)
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add(KeyAuthURL, "https://k/v3", KeyPassword, secretPassword, KeyUsername, "u")
	f.Add(KeyApplicationCredentialSecret, secretAppCred, KeyApplicationCredentialID, "x", KeyInsecure, "maybe")
	f.Add(KeyCACert, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", KeyClientCert, "x", KeyClientKey, secretPassword)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		d := data(k1, v1+secretPassword, k2, v2, k3, v3)
		c, errs := Parse(d)
		if errs != nil {
			if strings.Contains(errs.ToAggregate().Error(), secretPassword) {
				t.Fatalf("error leaks a value: %v", errs)
			}
			return
		}
		if strings.Contains(fmt.Sprint(c), secretPassword) && c.Password != "" {
			t.Fatalf("printing leaks the password: %v", c)
		}
		_ = c.AuthOptions()
		_, _ = c.TLSConfig()
	})
}

func FuzzCloudsYAML(f *testing.F) {
	f.Add(cloudsYAML, "pco")
	f.Add(cloudsYAML, "")
	f.Add("clouds:\n  x:\n    auth: {auth_url: 'http://a/v3', token: t}\n    auth_type: token\n", "x")
	f.Add("{{{", "")
	f.Fuzz(func(t *testing.T, yaml, cloud string) {
		c, errs := Parse(data(KeyCloudsYAML, yaml, KeyCloud, cloud))
		if errs != nil {
			msg := errs.ToAggregate().Error()
			if strings.Contains(yaml, secretPassword) && strings.Contains(msg, secretPassword) {
				t.Fatalf("error leaks the password: %s", msg)
			}
			return
		}
		_ = c.AuthOptions()
	})
}
