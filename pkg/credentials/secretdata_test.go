package credentials_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

var _ = Describe("SecretData", func() {
	// roundTrip writes c, reads it back from the whole Secret and from its clouds.yaml alone (as
	// the OpenStack CLI would), and expects the same login each time.
	roundTrip := func(c *credentials.Credentials) {
		GinkgoHelper()
		d, err := credentials.SecretData(c)
		Expect(err).NotTo(HaveOccurred())
		got := parsed(d)
		Expect(got.AuthOptions()).To(Equal(c.AuthOptions()))
		Expect(tokenRequest(got)).To(Equal(tokenRequest(c)))
		Expect(got.Region).To(Equal(c.Region))
		Expect(got.Interface).To(Equal(credentials.InterfacePublic))

		cloudsOnly := parsed(map[string][]byte{credentials.KeyCloudsYAML: d[credentials.KeyCloudsYAML], credentials.KeyCloud: d[credentials.KeyCloud]})
		Expect(cloudsOnly.AuthOptions()).To(Equal(c.AuthOptions()), "the clouds.yaml alone logs in the same way")
		Expect(cloudsOnly.Region).To(Equal(c.Region))
	}

	// The two forms the reseller's bindings write.
	It("round-trips a password login scoped to a project", func() {
		roundTrip(&credentials.Credentials{
			AuthURL: authURL, Region: "RegionA", DomainName: "d-reseller", UserDomainName: "d-reseller",
			ProjectID: "p-1", ProjectName: "d-reseller-proj", Username: "alice@ctl.k8s", Password: password,
		})
	})

	It("round-trips an application credential, with the project keys provider-openstack wants", func() {
		c := &credentials.Credentials{
			AuthURL: authURL, Region: "RegionA", DomainName: "d-reseller", ProjectID: "p-1", ProjectName: "d-reseller-proj",
			ApplicationCredentialID: "ac-1", ApplicationCredentialSecret: appCredSecret,
		}
		roundTrip(c)
		d, err := credentials.SecretData(c)
		Expect(err).NotTo(HaveOccurred())
		Expect(d).To(HaveKey(credentials.KeyTenantID))
		Expect(d).NotTo(HaveKey(credentials.KeyPassword))
	})

	It("round-trips TLS settings and an application credential given by name", func() {
		roundTrip(&credentials.Credentials{
			AuthURL: authURL, Username: "alice", UserDomainID: "ud-1",
			ApplicationCredentialName: "ac", ApplicationCredentialSecret: appCredSecret,
			CACert: certPEM, Insecure: true, ClientCert: certPEM, ClientKey: keyPEM,
		})
		d, err := credentials.SecretData(&credentials.Credentials{AuthURL: authURL, ApplicationCredentialID: "ac-1",
			ApplicationCredentialSecret: appCredSecret, CACert: certPEM, Insecure: true, ClientCert: certPEM, ClientKey: keyPEM})
		Expect(err).NotTo(HaveOccurred())
		tlsConfig, err := parsed(d).TLSConfig()
		Expect(err).NotTo(HaveOccurred())
		Expect(tlsConfig.InsecureSkipVerify).To(BeTrue())
		Expect(tlsConfig.RootCAs).NotTo(BeNil())
		Expect(tlsConfig.Certificates).To(HaveLen(1))
	})
})
