package credentials_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// horizonPassword is a clouds.yaml as Horizon's "OpenStack clouds.yaml file" download writes it,
// with the password filled in.
const horizonPassword = `
clouds:
  openstack:
    auth:
      auth_url: https://keystone.pco.example/v3
      username: "mcm"
      password: "` + password + `"
      project_id: 5d0c7e8f
      project_name: "shoot-project"
      user_domain_name: "users"
    region_name: "RegionOne"
    interface: "public"
    identity_api_version: 3
`

// horizonAppCred is Horizon's clouds.yaml for an application credential.
const horizonAppCred = `
clouds:
  openstack:
    auth:
      auth_url: https://keystone.pco.example/v3
      application_credential_id: "ac-id-1"
      application_credential_secret: "` + appCredSecret + `"
    region_name: "RegionOne"
    interface: "public"
    identity_api_version: 3
    auth_type: "v3applicationcredential"
`

// cloudsFile builds a clouds.yaml with one cloud "pco" whose body is the given lines (indented
// by the caller as under the cloud's name).
func cloudsFile(lines ...string) string {
	return "clouds:\n  pco:\n" + strings.Join(lines, "\n") + "\n"
}

func clouds(yaml string, kv ...string) map[string][]byte {
	return with(data("clouds.yaml", yaml), kv...)
}

const passwordAuth = `    auth:
      auth_url: https://keystone.pco.example/v3
      username: mcm
      password: ` + password + `
      project_name: shoot-project
      project_domain_name: projects
      user_domain_name: users`

