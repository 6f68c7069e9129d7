package reseller

import (
	"context"
	"errors"
	"fmt"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
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

// keystoneOptions tune the Keystone clients: pkg/openstack's production defaults (rate limit,
// retries of idempotent requests and 429s, request timeout).
var keystoneOptions = openstack.DefaultSessionOptions()

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
	keystone, err := identity(ctx, ku)
	if err != nil {
		return "", "", false, err
	}
	existing, err := keystone.ApplicationCredentials(ctx, name)
	if err != nil {
		return "", "", false, fmt.Errorf("keystone: %w", err)
	}
	for _, ac := range existing {
		if o.knownSecret != "" && ac.ProjectID == ku.ProjectID {
			ok, err := openstack.Authenticates(ctx, &credentials.Credentials{AuthURL: ku.AuthURL, ApplicationCredentialID: ac.ID, ApplicationCredentialSecret: o.knownSecret}, keystoneOptions)
			if err != nil {
				// Keystone trouble: do not delete a credential that may work.
				return "", "", false, fmt.Errorf("keystone: checking application credential %s: %w", ac.ID, err)
			}
			if ok {
				return ac.ID, o.knownSecret, false, nil
			}
		}
		if err := keystone.DeleteApplicationCredential(ctx, ac.ID); err != nil && !openstack.IsNotFound(err) {
			return "", "", false, fmt.Errorf("keystone: re-creating application credential %q: %w", name, err)
		}
	}
	ac, err := keystone.CreateApplicationCredential(ctx, name, description)
	if err != nil {
		return "", "", false, fmt.Errorf("keystone: %w", err)
	}
	return ac.ID, ac.Secret, true, nil
}

// DeleteApplicationCredential deletes the user's application credential called name; none is
// fine.
func DeleteApplicationCredential(ctx context.Context, ku KeystoneUser, name string) error {
	keystone, err := identity(ctx, ku)
	if err != nil {
		return err
	}
	existing, err := keystone.ApplicationCredentials(ctx, name)
	if err != nil {
		return fmt.Errorf("keystone: %w", err)
	}
	for _, ac := range existing {
		if err := keystone.DeleteApplicationCredential(ctx, ac.ID); err != nil && !openstack.IsNotFound(err) {
			return fmt.Errorf("keystone: %w", err)
		}
	}
	return nil
}

// identity logs the user in, scoped to its project, through pkg/openstack.
func identity(ctx context.Context, ku KeystoneUser) (openstack.Identity, error) {
	if ku.AuthURL == "" || ku.Username == "" || ku.Password == "" || ku.DomainName == "" || ku.ProjectID == "" {
		return nil, errors.New("keystone: AuthURL, DomainName, Username, Password and ProjectID are required")
	}
	creds := &credentials.Credentials{AuthURL: ku.AuthURL, Username: ku.Username, Password: ku.Password, UserDomainName: ku.DomainName, ProjectID: ku.ProjectID}
	keystone, err := openstack.NewIdentity(ctx, creds, keystoneOptions)
	if err != nil {
		return nil, fmt.Errorf("keystone: user %s in domain %s for project %s: %w", ku.Username, ku.DomainName, ku.ProjectID, err)
	}
	return keystone, nil
}
