package testenv

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// Login authenticates to Keystone with parsed credentials (as the driver reads them, TLS
// settings included), for test helpers that talk to the cloud directly.
func Login(ctx context.Context, creds *credentials.Credentials) (*gophercloud.ProviderClient, error) {
	provider, err := gopenstack.NewClient(creds.AuthURL)
	if err != nil {
		return nil, err
	}
	if tlsConfig, err := creds.TLSConfig(); err != nil {
		return nil, err
	} else if tlsConfig != nil {
		provider.HTTPClient.Transport = transportWithTLS(tlsConfig)
	}
	if err := gopenstack.Authenticate(ctx, provider, creds.AuthOptions()); err != nil {
		return nil, fmt.Errorf("authenticating: %w", err)
	}
	return provider, nil
}

func transportWithTLS(c *tls.Config) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = c
	return t
}
