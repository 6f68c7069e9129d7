package credentials

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
)

// redacted stands in for a secret that is set.
const redacted = "<redacted>"

// view is what may be shown of Credentials: who logs in where, and whether each secret is set.
type view struct {
	AuthURL                     string `json:"authURL,omitempty"`
	DomainName                  string `json:"domainName,omitempty"`
	DomainID                    string `json:"domainID,omitempty"`
	ProjectName                 string `json:"projectName,omitempty"`
	ProjectID                   string `json:"projectID,omitempty"`
	Username                    string `json:"username,omitempty"`
	UserID                      string `json:"userID,omitempty"`
	Password                    string `json:"password,omitempty"`
	UserDomainName              string `json:"userDomainName,omitempty"`
	UserDomainID                string `json:"userDomainID,omitempty"`
	ApplicationCredentialID     string `json:"applicationCredentialID,omitempty"`
	ApplicationCredentialName   string `json:"applicationCredentialName,omitempty"`
	ApplicationCredentialSecret string `json:"applicationCredentialSecret,omitempty"`
	Region                      string `json:"region,omitempty"`
	Interface                   string `json:"interface,omitempty"`
	CACert                      string `json:"caCert,omitempty"`
	Insecure                    bool   `json:"insecure,omitempty"`
	ClientCert                  string `json:"clientCert,omitempty"`
	ClientKey                   string `json:"clientKey,omitempty"`
}

func (c Credentials) view() view {
	return view{
		AuthURL:    safeURL(c.AuthURL),
		DomainName: c.DomainName, DomainID: c.DomainID,
		ProjectName: c.ProjectName, ProjectID: c.ProjectID,
		Username: c.Username, UserID: c.UserID,
		Password:       mask(len(c.Password)),
		UserDomainName: c.UserDomainName, UserDomainID: c.UserDomainID,
		ApplicationCredentialID: c.ApplicationCredentialID, ApplicationCredentialName: c.ApplicationCredentialName,
		ApplicationCredentialSecret: mask(len(c.ApplicationCredentialSecret)),
		Region:                      c.Region,
		Interface:                   c.Interface,
		CACert:                      size(len(c.CACert)),
		Insecure:                    c.Insecure,
		ClientCert:                  size(len(c.ClientCert)),
		ClientKey:                   mask(len(c.ClientKey)),
	}
}

// String shows who logs in where; secrets show as <redacted> when set.
func (c Credentials) String() string {
	v := c.view()
	return fmt.Sprintf("Credentials{AuthURL:%s DomainName:%s DomainID:%s ProjectName:%s ProjectID:%s Username:%s UserID:%s Password:%s "+
		"UserDomainName:%s UserDomainID:%s ApplicationCredentialID:%s ApplicationCredentialName:%s ApplicationCredentialSecret:%s "+
		"Region:%s Interface:%s CACert:%s Insecure:%t ClientCert:%s ClientKey:%s}",
		v.AuthURL, v.DomainName, v.DomainID, v.ProjectName, v.ProjectID, v.Username, v.UserID, v.Password,
		v.UserDomainName, v.UserDomainID, v.ApplicationCredentialID, v.ApplicationCredentialName, v.ApplicationCredentialSecret,
		v.Region, v.Interface, v.CACert, v.Insecure, v.ClientCert, v.ClientKey)
}

// GoString makes %#v as safe as %v.
func (c Credentials) GoString() string { return "credentials." + c.String() }

// Format makes every fmt verb print the redacted form: without it, %x or %d would print the
// fields one by one.
func (c Credentials) Format(f fmt.State, verb rune) {
	s := c.String()
	switch {
	case verb == 'q':
		s = strconv.Quote(s)
	case verb == 'v' && f.Flag('#'):
		s = c.GoString()
	}
	_, _ = io.WriteString(f, s)
}

// MarshalJSON writes the redacted view, so credentials that reach a JSON log or an API response
// by accident do not carry their secrets. Credentials are not meant to be stored as JSON.
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.view()) }

// MarshalLog is logr's hook (klog structured logging): it logs the redacted view.
func (c Credentials) MarshalLog() any { return c.view() }

func mask(n int) string {
	if n == 0 {
		return ""
	}
	return redacted
}

func size(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("<%d bytes>", n)
}

// safeURL drops a URL's userinfo (a password may hide there) and its query.
func safeURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return redacted
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		return u.String() + " (userinfo/query removed)"
	}
	return s
}
