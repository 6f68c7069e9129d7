// Package credentials reads OpenStack credentials from a Secret's data: the keys of gardener's
// machine-controller-manager-provider-openstack (authURL, domainName, tenantName, username,
// password, application credentials, ...), unchanged, or a clouds.yaml as the OpenStack CLI and
// Horizon write it.
//
// Secret values never leave this package in readable form: errors name keys, never values, and
// Credentials prints, logs and marshals with its secrets redacted.
package credentials

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Secret keys. All but KeyUserID, KeyRegion, KeyCloudsYAML and KeyCloud are provider-openstack's.
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

// Endpoint interfaces of the service catalog.
const (
	InterfacePublic   = "public"
	InterfaceInternal = "internal"
	InterfaceAdmin    = "admin"
)

// Credentials are what it takes to authenticate to one OpenStack project: a user's password or
// an application credential, plus the TLS settings for reaching the cloud.
//
// Print, log or marshal a Credentials freely: String, GoString, Format, MarshalJSON and
// MarshalLog redact Password, ApplicationCredentialSecret and ClientKey. (A Credentials kept in
// an unexported field of another struct is printed by fmt field by field, bypassing these
// methods: keep a pointer and do not print the holder with %v.)
type Credentials struct {
	// AuthURL is the Keystone v3 endpoint.
	AuthURL string
	// DomainName/DomainID are the project's domain (provider-openstack's domainName/domainID).
	DomainName, DomainID string
	// ProjectName/ProjectID are provider-openstack's tenantName/tenantID.
	ProjectName, ProjectID string
	Username, UserID       string
	Password               string
	// UserDomainName/UserDomainID are the user's domain; when unset, the project's domain.
	UserDomainName, UserDomainID string

	ApplicationCredentialID, ApplicationCredentialName, ApplicationCredentialSecret string

	// Region is the region these credentials are for; empty when the Secret does not say.
	Region string

	// CACert holds PEM certificates to trust in addition to none (it replaces the system pool).
	CACert []byte
	// Insecure skips verifying the cloud's certificates.
	Insecure bool
	// ClientCert and ClientKey are a PEM client certificate and key for mutual TLS.
	ClientCert, ClientKey []byte

	// Interface is the catalog endpoint interface: public (the default), internal or admin.
	Interface string
}

// FromSecretData is Parse with the problems as one error (field.ErrorList.ToAggregate).
func FromSecretData(data map[string][]byte) (*Credentials, error) {
	c, errs := Parse(data)
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return c, nil
}

// Parse reads credentials from a Secret's data and returns every problem at once, each at the
// key it concerns ("data[password]", "data[clouds.yaml].clouds[pco].auth.auth_url").
//
// The credentials come from the provider-openstack keys (when authURL is set or there is no
// clouds.yaml) and/or from the key clouds.yaml; when both are given, each must be complete and
// they must describe the same login. caCert, insecure, clientCert and clientKey apply to both
// forms. Values are trimmed, as `kubectl create secret --from-file` leaves a trailing newline.
// Keys this package does not know (userData, for one) are ignored.
func Parse(data map[string][]byte) (*Credentials, field.ErrorList) {
	root := field.NewPath("data")
	hasClouds := !blank(data[KeyCloudsYAML])
	hasKeys := !blank(data[KeyAuthURL])

	tlsKeys, errs := parseTLS(data, root)
	var fromKeys, fromClouds *Credentials
	var cloudsNames names
	if hasKeys || !hasClouds {
		fromKeys = readKeys(data)
		errs = append(errs, fromKeys.validate(keyNames(root))...)
	}
	if hasClouds {
		var cloudErrs field.ErrorList
		fromClouds, cloudsNames, cloudErrs = parseCloudsYAML(data, root, tlsKeys)
		errs = append(errs, cloudErrs...)
	} else if !blank(data[KeyCloud]) {
		errs = append(errs, field.Forbidden(root.Key(KeyCloud), "names a cloud, but there is no "+KeyCloudsYAML+" key"))
	}
	if len(errs) > 0 {
		return nil, errs
	}

	c := fromKeys
	switch {
	case fromKeys != nil && fromClouds != nil:
		if errs := agree(fromKeys, fromClouds, keyNames(root), cloudsNames); len(errs) > 0 {
			return nil, errs
		}
		if c.Region == "" {
			c.Region = fromClouds.Region
		}
		c.Interface = fromClouds.Interface
	case fromClouds != nil:
		c = fromClouds
	}
	c.CACert, c.ClientCert, c.ClientKey = tlsKeys.caCert, tlsKeys.clientCert, tlsKeys.clientKey
	c.Insecure = tlsKeys.insecure || (fromClouds != nil && fromClouds.Insecure)
	if c.Interface == "" {
		c.Interface = InterfacePublic
	}
	return c, nil
}

