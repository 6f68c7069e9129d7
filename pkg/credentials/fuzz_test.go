package credentials_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// The fuzz targets put secrets into the input as canary+fuzzed text and assert that no error and
// no printed form of the result contains the canary, unless the fuzzer also put it somewhere
// that is not secret (a username, a cloud name), where showing it is fine.
const canary = "S3CRET"

// checkAccepted asserts what must hold for any credentials Parse accepts: gophercloud builds a
// token request from them, the TLS configuration builds, and the cache key is stable.
func checkAccepted(t *testing.T, c *credentials.Credentials) {
	t.Helper()
	opts := c.AuthOptions()
	scope, err := opts.ToTokenV3ScopeMap()
	if err != nil {
		t.Fatalf("accepted credentials give no token scope: %v", err)
	}
	if _, err := opts.ToTokenV3CreateMap(scope); err != nil {
		t.Fatalf("accepted credentials give no token request: %v (%v)", err, c)
	}
	if _, err := c.TLSConfig(); err != nil {
		t.Fatalf("accepted credentials give no TLS configuration: %v", err)
	}
	if first, second := c.CacheKey(), c.CacheKey(); first != second {
		t.Fatal("the cache key is not stable")
	}
}

// printed is every way a Credentials may end up in a log.
func printed(c *credentials.Credentials) string {
	raw, _ := json.Marshal(c)
	return fmt.Sprintf("%v %+v %#v %s %q", c, c, *c, c, c) + string(raw) + fmt.Sprint(c.MarshalLog())
}

