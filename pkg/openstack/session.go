package openstack

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"golang.org/x/time/rate"

	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
)

// ComputeMicroversion is the Nova API microversion the driver speaks: 2.52 allows tags on
// create, 2.67 a volume_type in block_device_mapping_v2 (so Nova owns the root volume's whole
// life), and 2.26 tag filters on list. OpenStack Zed supports up to 2.93.
const ComputeMicroversion = "2.67"

// SessionOptions tune every Session made by a SessionCache.
type SessionOptions struct {
	// RequestsPerSecond and Burst bound the requests one credential sends (client-side rate limit).
	RequestsPerSecond float64
	Burst             int
	// MaxRetries bounds retries of one request (429 and transient errors of idempotent requests).
	MaxRetries uint
	// MaxRetryAfter caps how long a Retry-After header may make us wait.
	MaxRetryAfter time.Duration
	// RefreshBefore renews a token this long before it expires, so no call races expiry.
	RefreshBefore time.Duration
	// IdleTTL drops sessions not used for this long (rotated credentials leave old ones behind).
	IdleTTL time.Duration
	// Timeout bounds one HTTP request.
	Timeout time.Duration
	// LookupTTL is how long name->ID resolutions (flavor, image, security group, network) are reused.
	LookupTTL time.Duration
	// Observer receives one event per HTTP request (metrics); nil means none.
	Observer RequestObserver
}

// DefaultSessionOptions are the production defaults.
func DefaultSessionOptions() SessionOptions {
	return SessionOptions{
		// At about 5 requests per machine, 50 a second lets one credential start 10 machines a
		// second (20 held a 500-machine scale-up behind the peer, which has no limit at all)
		// while still bounding what a runaway controller can send.
		RequestsPerSecond: 50,
		Burst:             100,
		MaxRetries:        6,
		MaxRetryAfter:     60 * time.Second,
		RefreshBefore:     5 * time.Minute,
		IdleTTL:           time.Hour,
		Timeout:           60 * time.Second,
		LookupTTL:         5 * time.Minute,
	}
}

// Session is one authenticated provider client for one credential and region.
type Session struct {
	provider *gophercloud.ProviderClient
	region   string
	iface    gophercloud.Availability
	opts     SessionOptions
	lookups  *lookupCache

	mu       sync.Mutex
	lastUsed time.Time
	// expiry caches the expiry of token tokenOf, so we parse the auth result only when it changes.
	tokenOf string
	expiry  time.Time

	// Service clients are built once per session: gophercloud discovers a service's versions
	// (a GET of its root) each time it builds a client for it.
	clientsMu sync.Mutex
	compute   Compute
	network   Network
	image     Image
	storage   BlockStorage
}

// SessionCache hands out one Session per credential (keyed by Credentials.CacheKey, so a rotated
// password gets a new session) and re-authenticates shortly before a token expires.
type SessionCache struct {
	opts SessionOptions

	mu       sync.Mutex
	sessions map[string]*sessionEntry
}

type sessionEntry struct {
	once sync.Mutex // serialises the first authentication of one credential
	// session is read under SessionCache.mu (idle expiry) while once is held to set it.
	session atomic.Pointer[Session]
}

// NewSessionCache returns an empty cache.
func NewSessionCache(opts SessionOptions) *SessionCache {
	return &SessionCache{opts: opts, sessions: map[string]*sessionEntry{}}
}

