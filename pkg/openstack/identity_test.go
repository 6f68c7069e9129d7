package openstack

import (
	"context"
	"net/http"
	"testing"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// TestAuthenticates checks the three answers a caller acts on: a working credential, a wrong
// one (401: replace it) and Keystone trouble (an error: keep it, it may still work).
func TestAuthenticates(t *testing.T) {
	sim, err := ossim.Start(ossim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	seed := sim.Seed()
	ctx := context.Background()
	opts := DefaultSessionOptions()
	opts.MaxRetries = 1
	appCred := func(secret string) *credentials.Credentials {
		return &credentials.Credentials{AuthURL: sim.AuthURL(), ApplicationCredentialID: seed.AppCredID, ApplicationCredentialSecret: secret}
	}

	if ok, err := Authenticates(ctx, appCred(seed.AppCredSecret), opts); !ok || err != nil {
		t.Fatalf("the seed's credential: %v, %v; want true, nil", ok, err)
	}
	if ok, err := Authenticates(ctx, appCred("stale"), opts); ok || err != nil {
		t.Fatalf("a wrong secret: %v, %v; want false, nil", ok, err)
	}
	sim.InjectFault(ossim.Fault{Service: "identity", Method: http.MethodPost, Path: "auth/tokens", Kind: ossim.FaultError, Status: http.StatusInternalServerError})
	if ok, err := Authenticates(ctx, appCred(seed.AppCredSecret), opts); ok || err == nil {
		t.Fatalf("Keystone failing: %v, %v; want false and an error", ok, err)
	}
}

// TestIdentityApplicationCredentials walks list, create, delete for the seed's user.
func TestIdentityApplicationCredentials(t *testing.T) {
	sim, err := ossim.Start(ossim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	seed := sim.Seed()
	ctx := context.Background()
	creds := &credentials.Credentials{AuthURL: sim.AuthURL(), Username: seed.Username, Password: seed.Password,
		DomainName: seed.DomainName, ProjectID: seed.ProjectID}
	keystone, err := NewIdentity(ctx, creds, DefaultSessionOptions())
	if err != nil {
		t.Fatal(err)
	}
	ac, err := keystone.CreateApplicationCredential(ctx, "workers", "d")
	if err != nil || ac.ID == "" || ac.Secret == "" || ac.ProjectID != seed.ProjectID {
		t.Fatalf("create: %+v, %v", ac, err)
	}
	found, err := keystone.ApplicationCredentials(ctx, "workers")
	if err != nil || len(found) != 1 || found[0].ID != ac.ID || found[0].Secret != "" {
		t.Fatalf("list: %+v, %v", found, err)
	}
	if err := keystone.DeleteApplicationCredential(ctx, ac.ID); err != nil {
		t.Fatal(err)
	}
	if err := keystone.DeleteApplicationCredential(ctx, ac.ID); !IsNotFound(err) {
		t.Fatalf("deleting again: %v, want not found", err)
	}
	if _, err := NewIdentity(ctx, &credentials.Credentials{AuthURL: sim.AuthURL(), Username: seed.Username, Password: "wrong",
		DomainName: seed.DomainName, ProjectID: seed.ProjectID}, DefaultSessionOptions()); StatusCode(err) != http.StatusUnauthorized {
		t.Fatalf("a wrong password: %v, want a 401", err)
	}
}
