package credentials_test

import (
	"crypto/tls"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// passwordSecret is a provider-openstack Secret as Gardener writes it.
func passwordSecret() map[string][]byte {
	return data("authURL", authURL, "domainName", "Default", "tenantName", "shoot-project",
		"username", "mcm", "password", password, "userData", "#cloud-config\n")
}

// appCredSecret is a provider-openstack Secret with an application credential.
func appCredSecretData() map[string][]byte {
	return data("authURL", authURL, "applicationCredentialID", "ac-id-1", "applicationCredentialSecret", appCredSecret)
}

var _ = Describe("Parse", func() {
	DescribeTable("accepts every way provider-openstack Secrets log in",
		func(d map[string][]byte, check func(*credentials.Credentials)) {
			c, errs := credentials.Parse(d)
			Expect(errs).To(BeEmpty())
			Expect(c.Interface).To(Equal("public"))
			check(c)
		},
		Entry("password with names, as Gardener writes it", passwordSecret(), func(c *credentials.Credentials) {
			Expect(c.AuthURL).To(Equal(authURL))
			Expect(c.DomainName).To(Equal("Default"))
			Expect(c.ProjectName).To(Equal("shoot-project"))
			Expect(c.Username).To(Equal("mcm"))
			Expect(c.Password).To(Equal(password))
			Expect(c.Region).To(BeEmpty())
		}),
		Entry("password with IDs and no domain (none is needed)",
			data("authURL", authURL, "tenantID", "p-1", "userID", "u-1", "password", password),
			func(c *credentials.Credentials) {
				Expect(c.ProjectID).To(Equal("p-1"))
				Expect(c.UserID).To(Equal("u-1"))
			}),
		Entry("a project by ID and a user by name in its own domain",
			data("authURL", authURL, "tenantID", "p-1", "username", "mcm", "userDomainName", "users", "password", password),
			func(c *credentials.Credentials) { Expect(c.UserDomainName).To(Equal("users")) }),
		Entry("user domain and project domain differ",
			with(passwordSecret(), "userDomainID", "ud-1", "domainID", "pd-1"),
			func(c *credentials.Credentials) {
				Expect(c.UserDomainID).To(Equal("ud-1"))
				Expect(c.DomainID).To(Equal("pd-1"))
			}),
		Entry("values with the newline kubectl --from-file leaves",
			data("authURL", authURL+"\n", "domainName", " Default\n", "tenantName", "shoot-project\r\n",
				"username", "mcm\n", "password", password+"\n", "region", "RegionOne\n"),
			func(c *credentials.Credentials) {
				Expect(c.AuthURL).To(Equal(authURL))
				Expect(c.Password).To(Equal(password))
				Expect(c.Region).To(Equal("RegionOne"))
			}),
		Entry("an application credential by ID, without domain or project",
			appCredSecretData(), func(c *credentials.Credentials) {
				Expect(c.ApplicationCredentialID).To(Equal("ac-id-1"))
				Expect(c.ApplicationCredentialSecret).To(Equal(appCredSecret))
			}),
		Entry("an application credential next to domain and project keys (the peer requires them)",
			with(appCredSecretData(), "domainName", "Default", "tenantName", "p"), func(*credentials.Credentials) {}),
		Entry("an application credential by name and username",
			data("authURL", authURL, "applicationCredentialName", "mcm", "username", "u", "domainName", "Default",
				"applicationCredentialSecret", appCredSecret),
			func(c *credentials.Credentials) { Expect(c.ApplicationCredentialName).To(Equal("mcm")) }),
		Entry("an application credential by name and user ID",
			data("authURL", authURL, "applicationCredentialName", "mcm", "userID", "u-1", "applicationCredentialSecret", appCredSecret),
			func(*credentials.Credentials) {}),
		Entry("an application credential ID next to an unused password-less username",
			with(appCredSecretData(), "username", "mcm"), func(*credentials.Credentials) {}),
		Entry("insecure true", with(passwordSecret(), "insecure", "true\n"),
			func(c *credentials.Credentials) { Expect(c.Insecure).To(BeTrue()) }),
		Entry("insecure false", with(passwordSecret(), "insecure", "false"),
			func(c *credentials.Credentials) { Expect(c.Insecure).To(BeFalse()) }),
		Entry("a CA certificate", with(passwordSecret(), "caCert", string(certPEM)),
			func(c *credentials.Credentials) { Expect(c.CACert).To(Equal(certPEM)) }),
		Entry("a client certificate and key", with(passwordSecret(), "clientCert", string(certPEM), "clientKey", string(keyPEM)),
			func(c *credentials.Credentials) {
				Expect(c.ClientCert).To(Equal(certPEM))
				Expect(c.ClientKey).To(Equal(keyPEM))
			}),
		Entry("empty TLS keys count as unset", with(passwordSecret(), "caCert", "", "clientCert", "\n", "clientKey", ""),
			func(c *credentials.Credentials) { Expect(c.CACert).To(BeNil()) }),
		Entry("an http URL (a lab or the simulator)", with(passwordSecret(), "authURL", "http://127.0.0.1:5000/v3"),
			func(*credentials.Credentials) {}),
	)

	DescribeTable("rejects, naming keys and never values",
		func(d map[string][]byte, want ...string) {
			c, errs := credentials.Parse(d)
			Expect(c).To(BeNil())
			Expect(errorsAt(errs)).To(ConsistOf(want))
			expectNoSecret(errs.ToAggregate().Error())
		},
		Entry("nothing", nil,
			"data[authURL] "+required, "data[password] "+required, "data[applicationCredentialSecret] "+required),
		Entry("no authURL", without(passwordSecret(), "authURL"), "data[authURL] "+required),
		Entry("an authURL that is not a URL", with(passwordSecret(), "authURL", "keystoneURL"), "data[authURL] "+invalid),
		Entry("an authURL of another scheme", with(passwordSecret(), "authURL", "ftp://k/v3"), "data[authURL] "+invalid),
		Entry("an authURL with a password in it", with(passwordSecret(), "authURL", "https://mcm:"+password+"@k/v3"), "data[authURL] "+invalid),
		Entry("password and application credential secret",
			with(passwordSecret(), "applicationCredentialID", "x", "applicationCredentialSecret", appCredSecret),
			"data[password] "+forbidden, "data[applicationCredentialSecret] "+forbidden),
		Entry("neither password nor application credential secret", without(passwordSecret(), "password"),
			"data[password] "+required, "data[applicationCredentialSecret] "+required),
		Entry("a blank password", with(passwordSecret(), "password", " \n"),
			"data[password] "+required, "data[applicationCredentialSecret] "+required),
		Entry("a password without a user", without(passwordSecret(), "username"), "data[username] "+required),
		Entry("a password without a project", without(passwordSecret(), "tenantName"), "data[tenantName] "+required),
		Entry("a project name without its domain", data("authURL", authURL, "tenantName", "p", "userID", "u", "password", password),
			"data[domainName] "+required),
		Entry("a username without a domain", data("authURL", authURL, "tenantID", "p", "username", "u", "password", password),
			"data[domainName] "+required),
		Entry("no domain at all, both named", without(passwordSecret(), "domainName"),
			"data[domainName] "+required, "data[domainName] "+required),
		Entry("an application credential secret alone", data("authURL", authURL, "applicationCredentialSecret", appCredSecret),
			"data[applicationCredentialID] "+required),
		Entry("an application credential name without a user",
			data("authURL", authURL, "applicationCredentialName", "n", "applicationCredentialSecret", appCredSecret),
			"data[applicationCredentialID] "+required),
		Entry("an application credential name with a username but no domain",
			data("authURL", authURL, "applicationCredentialName", "n", "username", "u", "applicationCredentialSecret", appCredSecret),
			"data[domainName] "+required),
		Entry("insecure is not a boolean word", with(passwordSecret(), "insecure", "yes-"+password), "data[insecure] "+notSupported),
		Entry("insecure in another case", with(passwordSecret(), "insecure", "True"), "data[insecure] "+notSupported),
		Entry("a client certificate without key", with(passwordSecret(), "clientCert", string(certPEM)), "data[clientKey] "+required),
		Entry("a client key without certificate", with(passwordSecret(), "clientKey", string(keyPEM)), "data[clientCert] "+required),
		Entry("a client key that does not match", with(passwordSecret(), "clientCert", string(certPEM), "clientKey", password),
			"data[clientCert] "+invalid),
		Entry("a CA that is not PEM", with(passwordSecret(), "caCert", password), "data[caCert] "+invalid),
		Entry("a cloud key without clouds.yaml", with(passwordSecret(), "cloud", "pco"), "data[cloud] "+forbidden),
		Entry("every problem at once",
			data("authURL", "x", "password", password, "applicationCredentialSecret", appCredSecret, "insecure", "1", "caCert", "x"),
			"data[authURL] "+invalid, "data[password] "+forbidden, "data[applicationCredentialSecret] "+forbidden,
			"data[insecure] "+notSupported, "data[caCert] "+invalid),
	)

	It("FromSecretData returns the problems as one error naming the keys", func() {
		c, err := credentials.FromSecretData(without(passwordSecret(), "username", "authURL"))
		Expect(c).To(BeNil())
		Expect(err).To(MatchError(And(ContainSubstring("data[authURL]"), ContainSubstring("data[username]"))))
		expectNoSecret(err.Error())

		c, err = credentials.FromSecretData(passwordSecret())
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Username).To(Equal("mcm"))
	})
})

