package controllers

import "github.com/pco-mcm/mcm-provider-pco/pkg/credentials"

// machineCredentials is the login a binding writes into <binding>-credentials for
// MachineClasses: the application credential when there is one (appCredSecret set), else the
// user's password scoped to the project. credentials.SecretData renders it in the keys this
// project's driver reads.
func machineCredentials(p *bindingParts, appCredID, appCredSecret string) *credentials.Credentials {
	c := &credentials.Credentials{
		AuthURL: p.conn.authURL, Region: p.conn.osRegion, DomainName: p.conn.domain,
		ProjectID: p.project.Status.ProjectID, ProjectName: p.project.Status.OpenStackName,
	}
	if appCredSecret != "" {
		c.ApplicationCredentialID, c.ApplicationCredentialSecret = appCredID, appCredSecret
		return c
	}
	c.Username, c.Password, c.UserDomainName = p.username, p.password, p.conn.domain
	return c
}