func readKeys(data map[string][]byte) *Credentials {
	v := func(key string) string { return strings.TrimSpace(string(data[key])) }
	return &Credentials{
		AuthURL:                     v(KeyAuthURL),
		DomainName:                  v(KeyDomainName),
		DomainID:                    v(KeyDomainID),
		ProjectName:                 v(KeyTenantName),
		ProjectID:                   v(KeyTenantID),
		Username:                    v(KeyUsername),
		UserID:                      v(KeyUserID),
		Password:                    v(KeyPassword),
		UserDomainName:              v(KeyUserDomainName),
		UserDomainID:                v(KeyUserDomainID),
		ApplicationCredentialID:     v(KeyApplicationCredentialID),
		ApplicationCredentialName:   v(KeyApplicationCredentialName),
		ApplicationCredentialSecret: v(KeyApplicationCredentialSecret),
		Region:                      v(KeyRegion),
	}
}

// tlsSettings are the TLS keys, shared by both forms of credentials.
type tlsSettings struct {
	caCert, clientCert, clientKey []byte
	insecure                      bool
	// insecureSet tells whether the insecure key was given at all (to detect a clouds.yaml
	// "verify" that says the opposite).
	insecureSet bool
}

func parseTLS(data map[string][]byte, root *field.Path) (tlsSettings, field.ErrorList) {
	var s tlsSettings
	var errs field.ErrorList
	if v, ok := data[KeyInsecure]; ok {
		switch strings.TrimSpace(string(v)) {
		case "true":
			s.insecure, s.insecureSet = true, true
		case "false":
			s.insecureSet = true
		default:
			errs = append(errs, field.NotSupported(root.Key(KeyInsecure), field.OmitValueType{}, []string{"true", "false"}))
		}
	}
	if !blank(data[KeyCACert]) {
		s.caCert = data[KeyCACert]
		if !x509.NewCertPool().AppendCertsFromPEM(s.caCert) {
			errs = append(errs, field.Invalid(root.Key(KeyCACert), field.OmitValueType{}, "holds no PEM certificate"))
		}
	}
	hasCert, hasKey := !blank(data[KeyClientCert]), !blank(data[KeyClientKey])
	switch {
	case hasCert && !hasKey:
		errs = append(errs, field.Required(root.Key(KeyClientKey), "the key of "+KeyClientCert+" is required"))
	case hasKey && !hasCert:
		errs = append(errs, field.Required(root.Key(KeyClientCert), "the certificate for "+KeyClientKey+" is required"))
	case hasCert && hasKey:
		s.clientCert, s.clientKey = data[KeyClientCert], data[KeyClientKey]
		// The parser's error may describe the key material; it is not passed on.
		if _, err := tls.X509KeyPair(s.clientCert, s.clientKey); err != nil {
			errs = append(errs, field.Invalid(root.Key(KeyClientCert), field.OmitValueType{},
				"is not a PEM certificate that matches the PEM key in "+KeyClientKey))
		}
	}
	return s, errs
}

// Auth methods a source of credentials can insist on.
const (
	methodPassword = "password"
	methodAppCred  = "appcred"
)

// names are how a source of credentials (the Secret's keys or a clouds.yaml) calls each field,
// so one set of rules reports errors in the user's own terms.
type names struct {
	path                                                        func(name string) *field.Path
	authURL, username, userID, password, projectName, projectID string
	domainName, domainID, userDomainName, userDomainID, region  string
	appCredID, appCredName, appCredSecret                       string
	projectDomainHint, userDomainHint                           string
	// method is the auth method the source insists on (methodPassword, methodAppCred), or ""
	// when the fields given decide.
	method string
}

