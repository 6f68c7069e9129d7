package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller"
)

// conn is a logged-in Reseller API client for one Region plus what Keystone needs.
type conn struct {
	client *reseller.Client
	// domain is the reseller's Keystone domain name, the prefix of its project names.
	domain string
	// authURL is the region's Keystone v3 URL; osRegion its catalog region.
	authURL, osRegion string
	fingerprint       string
	// created is when the client was made (and its login checked).
	created time.Time
}

// configError is a problem with the Region's settings or its Secret: it waits for a change.
type configError struct {
	reason string
	msg    string
}

func (e *configError) Error() string { return e.msg }

// connections caches one client per Region, so the access token is reused across reconciles
// and controllers; a change of the Region's settings or Secret makes a new one.
type connections struct {
	reader     client.Reader
	httpClient *http.Client
	secrets    secretScope
	mu         sync.Mutex
	byRegion   map[string]*conn
}

func newConnections(reader client.Reader, hc *http.Client, secrets secretScope) *connections {
	return &connections{reader: reader, httpClient: hc, secrets: secrets, byRegion: map[string]*conn{}}
}

// settings reads the Region's endpoint and account: from its Secret when secretRef is set
// (preferred), else from the inline fields.
func (cs *connections) settings(ctx context.Context, region *pcov1.Region) (endpoint, username, password string, err error) {
	spec := region.Spec
	if spec.SecretRef == nil {
		return spec.Endpoint, spec.Username, spec.Password, nil
	}
	var s corev1.Secret
	key := client.ObjectKey{Namespace: spec.SecretRef.Namespace, Name: spec.SecretRef.Name}
	if !cs.secrets.allows(key.Namespace) {
		return "", "", "", &configError{pcov1.ReasonNamespaceNotWatched, cs.secrets.refusal("secret "+key.String(), key.Namespace)}
	}
	if err := cs.reader.Get(ctx, key, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return "", "", "", &configError{pcov1.ReasonSecretNotFound, fmt.Sprintf("secret %s not found", key)}
		}
		return "", "", "", err
	}
	endpoint, username, password = string(s.Data["endpoint"]), string(s.Data["username"]), string(s.Data["password"])
	if endpoint == "" {
		endpoint = spec.Endpoint
	}
	var missing []string
	for k, v := range map[string]string{"endpoint": endpoint, "username": username, "password": password} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return "", "", "", &configError{pcov1.ReasonInvalidSecret, fmt.Sprintf("secret %s lacks the keys %s", key, strings.Join(sorted(missing), ", "))}
	}
	return endpoint, username, password, nil
}

// forRegion returns the Region's client, logging in (and reading the reseller identity) when
// there is none yet for its current settings.
func (cs *connections) forRegion(ctx context.Context, region *pcov1.Region) (*conn, error) {
	endpoint, username, password, err := cs.settings(ctx, region)
	if err != nil {
		return nil, err
	}
	authURL, err := identityEndpoint(region.Spec.IdentityEndpoint, endpoint)
	if err != nil {
		return nil, &configError{pcov1.ReasonRegionIsUnready, err.Error()}
	}
	osRegion := region.Spec.OpenStackRegion
	if osRegion == "" {
		osRegion = "RegionOne"
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{endpoint, username, password, authURL, osRegion}, "\x00")))
	fp := hex.EncodeToString(sum[:])

	cs.mu.Lock()
	c := cs.byRegion[region.Name]
	cs.mu.Unlock()
	if c != nil && c.fingerprint == fp {
		return c, nil
	}
	var opts []reseller.Option
	if cs.httpClient != nil {
		opts = append(opts, reseller.WithHTTPClient(cs.httpClient))
	}
	rc, err := reseller.New(endpoint, username, password, opts...)
	if err != nil {
		return nil, &configError{pcov1.ReasonRegionIsUnready, err.Error()}
	}
	ident, err := rc.TestToken(ctx)
	if err != nil {
		return nil, err
	}
	domain := ident.ProjectPrefix
	if domain == "" {
		return nil, fmt.Errorf("reseller API: the account has no project prefix (domain)")
	}
	c = &conn{client: rc, domain: domain, authURL: authURL, osRegion: osRegion, fingerprint: fp, created: time.Now()}
	cs.mu.Lock()
	cs.byRegion[region.Name] = c
	cs.mu.Unlock()
	return c, nil
}

// forget drops a Region's client (deleted Region).
func (cs *connections) forget(name string) {
	cs.mu.Lock()
	delete(cs.byRegion, name)
	cs.mu.Unlock()
}

// identityEndpoint is the explicit Keystone URL, or pluscloud open's convention: the Reseller
// API's host on port 5000, /v3.
func identityEndpoint(explicit, endpoint string) (string, error) {
	if explicit != "" {
		return strings.TrimRight(explicit, "/"), nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("endpoint %q is not a URL", endpoint)
	}
	return "https://" + u.Hostname() + ":5000/v3", nil
}