var _ = Describe("TLSConfig", func() {
	parse := func(d map[string][]byte) *credentials.Credentials {
		GinkgoHelper()
		c, errs := credentials.Parse(d)
		Expect(errs).To(BeEmpty())
		return c
	}

	It("is nil when the Secret sets nothing about TLS", func() {
		cfg, err := parse(passwordSecret()).TLSConfig()
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg).To(BeNil())
	})

	It("skips verification only when asked to", func() {
		cfg, err := parse(with(passwordSecret(), "insecure", "true")).TLSConfig()
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.InsecureSkipVerify).To(BeTrue())
		Expect(cfg.MinVersion).To(BeNumerically(">=", tls.VersionTLS12))
	})

	It("trusts the CA and presents the client certificate", func() {
		cfg, err := parse(with(passwordSecret(), "caCert", string(certPEM), "clientCert", string(certPEM), "clientKey", string(keyPEM))).TLSConfig()
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.InsecureSkipVerify).To(BeFalse())
		Expect(cfg.RootCAs).NotTo(BeNil())
		Expect(cfg.Certificates).To(HaveLen(1))
	})

	It("fails without quoting bad material", func() {
		_, err := (&credentials.Credentials{CACert: []byte(password)}).TLSConfig()
		Expect(err).To(MatchError(ContainSubstring("caCert")))
		expectNoSecret(err.Error())
		_, err = (&credentials.Credentials{ClientCert: certPEM, ClientKey: []byte(password)}).TLSConfig()
		Expect(err).To(MatchError(ContainSubstring("clientKey")))
		expectNoSecret(err.Error())
		_, err = (&credentials.Credentials{ClientKey: keyPEM}).TLSConfig()
		Expect(err).To(HaveOccurred())
		expectNoSecret(err.Error())
	})
})