func keyNames(root *field.Path) names {
	return names{
		path:    func(name string) *field.Path { return root.Key(name) },
		authURL: KeyAuthURL, username: KeyUsername, userID: KeyUserID, password: KeyPassword,
		projectName: KeyTenantName, projectID: KeyTenantID, domainName: KeyDomainName, domainID: KeyDomainID,
		userDomainName: KeyUserDomainName, userDomainID: KeyUserDomainID, region: KeyRegion,
		appCredID: KeyApplicationCredentialID, appCredName: KeyApplicationCredentialName,
		appCredSecret:     KeyApplicationCredentialSecret,
		projectDomainHint: KeyDomainName + " or " + KeyDomainID,
		userDomainHint:    KeyUserDomainName + ", " + KeyUserDomainID + ", " + KeyDomainName + " or " + KeyDomainID,
	}
}

// validate checks that c is complete and unambiguous. It asks for a domain only where Keystone
// needs one: a project given by name needs its domain, a user given by name needs theirs. With an
// application credential Keystone knows the project itself, so none of tenant*/domain* is needed
// (the peer requires them anyway; Secrets written for it still have them and still work).
func (c *Credentials) validate(n names) field.ErrorList {
	var errs field.ErrorList
	if c.AuthURL == "" {
		errs = append(errs, field.Required(n.path(n.authURL), "the Keystone URL is required"))
	} else if problem := checkAuthURL(c.AuthURL); problem != "" {
		errs = append(errs, field.Invalid(n.path(n.authURL), field.OmitValueType{}, problem))
	}

	hasUserDomain := c.UserDomainName != "" || c.UserDomainID != "" || c.DomainName != "" || c.DomainID != ""
	switch {
	case c.Password != "" && c.ApplicationCredentialSecret != "":
		msg := fmt.Sprintf("give either %s or %s, not both", n.password, n.appCredSecret)
		errs = append(errs, field.Forbidden(n.path(n.password), msg), field.Forbidden(n.path(n.appCredSecret), msg))
	case c.Password != "":
		if c.Username == "" && c.UserID == "" {
			errs = append(errs, field.Required(n.path(n.username), fmt.Sprintf("%s or %s is required with %s", n.username, n.userID, n.password)))
		} else if c.UserID == "" && !hasUserDomain {
			errs = append(errs, field.Required(n.path(n.domainName),
				fmt.Sprintf("the domain of user %s is required: give %s", n.username, n.userDomainHint)))
		}
		switch {
		case c.ProjectName == "" && c.ProjectID == "":
			errs = append(errs, field.Required(n.path(n.projectName), fmt.Sprintf("%s or %s is required", n.projectName, n.projectID)))
		case c.ProjectID == "" && c.DomainName == "" && c.DomainID == "":
			errs = append(errs, field.Required(n.path(n.domainName),
				fmt.Sprintf("the domain of project %s is required: give %s", n.projectName, n.projectDomainHint)))
		}
	case c.ApplicationCredentialSecret != "":
		switch {
		case c.ApplicationCredentialID != "":
		case c.ApplicationCredentialName == "" || (c.Username == "" && c.UserID == ""):
			errs = append(errs, field.Required(n.path(n.appCredID), fmt.Sprintf("%s, or %s with %s or %s, is required with %s",
				n.appCredID, n.appCredName, n.username, n.userID, n.appCredSecret)))
		case c.UserID == "" && !hasUserDomain:
			errs = append(errs, field.Required(n.path(n.domainName),
				fmt.Sprintf("the domain of user %s is required: give %s", n.username, n.userDomainHint)))
		}
	case n.method == methodPassword:
		errs = append(errs, field.Required(n.path(n.password), "the password is required"))
	case n.method == methodAppCred:
		errs = append(errs, field.Required(n.path(n.appCredSecret), "the application credential's secret is required"))
	default:
		msg := fmt.Sprintf("give %s or %s", n.password, n.appCredSecret)
		errs = append(errs, field.Required(n.path(n.password), msg), field.Required(n.path(n.appCredSecret), msg))
	}
	return errs
}

