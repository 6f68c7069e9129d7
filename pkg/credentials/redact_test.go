package credentials_test

import (
	"encoding/json"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// loaded has every secret set.
func loaded() *credentials.Credentials {
	return &credentials.Credentials{
		AuthURL: authURL, DomainName: "Default", ProjectName: "shoot-project", Username: "mcm", Password: password,
		ApplicationCredentialID: "ac-id-1", ApplicationCredentialSecret: appCredSecret, Region: "RegionOne",
		CACert: certPEM, ClientCert: certPEM, ClientKey: keyPEM, Interface: "public",
	}
}

var _ = Describe("Redaction", func() {
	DescribeTable("fmt never prints a secret",
		func(format string) {
			c := loaded()
			for _, v := range []any{c, *c, []any{c}, map[string]*credentials.Credentials{"c": c},
				struct{ Creds credentials.Credentials }{*c}, struct{ Creds *credentials.Credentials }{c}} {
				out := fmt.Sprintf(format, v)
				expectNoSecret(out)
				Expect(out).To(ContainSubstring("shoot-project"), "the non-secret fields still show")
			}
		},
		Entry("%v", "%v"), Entry("%+v", "%+v"), Entry("%#v", "%#v"), Entry("%s", "%s"), Entry("%q", "%q"),
		Entry("%x (falls back to the redacted form)", "%x"), Entry("%d", "%d"), Entry("%20.5v", "%20.5v"),
	)

	It("shows which secrets are set", func() {
		out := loaded().String()
		Expect(out).To(ContainSubstring("Password:<redacted>"))
		Expect(out).To(ContainSubstring("ApplicationCredentialSecret:<redacted>"))
		Expect(out).To(ContainSubstring("ClientKey:<redacted>"))
		Expect((&credentials.Credentials{}).String()).NotTo(ContainSubstring("<redacted>"))
	})

	It("drops user information from the auth URL", func() {
		c := credentials.Credentials{AuthURL: "https://mcm:" + password + "@keystone.example/v3?token=" + password}
		out := fmt.Sprint(c)
		expectNoSecret(out)
		Expect(out).To(ContainSubstring("https://keystone.example/v3"))
	})

	It("marshals to JSON and logs redacted", func() {
		raw, err := json.Marshal(loaded())
		Expect(err).NotTo(HaveOccurred())
		expectNoSecret(string(raw))
		Expect(string(raw)).To(ContainSubstring(`"password":"\u003credacted\u003e"`))

		// logr.Marshaler, which klog's structured logging honours.
		var logged any = *loaded()
		marshaler, ok := logged.(interface{ MarshalLog() any })
		Expect(ok).To(BeTrue(), "Credentials implements logr.Marshaler")
		expectNoSecret(fmt.Sprintf("%+v", marshaler.MarshalLog()))
	})

	It("keeps secrets out of every error Parse returns", func() {
		for _, d := range []map[string][]byte{
			data("password", password, "applicationCredentialSecret", appCredSecret, "clientKey", string(keyPEM)),
			data("authURL", password, "insecure", password, "caCert", password, "clientCert", password, "clientKey", password),
			data("clouds.yaml", "clouds: {a: {auth: {password: "+password+"}, verify: "+password+"}}"),
			data("clouds.yaml", "clouds:\n  a:\n    auth:\n      password: ["+password),
		} {
			_, errs := credentials.Parse(d)
			Expect(errs).NotTo(BeEmpty())
			expectNoSecret(errs.ToAggregate().Error())
			raw, _ := json.Marshal(errs)
			expectNoSecret(string(raw))
		}
	})
})
