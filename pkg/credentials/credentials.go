// Package credentials reads OpenStack credentials from a Secret's data: the keys of gardener's
// provider-openstack (authURL, domainName, tenantName, username, password, application
// credentials, ...) or a clouds.yaml as the OpenStack CLI writes it. Errors name keys, never
// values, and a Credentials value never prints its secrets.
package credentials

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Secret keys, as gardener's provider-openstack names them (Region and UserID are ours).
const (
	KeyAuthURL                     = "authURL"
	KeyDomainName                  = "domainName"
	KeyDomainID                    = "domainID"
	KeyTenantName                  = "tenantName"
	KeyTenantID                    = "tenantID"
	KeyUsername                    = "username"
	KeyUserID                      = "userID"
	KeyPassword                    = "password"
	KeyUserDomainName              = "userDomainName"
	KeyUserDomainID                = "userDomainID"
	KeyApplicationCredentialID     = "applicationCredentialID"
	KeyApplicationCredentialName   = "applicationCredentialName"
	KeyApplicationCredentialSecret = "applicationCredentialSecret"
	KeyRegion                      = "region"
	KeyCACert                      = "caCert"
	KeyInsecure                    = "insecure"
	KeyClientCert                  = "clientCert"
	KeyClientKey                   = "clientKey"
	// KeyCloudsYAML holds a clouds.yaml; KeyCloud names the cloud in it to use.
	KeyCloudsYAML = "clouds.yaml"
	KeyCloud      = "cloud"
)

const redacted = "<redacted>"

// Credentials are what it takes to authenticate to one OpenStack project.
type Credentials struct {
	AuthURL string
	// DomainName/DomainID are the project's domain (provider-openstack keys domainName/domainID).
	DomainName, DomainID string
	// ProjectName/ProjectID are provider-openstack's tenantName/tenantID.
	ProjectName, ProjectID string
	Username, UserID       string
	Password               string
	// UserDomainName/UserDomainID default to the project's domain.
	UserDomainName, UserDomainID string

	ApplicationCredentialID, ApplicationCredentialName, ApplicationCredentialSecret string

	Region string
	// Interface is the catalog endpoint interface: public (default), internal or admin.
	Interface string

	CACert     []byte
	Insecure   bool
	ClientCert []byte
	ClientKey  []byte
}

// FromSecretData parses credentials; the error lists every problem by key.
func FromSecretData(data map[string][]byte) (*Credentials, error) {
	c, errs := Parse(data)
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return c, nil
}