// FuzzParseCredentials fuzzes the provider-openstack keys: which are present (layout) and what
// they hold.
func FuzzParseCredentials(f *testing.F) {
	f.Add("https://keystone.example/v3", "mcm", "Default", "project", "pw", "", "userData", "x", uint16(0b0000_0000_1000))
	f.Add("https://keystone.example/v3", "u-1", "d-1", "p-1", "pw\n", "", "region", "RegionOne", uint16(0b0000_0000_1111))
	f.Add("https://keystone.example/v3", "", "", "", "", "ac", "applicationCredentialID", "ac-1", uint16(0b0000_0001_0000))
	f.Add("https://keystone.example/v3", "mcm", "Default", "", "", "ac", "applicationCredentialName", "n", uint16(0b0000_0001_0000))
	f.Add("http://[::1]:5000/v3", "mcm", "Default", "p", "pw", "ac", "insecure", "maybe", uint16(0b0000_1111_1000))
	f.Add("keystone", "mcm", "", "", "pw", "", "caCert", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", uint16(0b0000_0100_1000))
	f.Add("https://k/v3", "mcm", "Default", "p", "pw", "", "clouds.yaml", "clouds: {a: {auth: {auth_url: 'https://k/v3'}}}", uint16(0b1000))
	f.Fuzz(func(t *testing.T, authURL, user, domain, project, pw, acSecret, extraKey, extraValue string, layout uint16) {
		pick := func(bit uint, a, b string) string {
			if layout&(1<<bit) != 0 {
				return b
			}
			return a
		}
		d := map[string][]byte{
			credentials.KeyAuthURL:                               []byte(authURL),
			pick(0, "domainName", "domainID"):                    []byte(domain),
			pick(1, "tenantName", "tenantID"):                    []byte(project),
			pick(2, "username", "userID"):                        []byte(user),
			pick(5, "userDomainName", "applicationCredentialID"): []byte(domain),
		}
		if layout&(1<<3) != 0 {
			d[credentials.KeyPassword] = []byte(canary + pw)
		}
		if layout&(1<<4) != 0 {
			d[credentials.KeyApplicationCredentialSecret] = []byte(canary + acSecret)
		}
		if layout&(1<<6) != 0 {
			d[credentials.KeyClientKey] = []byte(canary + pw)
			d[credentials.KeyClientCert] = []byte(extraValue)
		}
		if layout&(1<<7) != 0 {
			d[credentials.KeyInsecure] = []byte(pick(8, "true", "false"))
		}
		d[extraKey] = []byte(extraValue)

		// The canary may show only if the fuzzer put it into a key that is not secret.
		mayShow := false
		for k, v := range d {
			if strings.Contains(k, canary) || (strings.Contains(string(v), canary) &&
				k != credentials.KeyPassword && k != credentials.KeyApplicationCredentialSecret && k != credentials.KeyClientKey) {
				mayShow = true
			}
		}

		parseWithoutLeaks(t, d, mayShow)
	})
}

// parseWithoutLeaks parses d and fails when an error or the printed credentials show the canary,
// unless the canary was also put where it may be shown (mayShow); accepted credentials must work.
func parseWithoutLeaks(t *testing.T, d map[string][]byte, mayShow bool) {
	t.Helper()
	c, errs := credentials.Parse(d)
	if len(errs) > 0 {
		if c != nil {
			t.Fatal("credentials came back with errors")
		}
		if msg := errs.ToAggregate().Error(); !mayShow && strings.Contains(msg, canary) {
			t.Fatalf("an error shows a secret: %s", msg)
		}
		return
	}
	checkAccepted(t, c)
	if out := printed(c); !mayShow && strings.Contains(out, canary) {
		t.Fatalf("printing shows a secret: %s", out)
	}
}

// FuzzCloudsYAML fuzzes the clouds.yaml text; every $SECRET in it becomes canary+secret.
func FuzzCloudsYAML(f *testing.F) {
	f.Add(horizonPassword, "", "x")
	f.Add(horizonAppCred, "openstack", "x")
	f.Add(strings.ReplaceAll(horizonPassword, password, "$SECRET"), "", "pw")
	f.Add(strings.ReplaceAll(horizonAppCred, appCredSecret, "$SECRET"), "", "ac")
	f.Add(cloudsFile(strings.ReplaceAll(passwordAuth, password, "$SECRET"), "    verify: false", "    regions: [a]"), "pco", "0123")
	f.Add(cloudsFile(strings.ReplaceAll(passwordAuth, password, "$SECRET"))+"  other:\n    auth: {password: $SECRET}\n", "", "yes")
	f.Add("clouds:\n  x:\n    auth: {auth_url: 'http://a/v3', token: t}\n    auth_type: token\n", "x", "")
	f.Add("clouds:\n  x:\n    auth:\n      password: [$SECRET\n", "", "]")
	f.Add("clouds: {a: {auth: {password: $SECRET}, verify: $SECRET}}", "a", "1")
	f.Add("a: &a [*a, *a, *a]\nclouds: *a", "", "")
	f.Add("{{{", "", "")
	f.Fuzz(func(t *testing.T, template, cloud, secret string) {
		text := strings.ReplaceAll(template, "$SECRET", canary+secret)
		d := map[string][]byte{credentials.KeyCloudsYAML: []byte(text), credentials.KeyCloud: []byte(cloud)}

		mayShow := strings.Contains(cloud, canary) || canaryOutsideSecrets(text)
		parseWithoutLeaks(t, d, mayShow)
	})
}

// canaryOutsideSecrets tells whether the canary is in a YAML key or in a value that is not a
// password or secret, or whether the text cannot be read as YAML at all (then nothing is known
// about where it is, but no error may quote it either: the caller still checks when this is
// false, so unreadable text counts as "not outside").
func canaryOutsideSecrets(text string) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return false
	}
	type visit struct {
		node        *yaml.Node
		underSecret bool
	}
	seen := map[visit]bool{} // aliases may form cycles
	var walk func(n *yaml.Node, underSecret bool) bool
	walk = func(n *yaml.Node, underSecret bool) bool {
		if seen[visit{n, underSecret}] {
			return false
		}
		seen[visit{n, underSecret}] = true
		switch n.Kind {
		case yaml.ScalarNode:
			return !underSecret && strings.Contains(n.Value, canary)
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i]
				if walk(key, false) {
					return true
				}
				secretKey := key.Value == "password" || key.Value == "application_credential_secret"
				if walk(n.Content[i+1], secretKey) {
					return true
				}
			}
		case yaml.AliasNode:
			// An alias repeats its anchor, possibly a secret outside a secret key.
			return n.Alias != nil && walk(n.Alias, underSecret)
		default:
			for _, child := range n.Content {
				if walk(child, underSecret) {
					return true
				}
			}
		}
		if strings.Contains(n.Anchor, canary) || strings.Contains(n.Tag, canary) {
			return true
		}
		return false
	}
	return walk(&doc, false)
}
