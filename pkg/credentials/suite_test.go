package credentials_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestCredentials(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "credentials")
}

// Secret fixture values. Every test that prints or fails checks that none of them shows.
const (
	password      = "pw-S3CRET-4c1f9e"
	appCredSecret = "ac-S3CRET-77d0b2"
	secretMarker  = "S3CRET"
	authURL       = "https://keystone.pco.example/v3"
)

// certPEM and keyPEM are a self-signed client certificate and its key; keyMarker is a piece of
// the key's base64 body, to look for in output.
var certPEM, keyPEM []byte
var keyMarker string

func init() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "machine-controller"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		panic(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	keyMarker = string(keyPEM[40:80]) // inside the base64 body, past the BEGIN line
}

// data builds a Secret's data from key/value pairs.
func data(kv ...string) map[string][]byte {
	m := map[string][]byte{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return m
}

// with returns a copy of d with more keys.
func with(d map[string][]byte, kv ...string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range d {
		out[k] = v
	}
	for k, v := range data(kv...) {
		out[k] = v
	}
	return out
}

// without returns a copy of d without some keys.
func without(d map[string][]byte, keys ...string) map[string][]byte {
	out := with(d)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// errorsAt lists "path type" of each error.
func errorsAt(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Field+" "+string(e.Type))
	}
	return out
}

// expectNoSecret fails when s shows any secret fixture.
func expectNoSecret(s string) {
	GinkgoHelper()
	Expect(s).NotTo(ContainSubstring(secretMarker))
	Expect(s).NotTo(ContainSubstring(keyMarker))
}

const (
	required     = string(field.ErrorTypeRequired)
	invalid      = string(field.ErrorTypeInvalid)
	forbidden    = string(field.ErrorTypeForbidden)
	notSupported = string(field.ErrorTypeNotSupported)
)