// Parse reads credentials from a Secret's data: the provider-openstack keys, or a clouds.yaml
// (key "clouds.yaml", cloud chosen by key "cloud"). When both are given they must agree.
func Parse(data map[string][]byte) (*Credentials, field.ErrorList) {
	root := field.NewPath("data")
	_, hasClouds := data[KeyCloudsYAML]
	hasKeys := value(data, KeyAuthURL) != ""

	var fromKeys, fromClouds *Credentials
	var errs field.ErrorList
	if hasKeys || !hasClouds {
		fromKeys = fromProviderKeys(data)
		errs = append(errs, fromKeys.validate(root, keyPaths)...)
		errs = append(errs, validateTLSKeys(data, root)...)
	}
	if hasClouds {
		var cloudErrs field.ErrorList
		fromClouds, cloudErrs = fromCloudsYAML(data, root)
		errs = append(errs, cloudErrs...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	switch {
	case fromKeys != nil && fromClouds != nil:
		if err := agree(fromKeys, fromClouds, root); err != nil {
			return nil, field.ErrorList{err}
		}
		return fromKeys, nil
	case fromClouds != nil:
		return fromClouds, nil
	default:
		return fromKeys, nil
	}
}

func fromProviderKeys(data map[string][]byte) *Credentials {
	return &Credentials{
		AuthURL:                     value(data, KeyAuthURL),
		DomainName:                  value(data, KeyDomainName),
		DomainID:                    value(data, KeyDomainID),
		ProjectName:                 value(data, KeyTenantName),
		ProjectID:                   value(data, KeyTenantID),
		Username:                    value(data, KeyUsername),
		UserID:                      value(data, KeyUserID),
		Password:                    value(data, KeyPassword),
		UserDomainName:              value(data, KeyUserDomainName),
		UserDomainID:                value(data, KeyUserDomainID),
		ApplicationCredentialID:     value(data, KeyApplicationCredentialID),
		ApplicationCredentialName:   value(data, KeyApplicationCredentialName),
		ApplicationCredentialSecret: value(data, KeyApplicationCredentialSecret),
		Region:                      value(data, KeyRegion),
		CACert:                      raw(data, KeyCACert),
		Insecure:                    value(data, KeyInsecure) == "true",
		ClientCert:                  raw(data, KeyClientCert),
		ClientKey:                   raw(data, KeyClientKey),
	}
}

// fieldNames maps the credential fields to how the source (Secret keys or clouds.yaml) names them.
type fieldNames struct {
	authURL, domainName, domainID, projectName, projectID, username, userID, password string
	appCredID, appCredName, appCredSecret                                             string
	path                                                                              func(root *field.Path, name string) *field.Path
}

var keyPaths = fieldNames{
	authURL: KeyAuthURL, domainName: KeyDomainName, domainID: KeyDomainID, projectName: KeyTenantName, projectID: KeyTenantID,
	username: KeyUsername, userID: KeyUserID, password: KeyPassword, appCredID: KeyApplicationCredentialID,
	appCredName: KeyApplicationCredentialName, appCredSecret: KeyApplicationCredentialSecret,
	path: func(root *field.Path, name string) *field.Path { return root.Key(name) },
}

// validate checks that the credentials are complete and not contradictory. With an application
// credential, Keystone knows the project itself, so no domain or project is needed (the peer
// requires them anyway; we accept both).
func (c *Credentials) validate(root *field.Path, n fieldNames) field.ErrorList {
	var errs field.ErrorList
	p := func(name string) *field.Path { return n.path(root, name) }
	if c.AuthURL == "" {
		errs = append(errs, field.Required(p(n.authURL), "the Keystone URL is required"))
	} else if !strings.HasPrefix(c.AuthURL, "http://") && !strings.HasPrefix(c.AuthURL, "https://") {
		errs = append(errs, field.Invalid(p(n.authURL), "", "must be an http:// or https:// URL"))
	}
	switch {
	case c.Password != "" && c.ApplicationCredentialSecret != "":
		msg := fmt.Sprintf("give either %s or %s, not both", n.password, n.appCredSecret)
		errs = append(errs, field.Forbidden(p(n.password), msg), field.Forbidden(p(n.appCredSecret), msg))
	case c.Password != "":
		if c.Username == "" && c.UserID == "" {
			errs = append(errs, field.Required(p(n.username), fmt.Sprintf("%s or %s is required with %s", n.username, n.userID, n.password)))
		}
		if c.ProjectName == "" && c.ProjectID == "" {
			errs = append(errs, field.Required(p(n.projectName), fmt.Sprintf("one of %s or %s is required", n.projectName, n.projectID)))
		}
		noDomain := c.DomainName == "" && c.DomainID == ""
		noUserDomain := noDomain && c.UserDomainName == "" && c.UserDomainID == ""
		if (c.ProjectID == "" && noDomain) || (c.UserID == "" && noUserDomain) {
			errs = append(errs, field.Required(p(n.domainName), fmt.Sprintf("one of %s or %s is required", n.domainName, n.domainID)))
		}
	case c.ApplicationCredentialSecret != "":
		if c.ApplicationCredentialID == "" && (c.ApplicationCredentialName == "" || (c.Username == "" && c.UserID == "")) {
			errs = append(errs, field.Required(p(n.appCredID),
				fmt.Sprintf("%s, or %s with %s, is required with %s", n.appCredID, n.appCredName, n.username, n.appCredSecret)))
		}
	default:
		msg := fmt.Sprintf("give either %s or %s", n.password, n.appCredSecret)
		errs = append(errs, field.Required(p(n.password), msg), field.Required(p(n.appCredSecret), msg))
	}
	return errs
}

func validateTLSKeys(data map[string][]byte, root *field.Path) field.ErrorList {
	var errs field.ErrorList
	if v, ok := data[KeyInsecure]; ok {
		if s := strings.TrimSpace(string(v)); s != "true" && s != "false" {
			errs = append(errs, field.NotSupported(root.Key(KeyInsecure), redacted, []string{"true", "false"}))
		}
	}
	if (len(raw(data, KeyClientCert)) == 0) != (len(raw(data, KeyClientKey)) == 0) {
		errs = append(errs, field.Required(root.Key(KeyClientKey), fmt.Sprintf("%s and %s go together", KeyClientCert, KeyClientKey)))
	}
	if ca := raw(data, KeyCACert); len(ca) > 0 && !x509.NewCertPool().AppendCertsFromPEM(ca) {
		errs = append(errs, field.Invalid(root.Key(KeyCACert), redacted, "not a PEM certificate"))
	}
	return errs
}

// agree checks that the provider-openstack keys and the clouds.yaml describe the same login.
func agree(keys, clouds *Credentials, root *field.Path) *field.Error {
	same := keys.AuthURL == clouds.AuthURL &&
		keys.Username == clouds.Username && keys.UserID == clouds.UserID &&
		keys.ProjectName == clouds.ProjectName && keys.ProjectID == clouds.ProjectID &&
		keys.ApplicationCredentialID == clouds.ApplicationCredentialID &&
		(keys.Region == "" || clouds.Region == "" || keys.Region == clouds.Region)
	if same {
		return nil
	}
	return field.Forbidden(root.Key(KeyCloudsYAML),
		fmt.Sprintf("describes another login than %s/%s/%s; keep one of them or make them agree", KeyAuthURL, KeyUsername, KeyTenantName))
}

// AuthOptions are the gophercloud options for these credentials. Unlike the peer driver it uses
// every key it reads: the user's domain (userDomain*, else the project's domain) and the project
// scope (tenantID, or tenantName within domainName/domainID) are set separately.
func (c *Credentials) AuthOptions() gophercloud.AuthOptions {
	opts := gophercloud.AuthOptions{IdentityEndpoint: c.AuthURL, AllowReauth: true}
	if c.ApplicationCredentialSecret != "" {
		opts.ApplicationCredentialID = c.ApplicationCredentialID
		opts.ApplicationCredentialName = c.ApplicationCredentialName
		opts.ApplicationCredentialSecret = c.ApplicationCredentialSecret
		if c.ApplicationCredentialID == "" {
			opts.Username, opts.UserID = c.Username, c.UserID
			opts.DomainName, opts.DomainID = c.userDomain()
		}
		return opts
	}
	opts.Username, opts.UserID, opts.Password = c.Username, c.UserID, c.Password
	if c.UserID == "" {
		opts.DomainName, opts.DomainID = c.userDomain()
	}
	scope := &gophercloud.AuthScope{ProjectID: c.ProjectID}
	if c.ProjectID == "" {
		scope.ProjectName = c.ProjectName
		if c.DomainID != "" {
			scope.DomainID = c.DomainID
		} else {
			scope.DomainName = c.DomainName
		}
	}
	opts.Scope = scope
	return opts
}

// userDomain returns the user's domain as (name, id), exactly one of them set.
func (c *Credentials) userDomain() (string, string) {
	switch {
	case c.UserDomainID != "":
		return "", c.UserDomainID
	case c.UserDomainName != "":
		return c.UserDomainName, ""
	case c.DomainID != "":
		return "", c.DomainID
	default:
		return c.DomainName, ""
	}
}

// TLSConfig is the TLS configuration for Keystone and the services; nil when nothing is set.
func (c *Credentials) TLSConfig() (*tls.Config, error) {
	if len(c.CACert) == 0 && !c.Insecure && len(c.ClientCert) == 0 {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.Insecure} //nolint:gosec // only when the Secret asks for it
	if len(c.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(c.CACert) {
			return nil, errors.New(KeyCACert + " holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	if len(c.ClientCert) > 0 {
		pair, err := tls.X509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			return nil, errors.New(KeyClientCert + " and " + KeyClientKey + " do not form a key pair")
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// CacheKey identifies these exact credentials (a rotated password gives another key). It is a
// hash: the secrets cannot be read back from it.
func (c *Credentials) CacheKey() string {
	h := sha256.New()
	for _, part := range []string{c.AuthURL, c.DomainName, c.DomainID, c.ProjectName, c.ProjectID, c.Username, c.UserID,
		c.Password, c.UserDomainName, c.UserDomainID, c.ApplicationCredentialID, c.ApplicationCredentialName,
		c.ApplicationCredentialSecret, c.Region, c.Interface, string(c.CACert), fmt.Sprint(c.Insecure), string(c.ClientCert), string(c.ClientKey)} {
		_, _ = io.WriteString(h, part)
		_, _ = h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// String shows who logs in where, never a secret.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{AuthURL:%s User:%s%s Project:%s%s Domain:%s%s AppCred:%s%s Region:%s Password:%s AppCredSecret:%s ClientKey:%s}",
		c.AuthURL, c.Username, c.UserID, c.ProjectName, c.ProjectID, c.DomainName, c.DomainID,
		c.ApplicationCredentialID, c.ApplicationCredentialName, c.Region,
		mask(c.Password), mask(c.ApplicationCredentialSecret), mask(string(c.ClientKey)))
}

// GoString keeps %#v as safe as %v.
func (c Credentials) GoString() string { return c.String() }

// Format makes every verb (%v, %+v, %#v, %s, %q) print the redacted form.
func (c Credentials) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, c.String()) }

func mask(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// value is a Secret value with the surrounding whitespace that `kubectl create secret
// --from-file` and editors add removed.
func value(data map[string][]byte, key string) string {
	return strings.TrimSpace(string(data[key]))
}

func raw(data map[string][]byte, key string) []byte {
	v := data[key]
	if len(strings.TrimSpace(string(v))) == 0 {
		return nil
	}
	return v
}