// checkAuthURL returns what is wrong with a Keystone URL, in words that do not repeat it (it is
// not secret, but a pasted URL may carry a password in its userinfo).
func checkAuthURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must be an https:// (or http://) URL"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		return "must not carry user information; use the username and password keys"
	}
	return ""
}

// usesAppCred tells which method the credentials authenticate with.
func (c *Credentials) usesAppCred() bool { return c.ApplicationCredentialSecret != "" }

// agree checks that the provider-openstack keys and the clouds.yaml describe the same login, so
// a half-rotated Secret is an error instead of a coin toss. Only fields both give are compared;
// errors name both places, never a value.
func agree(keys, clouds *Credentials, kn, cn names) field.ErrorList {
	var errs field.ErrorList
	differ := func(cloudsName, keyName string) {
		errs = append(errs, field.Invalid(cn.path(cloudsName), field.OmitValueType{},
			fmt.Sprintf("differs from %s; give one form of credentials or make them agree", kn.path(keyName))))
	}
	if keys.usesAppCred() != clouds.usesAppCred() {
		cloudsMethod, keyMethod := cn.password, kn.appCredSecret
		if clouds.usesAppCred() {
			cloudsMethod, keyMethod = cn.appCredSecret, kn.password
		}
		errs = append(errs, field.Invalid(cn.path(cloudsMethod), field.OmitValueType{},
			fmt.Sprintf("authenticates another way than %s; give one form of credentials or make them agree", kn.path(keyMethod))))
	}
	if strings.TrimRight(keys.AuthURL, "/") != strings.TrimRight(clouds.AuthURL, "/") {
		differ(cn.authURL, kn.authURL)
	}
	for _, f := range []struct {
		keys, clouds      string
		keyName, cloudsAs string
	}{
		{keys.Username, clouds.Username, kn.username, cn.username},
		{keys.UserID, clouds.UserID, kn.userID, cn.userID},
		{keys.ProjectName, clouds.ProjectName, kn.projectName, cn.projectName},
		{keys.ProjectID, clouds.ProjectID, kn.projectID, cn.projectID},
		{keys.DomainName, clouds.DomainName, kn.domainName, cn.domainName},
		{keys.DomainID, clouds.DomainID, kn.domainID, cn.domainID},
		{keys.UserDomainName, clouds.UserDomainName, kn.userDomainName, cn.userDomainName},
		{keys.UserDomainID, clouds.UserDomainID, kn.userDomainID, cn.userDomainID},
		{keys.ApplicationCredentialID, clouds.ApplicationCredentialID, kn.appCredID, cn.appCredID},
		{keys.ApplicationCredentialName, clouds.ApplicationCredentialName, kn.appCredName, cn.appCredName},
		{keys.Region, clouds.Region, kn.region, cn.region},
	} {
		if f.keys != "" && f.clouds != "" && f.keys != f.clouds {
			differ(f.cloudsAs, f.keyName)
		}
	}
	for _, f := range []struct {
		keys, clouds      string
		keyName, cloudsAs string
	}{
		{keys.Password, clouds.Password, kn.password, cn.password},
		{keys.ApplicationCredentialSecret, clouds.ApplicationCredentialSecret, kn.appCredSecret, cn.appCredSecret},
	} {
		if f.keys != "" && f.clouds != "" && subtle.ConstantTimeCompare([]byte(f.keys), []byte(f.clouds)) != 1 {
			differ(f.cloudsAs, f.keyName)
		}
	}
	return errs
}