// Session returns the cached session for creds in region, authenticating on first use.
func (c *SessionCache) Session(ctx context.Context, creds *credentials.Credentials, region string) (*Session, error) {
	if region == "" {
		region = creds.Region
	}
	key := creds.CacheKey() + "/" + region
	now := time.Now()

	c.mu.Lock()
	for k, e := range c.sessions {
		if s := e.session.Load(); s != nil && c.opts.IdleTTL > 0 && now.Sub(s.touched()) > c.opts.IdleTTL {
			delete(c.sessions, k)
		}
	}
	entry, ok := c.sessions[key]
	if !ok {
		entry = &sessionEntry{}
		c.sessions[key] = entry
	}
	c.mu.Unlock()

	entry.once.Lock()
	defer entry.once.Unlock()
	session := entry.session.Load()
	if session == nil {
		s, err := newSession(ctx, creds, region, c.opts)
		if err != nil {
			c.mu.Lock()
			if c.sessions[key] == entry {
				delete(c.sessions, key)
			}
			c.mu.Unlock()
			return nil, err
		}
		entry.session.Store(s)
		session = s
	}
	if err := session.refreshIfExpiring(ctx); err != nil {
		return nil, err
	}
	return session, nil
}

func newSession(ctx context.Context, creds *credentials.Credentials, region string, opts SessionOptions) (*Session, error) {
	provider, err := newProvider(creds, opts)
	if err != nil {
		return nil, err
	}
	authOpts := creds.AuthOptions()
	authOpts.AllowReauth = true
	if err := gopenstack.Authenticate(ctx, provider, authOpts); err != nil {
		return nil, fmt.Errorf("authenticating with Keystone: %w", err)
	}
	skipVersionDiscovery(provider)
	s := &Session{provider: provider, region: region, iface: availability(creds), opts: opts, lookups: newLookupCache(opts.LookupTTL), lastUsed: time.Now()}
	return s, nil
}

// newProvider is the one construction of an unauthenticated provider client for creds: their
// TLS settings, the client-side rate limit, the request timeout and the retry policy of opts.
// Every client of this package (sessions, Identity) is made here.
func newProvider(creds *credentials.Credentials, opts SessionOptions) (*gophercloud.ProviderClient, error) {
	tlsConfig, err := creds.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("building TLS configuration from the credentials: %w", err)
	}
	provider, err := gopenstack.NewClient(creds.AuthURL)
	if err != nil {
		return nil, fmt.Errorf("invalid authURL: %w", err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tlsConfig
	base.MaxIdleConnsPerHost = 16
	var limiter *rate.Limiter
	if opts.RequestsPerSecond > 0 {
		limiter = rate.NewLimiter(rate.Limit(opts.RequestsPerSecond), max(opts.Burst, 1))
	}
	provider.HTTPClient = http.Client{
		Transport: &transport{next: base, limiter: limiter, observer: opts.Observer},
		Timeout:   opts.Timeout,
	}
	provider.MaxBackoffRetries = opts.MaxRetries
	provider.RetryBackoffFunc = retryAfterBackoff(opts.MaxRetryAfter)
	provider.RetryFunc = retryIdempotent(opts.MaxRetries)
	return provider, nil
}

// availability is the catalog interface creds ask for; public by default.
func availability(creds *credentials.Credentials) gophercloud.Availability {
	if creds.Interface == "" {
		return gophercloud.AvailabilityPublic
	}
	return gophercloud.Availability(trimSuffix(creds.Interface, "URL"))
}

// skipVersionDiscovery makes service clients take the catalog's endpoint as it is when the
// catalog has exactly one endpoint for the service, interface and region: gophercloud otherwise
// GETs the root of Neutron and Glance (version discovery) for every session, a request that only
// matters when a catalog lists several versions of one service.
func skipVersionDiscovery(provider *gophercloud.ProviderClient) {
	result, ok := provider.GetAuthResult().(interface {
		ExtractServiceCatalog() (*tokens.ServiceCatalog, error)
	})
	if !ok {
		return
	}
	catalog, err := result.ExtractServiceCatalog()
	if err != nil || catalog == nil {
		return
	}
	discovering := provider.EndpointLocator
	provider.EndpointLocator = func(opts gophercloud.EndpointOpts) (string, error) {
		if url, ok := onlyEndpoint(catalog, opts); ok {
			return url, nil
		}
		return discovering(opts)
	}
}

// onlyEndpoint returns the one catalog endpoint matching opts, if there is exactly one.
func onlyEndpoint(catalog *tokens.ServiceCatalog, opts gophercloud.EndpointOpts) (string, bool) {
	var found []string
	for _, entry := range catalog.Entries {
		if !slices.Contains(opts.Types(), entry.Type) || (opts.Name != "" && entry.Name != opts.Name) {
			continue
		}
		for _, ep := range entry.Endpoints {
			if gophercloud.Availability(ep.Interface) != opts.Availability {
				continue
			}
			if opts.Region != "" && ep.Region != opts.Region && ep.RegionID != opts.Region {
				continue
			}
			found = append(found, gophercloud.NormalizeURL(ep.URL))
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

func trimSuffix(s, suffix string) string {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)]
	}
	return s
}

func (s *Session) touched() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastUsed
}