var _ = Describe("clouds.yaml", func() {
	DescribeTable("accepts",
		func(d map[string][]byte, check func(*credentials.Credentials)) {
			c, errs := credentials.Parse(d)
			Expect(errs).To(BeEmpty())
			check(c)
		},
		Entry("Horizon's password clouds.yaml", clouds(horizonPassword), func(c *credentials.Credentials) {
			Expect(c.AuthURL).To(Equal(authURL))
			Expect(c.Username).To(Equal("mcm"))
			Expect(c.Password).To(Equal(password))
			Expect(c.ProjectID).To(Equal("5d0c7e8f"))
			Expect(c.UserDomainName).To(Equal("users"))
			Expect(c.Region).To(Equal("RegionOne"))
			Expect(c.Interface).To(Equal("public"))
		}),
		Entry("Horizon's application credential clouds.yaml", clouds(horizonAppCred), func(c *credentials.Credentials) {
			Expect(c.ApplicationCredentialID).To(Equal("ac-id-1"))
			Expect(c.ApplicationCredentialSecret).To(Equal(appCredSecret))
		}),
		Entry("project and user domains", clouds(cloudsFile(passwordAuth)), func(c *credentials.Credentials) {
			Expect(c.DomainName).To(Equal("projects"))
			Expect(c.UserDomainName).To(Equal("users"))
			Expect(c.ProjectName).To(Equal("shoot-project"))
			Expect(c.Interface).To(Equal("public"), "the default")
		}),
		Entry("domain_name for both domains", clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      username: u",
			"      password: "+password, "      project_name: p", "      domain_name: shared")), func(c *credentials.Credentials) {
			Expect(c.DomainName).To(Equal("shared"))
			Expect(c.UserDomainName).To(Equal("shared"))
		}),
		Entry("domain pairs are not mixed across levels", clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      username: u",
			"      password: "+password, "      project_name: p", "      project_domain_name: projects", "      domain_id: d-1")),
			func(c *credentials.Credentials) {
				Expect(c.DomainName).To(Equal("projects"))
				Expect(c.DomainID).To(BeEmpty())
				Expect(c.UserDomainID).To(Equal("d-1"))
			}),
		Entry("default_domain_id", clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      username: u",
			"      password: "+password, "      project_name: p", "      default_domain_id: default")), func(c *credentials.Credentials) {
			Expect(c.DomainID).To(Equal("default"))
			Expect(c.UserDomainID).To(Equal("default"))
		}),
		Entry("tenant_name and tenant_id, the older names", clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      user_id: u-1",
			"      password: "+password, "      tenant_id: p-1")), func(c *credentials.Credentials) {
			Expect(c.ProjectID).To(Equal("p-1"))
			Expect(c.UserID).To(Equal("u-1"))
		}),
		Entry("an unquoted password that YAML 1.1 would turn into a number or boolean",
			clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      user_id: u-1", "      password: 0123", "      project_id: 0x1F")),
			func(c *credentials.Credentials) {
				Expect(c.Password).To(Equal("0123"))
				Expect(c.ProjectID).To(Equal("0x1F"))
			}),
		Entry("password yes", clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      user_id: u-1", "      password: yes", "      project_id: p")),
			func(c *credentials.Credentials) { Expect(c.Password).To(Equal("yes")) }),
		Entry("a password across lines", clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      user_id: u-1", "      password: |", "        "+password, "      project_id: p")),
			func(c *credentials.Credentials) { Expect(c.Password).To(Equal(password)) }),
		Entry("auth_type password", clouds(cloudsFile(passwordAuth, "    auth_type: password")), func(*credentials.Credentials) {}),
		Entry("auth_type v3password, ignoring application credential fields",
			clouds(cloudsFile(passwordAuth, "      application_credential_secret: "+appCredSecret, "    auth_type: v3password")),
			func(c *credentials.Credentials) { Expect(c.ApplicationCredentialSecret).To(BeEmpty()) }),
		Entry("an application credential by name", clouds(cloudsFile("    auth:", "      auth_url: "+authURL,
			"      application_credential_name: mcm", "      application_credential_secret: "+appCredSecret,
			"      username: u", "      user_domain_id: default", "    auth_type: v3applicationcredential")),
			func(c *credentials.Credentials) { Expect(c.ApplicationCredentialName).To(Equal("mcm")) }),
		Entry("endpoint_type publicURL", clouds(cloudsFile(passwordAuth, "    endpoint_type: internalURL")),
			func(c *credentials.Credentials) { Expect(c.Interface).To(Equal("internal")) }),
		Entry("interface before endpoint_type", clouds(cloudsFile(passwordAuth, "    interface: admin", "    endpoint_type: internalURL")),
			func(c *credentials.Credentials) { Expect(c.Interface).To(Equal("admin")) }),
		Entry("a single entry of regions", clouds(cloudsFile(passwordAuth, "    regions:", "    - name: RegionTwo")),
			func(c *credentials.Credentials) { Expect(c.Region).To(Equal("RegionTwo")) }),
		Entry("several regions choose none", clouds(cloudsFile(passwordAuth, "    regions: [a, b]")),
			func(c *credentials.Credentials) { Expect(c.Region).To(BeEmpty()) }),
		Entry("identity_api_version 3.0 and unknown keys", clouds(cloudsFile(passwordAuth, "    identity_api_version: '3.0'",
			"    compute_api_version: 2.79", "    api_timeout: 60")), func(*credentials.Credentials) {}),
		Entry("verify: false", clouds(cloudsFile(passwordAuth, "    verify: false")),
			func(c *credentials.Credentials) { Expect(c.Insecure).To(BeTrue()) }),
		Entry("verify: false and insecure true agree", clouds(cloudsFile(passwordAuth, "    verify: false"), "insecure", "true"),
			func(c *credentials.Credentials) { Expect(c.Insecure).To(BeTrue()) }),
		Entry("cacert with the PEM in the caCert key", clouds(cloudsFile(passwordAuth, "    cacert: /etc/ssl/pco.pem"), "caCert", string(certPEM)),
			func(c *credentials.Credentials) { Expect(c.CACert).To(Equal(certPEM)) }),
		Entry("cert and key with the PEMs in keys", clouds(cloudsFile(passwordAuth, "    cert: /c.pem", "    key: /k.pem"),
			"clientCert", string(certPEM), "clientKey", string(keyPEM)),
			func(c *credentials.Credentials) { Expect(c.ClientKey).To(Equal(keyPEM)) }),
		Entry("the cloud the cloud key names", clouds(horizonAppCred+"  pco:\n"+passwordAuth+"\n", "cloud", "pco\n"),
			func(c *credentials.Credentials) { Expect(c.Username).To(Equal("mcm")) }),
		Entry("the cloud called openstack among several", clouds(horizonAppCred+"  pco:\n"+passwordAuth+"\n"),
			func(c *credentials.Credentials) { Expect(c.ApplicationCredentialID).To(Equal("ac-id-1")) }),
		Entry("agreeing provider-openstack keys, filling the region from clouds.yaml",
			clouds(horizonPassword, "authURL", authURL+"/", "tenantID", "5d0c7e8f", "username", "mcm", "userDomainName", "users", "password", password),
			func(c *credentials.Credentials) {
				Expect(c.Region).To(Equal("RegionOne"))
				Expect(c.ProjectID).To(Equal("5d0c7e8f"))
			}),
	)

	DescribeTable("rejects, naming the key and never a value",
		func(d map[string][]byte, want ...string) {
			c, errs := credentials.Parse(d)
			Expect(c).To(BeNil())
			Expect(errorsAt(errs)).To(ConsistOf(want))
			expectNoSecret(errs.ToAggregate().Error())
		},
		Entry("not YAML", clouds("clouds: [broken: "+password), "data[clouds.yaml] "+invalid),
		Entry("a value of the wrong type", clouds(cloudsFile(passwordAuth, "    verify: "+password)), "data[clouds.yaml] "+invalid),
		Entry("a duplicate key", clouds(cloudsFile(passwordAuth, "      password: "+password)), "data[clouds.yaml] "+invalid),
		Entry("no clouds", clouds("clouds: {}"), "data[clouds.yaml].clouds "+required),
		Entry("no auth section", clouds(cloudsFile("    region_name: r")), "data[clouds.yaml].clouds[pco].auth "+required),
		Entry("an empty auth section", clouds(cloudsFile("    auth: {}")),
			"data[clouds.yaml].clouds[pco].auth.auth_url "+required,
			"data[clouds.yaml].clouds[pco].auth.password "+required,
			"data[clouds.yaml].clouds[pco].auth.application_credential_secret "+required),
		Entry("several clouds, none called openstack, none chosen",
			clouds(cloudsFile(passwordAuth)+"  other:\n"+passwordAuth+"\n"), "data[cloud] "+required),
		Entry("a chosen cloud that is not there", clouds(horizonPassword, "cloud", "pco"), "data[cloud] "+notSupported),
		Entry("auth_type token", clouds(cloudsFile(passwordAuth, "    auth_type: token")), "data[clouds.yaml].clouds[pco].auth_type "+notSupported),
		Entry("auth_type v3applicationcredential without its secret", clouds(cloudsFile(passwordAuth, "    auth_type: v3applicationcredential")),
			"data[clouds.yaml].clouds[pco].auth.application_credential_secret "+required),
		Entry("auth_type password without a password", clouds(cloudsFile("    auth:", "      auth_url: "+authURL,
			"      application_credential_id: ac", "      application_credential_secret: "+appCredSecret, "    auth_type: password")),
			"data[clouds.yaml].clouds[pco].auth.password "+required),
		Entry("Keystone v2", clouds(cloudsFile(passwordAuth, "    identity_api_version: 2")),
			"data[clouds.yaml].clouds[pco].identity_api_version "+notSupported),
		Entry("an unknown interface", clouds(cloudsFile(passwordAuth, "    interface: private")),
			"data[clouds.yaml].clouds[pco].interface "+notSupported),
		Entry("a vendor profile", clouds(cloudsFile(passwordAuth, "    profile: pluscloudopen")),
			"data[clouds.yaml].clouds[pco].profile "+forbidden),
		Entry("cacert as a path only", clouds(cloudsFile(passwordAuth, "    cacert: /etc/ssl/pco.pem")),
			"data[clouds.yaml].clouds[pco].cacert "+invalid),
		Entry("cert and key as paths only", clouds(cloudsFile(passwordAuth, "    cert: /c.pem", "    key: /k.pem")),
			"data[clouds.yaml].clouds[pco].cert "+invalid, "data[clouds.yaml].clouds[pco].key "+invalid),
		Entry("verify contradicting insecure", clouds(cloudsFile(passwordAuth, "    verify: true"), "insecure", "true"),
			"data[clouds.yaml].clouds[pco].verify "+invalid),
		Entry("a password without user and project", clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      password: "+password)),
			"data[clouds.yaml].clouds[pco].auth.username "+required, "data[clouds.yaml].clouds[pco].auth.project_name "+required),
		Entry("a project name without a domain", clouds(cloudsFile("    auth:", "      auth_url: "+authURL, "      user_id: u",
			"      password: "+password, "      project_name: p")),
			"data[clouds.yaml].clouds[pco].auth.project_domain_name "+required),
		Entry("keys that point elsewhere", clouds(horizonPassword, "authURL", "https://other.example/v3", "tenantID", "5d0c7e8f",
			"username", "mcm", "userDomainName", "users", "password", password),
			"data[clouds.yaml].clouds[openstack].auth.auth_url "+invalid),
		Entry("keys with another user, project and region", clouds(horizonPassword, "authURL", authURL, "tenantID", "other",
			"username", "admin", "userDomainName", "users", "password", password, "region", "RegionTwo"),
			"data[clouds.yaml].clouds[openstack].auth.username "+invalid,
			"data[clouds.yaml].clouds[openstack].auth.project_id "+invalid,
			"data[clouds.yaml].clouds[openstack].region_name "+invalid),
		Entry("keys with another password", clouds(horizonPassword, "authURL", authURL, "tenantID", "5d0c7e8f",
			"username", "mcm", "userDomainName", "users", "password", password+"-rotated"),
			"data[clouds.yaml].clouds[openstack].auth.password "+invalid),
		Entry("keys with an application credential, clouds.yaml with a password", clouds(horizonPassword,
			"authURL", authURL, "applicationCredentialID", "ac-id-1", "applicationCredentialSecret", appCredSecret),
			"data[clouds.yaml].clouds[openstack].auth.password "+invalid),
		Entry("incomplete keys next to a clouds.yaml", clouds(horizonPassword, "authURL", authURL),
			"data[password] "+required, "data[applicationCredentialSecret] "+required),
	)

	It("names both places when keys and clouds.yaml disagree", func() {
		_, errs := credentials.Parse(clouds(horizonPassword, "authURL", "https://other.example/v3", "tenantID", "5d0c7e8f",
			"username", "mcm", "userDomainName", "users", "password", password))
		msg := errs.ToAggregate().Error()
		Expect(msg).To(ContainSubstring("data[clouds.yaml]"))
		Expect(msg).To(ContainSubstring("data[authURL]"))
		Expect(msg).NotTo(ContainSubstring("other.example"))
	})

	It("reads a cloud with a long name", func() {
		long := strings.Repeat("c", 100)
		c, errs := credentials.Parse(clouds(strings.Replace(horizonPassword, "openstack:", long+":", 1)))
		Expect(errs).To(BeEmpty())
		Expect(c.Username).To(Equal("mcm"))
	})

	It("lists the cloud names (not secret) to choose from", func() {
		_, errs := credentials.Parse(clouds(cloudsFile(passwordAuth) + "  other:\n" + passwordAuth + "\n"))
		Expect(errs.ToAggregate().Error()).To(ContainSubstring("other, pco"))
		_, errs = credentials.Parse(clouds(horizonPassword, "cloud", "pco"))
		Expect(errs.ToAggregate().Error()).To(ContainSubstring(`"openstack"`))
	})

	It("reports where YAML breaks, by line only", func() {
		_, errs := credentials.Parse(clouds("clouds:\n  pco:\n    auth:\n      password: [" + password + "\n"))
		Expect(errs.ToAggregate().Error()).To(MatchRegexp(`line \d+`))
		expectNoSecret(errs.ToAggregate().Error())
	})
})