// AuthOptions are the gophercloud options for a Keystone v3 token request with these
// credentials. Unlike the peer driver, it uses every key it reads:
//
//   - password: the user by userID, or by username within the user's domain (userDomainID,
//     userDomainName, else the project's domainID, domainName); the token is scoped to the
//     project by tenantID, or by tenantName within domainID/domainName. The user's and the
//     project's domain are sent separately, so a user of one domain can work in a project of
//     another.
//   - application credential: by ID, or by name with the user (as above); no scope, since
//     Keystone scopes application credentials itself and rejects an explicit scope.
//
// IDs win over names when both are given. AllowReauth is set, so gophercloud renews an expired
// token by itself.
func (c *Credentials) AuthOptions() gophercloud.AuthOptions {
	opts := gophercloud.AuthOptions{IdentityEndpoint: c.AuthURL, AllowReauth: true}
	if c.usesAppCred() {
		opts.ApplicationCredentialSecret = c.ApplicationCredentialSecret
		if c.ApplicationCredentialID != "" {
			opts.ApplicationCredentialID = c.ApplicationCredentialID
			return opts
		}
		opts.ApplicationCredentialName = c.ApplicationCredentialName
		c.setUser(&opts)
		return opts
	}
	opts.Password = c.Password
	c.setUser(&opts)
	if c.ProjectID != "" {
		opts.Scope = &gophercloud.AuthScope{ProjectID: c.ProjectID}
	} else {
		opts.Scope = &gophercloud.AuthScope{ProjectName: c.ProjectName, DomainID: c.DomainID}
		if c.DomainID == "" {
			opts.Scope.DomainName = c.DomainName
		}
	}
	return opts
}

// setUser names the user: by ID alone (gophercloud refuses an ID together with a name or a
// domain), or by name within the user's domain.
func (c *Credentials) setUser(opts *gophercloud.AuthOptions) {
	if c.UserID != "" {
		opts.UserID = c.UserID
		return
	}
	opts.Username = c.Username
	switch {
	case c.UserDomainID != "":
		opts.DomainID = c.UserDomainID
	case c.UserDomainName != "":
		opts.DomainName = c.UserDomainName
	case c.DomainID != "":
		opts.DomainID = c.DomainID
	default:
		opts.DomainName = c.DomainName
	}
}

// TLSConfig is the TLS configuration for talking to the cloud, or nil when the credentials set
// nothing (the caller's defaults, system roots included, apply). Its errors do not quote the
// certificate or key.
func (c *Credentials) TLSConfig() (*tls.Config, error) {
	if len(c.CACert) == 0 && !c.Insecure && len(c.ClientCert) == 0 && len(c.ClientKey) == 0 {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.Insecure {
		cfg.InsecureSkipVerify = true // only when the Secret asks for it
	}
	if len(c.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(c.CACert) {
			return nil, errors.New(KeyCACert + " holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	if len(c.ClientCert) > 0 || len(c.ClientKey) > 0 {
		pair, err := tls.X509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			return nil, errors.New(KeyClientCert + " and " + KeyClientKey + " are not a matching PEM certificate and key")
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// cacheKeySalt is drawn once per process. With it, a CacheKey that ends up in a log or a heap
// dump cannot be used to test password guesses offline, as a plain hash of the fields could.
var cacheKeySalt = func() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("credentials: no randomness for the cache key salt: " + err.Error())
	}
	return b
}()

// CacheKey identifies these exact credentials within this process: it is an HMAC-SHA256 (hex)
// over every field, so rotating any of them (a new password, a new CA) gives a new key, and it
// cannot be turned back into the credentials. It is not stable across restarts.
func (c *Credentials) CacheKey() string {
	h := hmac.New(sha256.New, cacheKeySalt)
	insecure := "false"
	if c.Insecure {
		insecure = "true"
	}
	for _, part := range [][]byte{
		[]byte(c.AuthURL), []byte(c.DomainName), []byte(c.DomainID), []byte(c.ProjectName), []byte(c.ProjectID),
		[]byte(c.Username), []byte(c.UserID), []byte(c.Password), []byte(c.UserDomainName), []byte(c.UserDomainID),
		[]byte(c.ApplicationCredentialID), []byte(c.ApplicationCredentialName), []byte(c.ApplicationCredentialSecret),
		[]byte(c.Region), c.CACert, []byte(insecure), c.ClientCert, c.ClientKey, []byte(c.Interface),
	} {
		// Length-prefixed, so no two different sets of fields hash the same input.
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func blank(b []byte) bool { return len(strings.TrimSpace(string(b))) == 0 }
