package openstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/applicationcredentials"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// ApplicationCredential is a Keystone application credential. Secret is set only in the answer
// to its creation: Keystone never shows it again.
type ApplicationCredential struct {
	ID, Name, ProjectID string
	Secret              string
}

// Identity is the Keystone side of one logged-in user: its application credentials.
type Identity interface {
	// ApplicationCredentials lists the user's application credentials called name.
	ApplicationCredentials(ctx context.Context, name string) ([]ApplicationCredential, error)
	// CreateApplicationCredential makes one for the project the user is logged in to.
	CreateApplicationCredential(ctx context.Context, name, description string) (*ApplicationCredential, error)
	// DeleteApplicationCredential deletes one by ID; IsNotFound tells when it was gone.
	DeleteApplicationCredential(ctx context.Context, id string) error
}

// NewIdentity logs creds in and returns their Keystone client, built as every client of this
// package (newProvider: TLS settings, rate limit, retry policy). It is for a short operation:
// the token is not renewed and not cached.
func NewIdentity(ctx context.Context, creds *credentials.Credentials, opts SessionOptions) (Identity, error) {
	provider, err := authenticateOnce(ctx, creds, opts)
	if err != nil {
		return nil, fmt.Errorf("authenticating with Keystone: %w", err)
	}
	var userID string
	if res, ok := provider.GetAuthResult().(tokens.CreateResult); ok {
		if u, err := res.ExtractUser(); err == nil {
			userID = u.ID
		}
	}
	if userID == "" {
		return nil, errors.New("keystone: the token names no user")
	}
	sc, err := gopenstack.NewIdentityV3(provider, gophercloud.EndpointOpts{Availability: availability(creds)})
	if err != nil {
		return nil, fmt.Errorf("finding the identity endpoint: %w", err)
	}
	return &keystoneClient{sc: sc, userID: userID}, nil
}

// Authenticates tells whether creds log in to Keystone: false on a 401, an error when Keystone
// did not say (unreachable, 5xx after retries), so a caller does not throw away a credential
// that may still work.
func Authenticates(ctx context.Context, creds *credentials.Credentials, opts SessionOptions) (bool, error) {
	_, err := authenticateOnce(ctx, creds, opts)
	switch {
	case err == nil:
		return true, nil
	case StatusCode(err) == http.StatusUnauthorized:
		return false, nil
	}
	return false, fmt.Errorf("authenticating with Keystone: %w", err)
}

// authenticateOnce gets one token; no re-authentication, so a 401 is the answer, not a retry.
func authenticateOnce(ctx context.Context, creds *credentials.Credentials, opts SessionOptions) (*gophercloud.ProviderClient, error) {
	provider, err := newProvider(creds, opts)
	if err != nil {
		return nil, err
	}
	authOpts := creds.AuthOptions()
	authOpts.AllowReauth = false
	if err := gopenstack.Authenticate(ctx, provider, authOpts); err != nil {
		return nil, err
	}
	return provider, nil
}

type keystoneClient struct {
	sc     *gophercloud.ServiceClient
	userID string
}

func (k *keystoneClient) ApplicationCredentials(ctx context.Context, name string) ([]ApplicationCredential, error) {
	ctx = withOperation(ctx, "identity", "list_application_credentials")
	pages, err := applicationcredentials.List(k.sc, k.userID, applicationcredentials.ListOpts{Name: name}).AllPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing application credentials: %w", err)
	}
	all, err := applicationcredentials.ExtractApplicationCredentials(pages)
	if err != nil {
		return nil, fmt.Errorf("listing application credentials: %w", err)
	}
	var out []ApplicationCredential
	for _, ac := range all {
		if ac.Name == name { // in case a Keystone ignores the filter
			out = append(out, ApplicationCredential{ID: ac.ID, Name: ac.Name, ProjectID: ac.ProjectID})
		}
	}
	return out, nil
}

func (k *keystoneClient) CreateApplicationCredential(ctx context.Context, name, description string) (*ApplicationCredential, error) {
	ctx = withOperation(ctx, "identity", "create_application_credential")
	ac, err := applicationcredentials.Create(ctx, k.sc, k.userID, applicationcredentials.CreateOpts{Name: name, Description: description}).Extract()
	if err != nil {
		return nil, fmt.Errorf("creating application credential %q: %w", name, err)
	}
	return &ApplicationCredential{ID: ac.ID, Name: ac.Name, ProjectID: ac.ProjectID, Secret: ac.Secret}, nil
}

func (k *keystoneClient) DeleteApplicationCredential(ctx context.Context, id string) error {
	ctx = withOperation(ctx, "identity", "delete_application_credential")
	if err := applicationcredentials.Delete(ctx, k.sc, k.userID, id).ExtractErr(); err != nil {
		return fmt.Errorf("deleting application credential %s: %w", id, err)
	}
	return nil
}