// refreshIfExpiring renews the token when it is about to expire: gophercloud only re-authenticates
// after a 401, which would cost a failed request and race long operations.
func (s *Session) refreshIfExpiring(ctx context.Context) error {
	s.mu.Lock()
	s.lastUsed = time.Now()
	token := s.provider.Token()
	if token != s.tokenOf {
		s.tokenOf, s.expiry = token, tokenExpiry(s.provider)
	}
	expiring := !s.expiry.IsZero() && time.Until(s.expiry) < s.opts.RefreshBefore
	s.mu.Unlock()
	if !expiring {
		return nil
	}
	if err := s.provider.Reauthenticate(ctx, token); err != nil {
		return fmt.Errorf("renewing the Keystone token: %w", err)
	}
	return nil
}

func tokenExpiry(provider *gophercloud.ProviderClient) time.Time {
	result, ok := provider.GetAuthResult().(tokens.CreateResult)
	if !ok {
		return time.Time{}
	}
	token, err := result.ExtractToken()
	if err != nil {
		return time.Time{}
	}
	return token.ExpiresAt
}

func (s *Session) endpointOpts() gophercloud.EndpointOpts {
	return gophercloud.EndpointOpts{Region: s.region, Availability: s.iface}
}

// Compute returns the Nova client of this session at ComputeMicroversion.
func (s *Session) Compute() (Compute, error) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if s.compute == nil {
		sc, err := gopenstack.NewComputeV2(s.provider, s.endpointOpts())
		if err != nil {
			return nil, fmt.Errorf("finding the compute endpoint in region %q: %w", s.region, err)
		}
		sc.Microversion = ComputeMicroversion
		s.compute = &novaClient{sc: sc, cache: s.lookups}
	}
	return s.compute, nil
}

// Network returns the Neutron client of this session.
func (s *Session) Network() (Network, error) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if s.network == nil {
		sc, err := gopenstack.NewNetworkV2(s.provider, s.endpointOpts())
		if err != nil {
			return nil, fmt.Errorf("finding the network endpoint in region %q: %w", s.region, err)
		}
		s.network = &neutronClient{sc: sc, cache: s.lookups}
	}
	return s.network, nil
}

// Image returns the Glance client of this session.
func (s *Session) Image() (Image, error) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if s.image == nil {
		sc, err := gopenstack.NewImageV2(s.provider, s.endpointOpts())
		if err != nil {
			return nil, fmt.Errorf("finding the image endpoint in region %q: %w", s.region, err)
		}
		s.image = &glanceClient{sc: sc, cache: s.lookups}
	}
	return s.image, nil
}

// BlockStorage returns the Cinder client of this session.
func (s *Session) BlockStorage() (BlockStorage, error) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if s.storage == nil {
		sc, err := gopenstack.NewBlockStorageV3(s.provider, s.endpointOpts())
		if err != nil {
			return nil, fmt.Errorf("finding the block-storage endpoint in region %q: %w", s.region, err)
		}
		s.storage = &cinderClient{sc: sc}
	}
	return s.storage, nil
}
