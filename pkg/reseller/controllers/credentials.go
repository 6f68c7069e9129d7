package controllers

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// machineCredentials is what a binding writes for MachineClasses: the keys of gardener's
// provider-openstack (which this project's driver reads) and the same login as a clouds.yaml
// (cloud "openstack"), for the OpenStack CLI and other tools.
type machineCredentials struct {
	authURL, region, domain  string
	projectID, projectName   string
	username, password       string
	appCredID, appCredSecret string
}

func (m machineCredentials) secretData() (map[string][]byte, error) {
	data := map[string]string{
		"authURL":    m.authURL,
		"region":     m.region,
		"domainName": m.domain,
		"tenantID":   m.projectID,
		"tenantName": m.projectName,
	}
	auth := map[string]string{"auth_url": m.authURL}
	cloud := map[string]any{"region_name": m.region, "interface": "public", "identity_api_version": 3}
	if m.appCredSecret != "" {
		data["applicationCredentialID"] = m.appCredID
		data["applicationCredentialSecret"] = m.appCredSecret
		auth["application_credential_id"] = m.appCredID
		auth["application_credential_secret"] = m.appCredSecret
		cloud["auth_type"] = "v3applicationcredential"
	} else {
		data["username"] = m.username
		data["password"] = m.password
		data["userDomainName"] = m.domain
		auth["username"] = m.username
		auth["password"] = m.password
		auth["user_domain_name"] = m.domain
		auth["project_id"] = m.projectID
		auth["project_name"] = m.projectName
		auth["project_domain_name"] = m.domain
		cloud["auth_type"] = "password"
	}
	cloud["auth"] = auth
	clouds, err := yaml.Marshal(map[string]any{"clouds": map[string]any{"openstack": cloud}})
	if err != nil {
		return nil, fmt.Errorf("writing clouds.yaml: %w", err)
	}
	out := map[string][]byte{"clouds.yaml": clouds, "cloud": []byte("openstack")}
	for k, v := range data {
		out[k] = []byte(v)
	}
	return out, nil
}