var _ = Describe("CacheKey", func() {
	It("is an opaque hex digest that changes with every field", func() {
		base := credentials.Credentials{
			AuthURL: authURL, DomainName: "d", DomainID: "di", ProjectName: "p", ProjectID: "pi", Username: "u", UserID: "ui",
			Password: password, UserDomainName: "ud", UserDomainID: "udi", ApplicationCredentialID: "a", ApplicationCredentialName: "an",
			ApplicationCredentialSecret: appCredSecret, Region: "r", CACert: certPEM, Insecure: false, ClientCert: certPEM,
			ClientKey: keyPEM, Interface: "public",
		}
		key := base.CacheKey()
		Expect(key).To(MatchRegexp(`^[0-9a-f]{64}$`))
		Expect(base.CacheKey()).To(Equal(key), "stable for the same credentials")

		seen := map[string]string{key: "base"}
		for name, change := range map[string]func(*credentials.Credentials){
			"AuthURL":                     func(c *credentials.Credentials) { c.AuthURL += "x" },
			"DomainName":                  func(c *credentials.Credentials) { c.DomainName += "x" },
			"DomainID":                    func(c *credentials.Credentials) { c.DomainID += "x" },
			"ProjectName":                 func(c *credentials.Credentials) { c.ProjectName += "x" },
			"ProjectID":                   func(c *credentials.Credentials) { c.ProjectID += "x" },
			"Username":                    func(c *credentials.Credentials) { c.Username += "x" },
			"UserID":                      func(c *credentials.Credentials) { c.UserID += "x" },
			"Password":                    func(c *credentials.Credentials) { c.Password += "x" },
			"UserDomainName":              func(c *credentials.Credentials) { c.UserDomainName += "x" },
			"UserDomainID":                func(c *credentials.Credentials) { c.UserDomainID += "x" },
			"ApplicationCredentialID":     func(c *credentials.Credentials) { c.ApplicationCredentialID += "x" },
			"ApplicationCredentialName":   func(c *credentials.Credentials) { c.ApplicationCredentialName += "x" },
			"ApplicationCredentialSecret": func(c *credentials.Credentials) { c.ApplicationCredentialSecret += "x" },
			"Region":                      func(c *credentials.Credentials) { c.Region += "x" },
			"CACert":                      func(c *credentials.Credentials) { c.CACert = append([]byte("x"), c.CACert...) },
			"Insecure":                    func(c *credentials.Credentials) { c.Insecure = true },
			"ClientCert":                  func(c *credentials.Credentials) { c.ClientCert = append([]byte("x"), c.ClientCert...) },
			"ClientKey":                   func(c *credentials.Credentials) { c.ClientKey = append([]byte("x"), c.ClientKey...) },
			"Interface":                   func(c *credentials.Credentials) { c.Interface = "internal" },
			"a value moved between fields": func(c *credentials.Credentials) {
				c.DomainName, c.DomainID = c.DomainName+c.DomainID, ""
			},
		} {
			c := base
			change(&c)
			k := c.CacheKey()
			Expect(seen).NotTo(HaveKey(k), "changing %s gives the key of %s", name, seen[k])
			seen[k] = name
		}
	})

	It("does not contain the secrets", func() {
		c := credentials.Credentials{Password: strings.Repeat("a", 64)}
		Expect(c.CacheKey()).NotTo(ContainSubstring(strings.Repeat("a", 8)))
	})
})
