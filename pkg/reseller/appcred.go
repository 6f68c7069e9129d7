package reseller

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/applicationcredentials"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// KeystoneUser is a user made through the Reseller API, logging in to Keystone with its
// password, scoped to ProjectID. AuthURL is Keystone's (https://<host>:5000 or .../v3);
// DomainName is the reseller domain (Identity.ProjectPrefix).
type KeystoneUser struct {
	AuthURL, DomainName, Username, Password, ProjectID string
}

// String leaves the password out.
func (ku KeystoneUser) String() string {
	return fmt.Sprintf("KeystoneUser{AuthURL: %s, DomainName: %s, Username: %s, ProjectID: %s}", ku.AuthURL, ku.DomainName, ku.Username, ku.ProjectID)
}

// GoString is String.
func (ku KeystoneUser) GoString() string { return ku.String() }

// EnsureOption tunes EnsureApplicationCredential.
type EnsureOption func(*ensureOptions)

type ensureOptions struct{ knownSecret string }

// WithKnownSecret passes the secret the caller holds for the credential (from its Secret); when
// it still authenticates, the existing credential is kept.
func WithKnownSecret(secret string) EnsureOption {
	return func(o *ensureOptions) { o.knownSecret = secret }
}

// EnsureApplicationCredential makes sure the user has an application credential called name for
// ku.ProjectID, and returns its ID and secret; created tells whether it made a new one.
//
// It looks the name up first, so calling it again is harmless. Keystone shows a secret only in
// the answer to the create, never again: an existing credential is only of use to a caller who
// still has its secret. So an existing one is kept when WithKnownSecret names a secret that
// authenticates with it (and it is for ku.ProjectID); otherwise it is deleted and created anew,
// and the caller must store the new secret (whoever used the old one loses access).
func EnsureApplicationCredential(ctx context.Context, ku KeystoneUser, name, description string, opts ...EnsureOption) (id, secret string, created bool, err error) {
	var o ensureOptions
	for _, opt := range opts {
		opt(&o)
	}
	client, userID, err := keystoneClient(ctx, ku)
	if err != nil {
		return "", "", false, err
	}
	existing, err := findAppCreds(ctx, client, userID, name)
	if err != nil {
		return "", "", false, err
	}
	for _, ac := range existing {
		if o.knownSecret != "" && ac.ProjectID == ku.ProjectID {
			ok, err := secretWorks(ctx, ku.AuthURL, ac.ID, o.knownSecret)
			if err != nil {
				return "", "", false, err // Keystone trouble: do not delete a credential that may work
			}
			if ok {
				return ac.ID, o.knownSecret, false, nil
			}
		}
		if err := applicationcredentials.Delete(ctx, client, userID, ac.ID).ExtractErr(); err != nil && !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
			return "", "", false, fmt.Errorf("deleting application credential %q to re-create it: %w", name, err)
		}
	}
	ac, err := applicationcredentials.Create(ctx, client, userID, applicationcredentials.CreateOpts{Name: name, Description: description}).Extract()
	if err != nil {
		return "", "", false, fmt.Errorf("creating application credential %q: %w", name, err)
	}
	return ac.ID, ac.Secret, true, nil
}

// DeleteApplicationCredential deletes the user's application credential called name; none is
// fine.
func DeleteApplicationCredential(ctx context.Context, ku KeystoneUser, name string) error {
	client, userID, err := keystoneClient(ctx, ku)
	if err != nil {
		return err
	}
	existing, err := findAppCreds(ctx, client, userID, name)
	if err != nil {
		return err
	}
	for _, ac := range existing {
		if err := applicationcredentials.Delete(ctx, client, userID, ac.ID).ExtractErr(); err != nil && !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
			return fmt.Errorf("deleting application credential %q: %w", name, err)
		}
	}
	return nil
}

// keystoneClient logs the user in, scoped to its project, and returns an identity client and
// the user's ID.
func keystoneClient(ctx context.Context, ku KeystoneUser) (*gophercloud.ServiceClient, string, error) {
	if ku.AuthURL == "" || ku.Username == "" || ku.Password == "" || ku.DomainName == "" || ku.ProjectID == "" {
		return nil, "", errors.New("keystone: AuthURL, DomainName, Username, Password and ProjectID are required")
	}
	provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{IdentityEndpoint: ku.AuthURL, Username: ku.Username,
		Password: ku.Password, DomainName: ku.DomainName, Scope: &gophercloud.AuthScope{ProjectID: ku.ProjectID}})
	if err != nil {
		return nil, "", fmt.Errorf("keystone: authenticating user %s in domain %s for project %s: %w", ku.Username, ku.DomainName, ku.ProjectID, err)
	}
	var userID string
	if res, ok := provider.GetAuthResult().(tokens.CreateResult); ok {
		if u, err := res.ExtractUser(); err == nil {
			userID = u.ID
		}
	}
	if userID == "" {
		return nil, "", errors.New("keystone: the token names no user")
	}
	client, err := openstack.NewIdentityV3(provider, gophercloud.EndpointOpts{})
	if err != nil {
		return nil, "", fmt.Errorf("keystone: identity client: %w", err)
	}
	return client, userID, nil
}

func findAppCreds(ctx context.Context, client *gophercloud.ServiceClient, userID, name string) ([]applicationcredentials.ApplicationCredential, error) {
	pages, err := applicationcredentials.List(client, userID, applicationcredentials.ListOpts{Name: name}).AllPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing application credentials: %w", err)
	}
	all, err := applicationcredentials.ExtractApplicationCredentials(pages)
	if err != nil {
		return nil, fmt.Errorf("listing application credentials: %w", err)
	}
	var out []applicationcredentials.ApplicationCredential
	for _, ac := range all {
		if ac.Name == name { // in case a Keystone ignores the filter
			out = append(out, ac)
		}
	}
	return out, nil
}

// secretWorks authenticates with the credential: false on a 401, an error when Keystone did
// not say.
func secretWorks(ctx context.Context, authURL, id, secret string) (bool, error) {
	_, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{IdentityEndpoint: authURL, ApplicationCredentialID: id, ApplicationCredentialSecret: secret})
	switch {
	case err == nil:
		return true, nil
	case gophercloud.ResponseCodeIs(err, http.StatusUnauthorized):
		return false, nil
	}
	return false, fmt.Errorf("keystone: checking application credential %s: %w", id, err)
}
