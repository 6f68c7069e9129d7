package credentials

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// SecretData is the writer for Parse: it renders c as a Secret's data in both forms Parse reads,
// the provider-openstack keys (for this driver and provider-openstack) and a clouds.yaml with
// the same login as cloud "openstack" (for the OpenStack CLI and other tools), so that Parse of
// the result authenticates as c does. The keys and the clouds.yaml are written here, next to
// the reader's constants, so the two cannot drift apart.
//
// Only fields c sets are written. The project and its domain go into the keys for either auth
// method (provider-openstack requires them); the clouds.yaml of an application credential
// leaves them out, since Keystone rejects an explicit scope for one. TLS settings are written
// as keys only: a clouds.yaml names certificate files, not certificates.
func SecretData(c *Credentials) (map[string][]byte, error) {
	keys := map[string]string{
		KeyAuthURL:    c.AuthURL,
		KeyRegion:     c.Region,
		KeyDomainName: c.DomainName,
		KeyDomainID:   c.DomainID,
		KeyTenantName: c.ProjectName,
		KeyTenantID:   c.ProjectID,
	}
	auth := map[string]string{"auth_url": c.AuthURL}
	cloud := map[string]any{"interface": InterfacePublic, "identity_api_version": 3}
	if c.Interface != "" {
		cloud["interface"] = c.Interface
	}
	if c.Region != "" {
		cloud["region_name"] = c.Region
	}
	user := func() {
		keys[KeyUsername], keys[KeyUserID] = c.Username, c.UserID
		keys[KeyUserDomainName], keys[KeyUserDomainID] = c.UserDomainName, c.UserDomainID
		auth["username"], auth["user_id"] = c.Username, c.UserID
		auth["user_domain_name"], auth["user_domain_id"] = c.UserDomainName, c.UserDomainID
	}
	if c.usesAppCred() {
		keys[KeyApplicationCredentialID] = c.ApplicationCredentialID
		keys[KeyApplicationCredentialName] = c.ApplicationCredentialName
		keys[KeyApplicationCredentialSecret] = c.ApplicationCredentialSecret
		auth["application_credential_id"] = c.ApplicationCredentialID
		auth["application_credential_name"] = c.ApplicationCredentialName
		auth["application_credential_secret"] = c.ApplicationCredentialSecret
		if c.ApplicationCredentialID == "" {
			user() // a credential given by name is the named user's
		}
		cloud["auth_type"] = appCredAuthTypes[0]
	} else {
		user()
		keys[KeyPassword] = c.Password
		auth["password"] = c.Password
		auth["project_id"], auth["project_name"] = c.ProjectID, c.ProjectName
		auth["project_domain_name"], auth["project_domain_id"] = c.DomainName, c.DomainID
		cloud["auth_type"] = passwordAuthTypes[0]
	}
	for k, v := range auth {
		if v == "" {
			delete(auth, k)
		}
	}
	cloud["auth"] = auth
	clouds, err := yaml.Marshal(map[string]any{"clouds": map[string]any{defaultCloudName: cloud}})
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", KeyCloudsYAML, err)
	}

	out := map[string][]byte{KeyCloudsYAML: clouds, KeyCloud: []byte(defaultCloudName)}
	for k, v := range keys {
		if v != "" {
			out[k] = []byte(v)
		}
	}
	if len(c.CACert) > 0 {
		out[KeyCACert] = c.CACert
	}
	if c.Insecure {
		out[KeyInsecure] = []byte("true")
	}
	if len(c.ClientCert) > 0 || len(c.ClientKey) > 0 {
		out[KeyClientCert], out[KeyClientKey] = c.ClientCert, c.ClientKey
	}
	return out, nil
}
