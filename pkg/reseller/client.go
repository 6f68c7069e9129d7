// Package reseller is a client of pluscloud open's Reseller API ("pco-api-expansion"), the
// service resellers create OpenStack projects and users in their domain with, as
// pco-reseller-operator uses it; and of the Keystone application credentials that go with it.
//
// The API logs in with the OAuth2 password flow and answers {"status", "data", "message"}
// envelopes; request validation fails with FastAPI's 422 {"detail": [...]}. A Client logs in on
// first use, keeps the bearer token, and on a 401 logs in once more and repeats the call. It does
// not retry otherwise: IsRetryable and APIError.RetryAfter tell the caller (a controller with its
// own backoff) what to do.
//
// The API prefixes project names with the reseller domain ("<domain>-<name>") and has no name
// filter, hence FindProjectByName and FindUserByName.
package reseller

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Client talks to one Reseller API endpoint (a Region). It is safe for concurrent use.
type Client struct {
	endpoint string // without trailing slash
	username string
	password string
	hc       *http.Client

	loginMu sync.Mutex // serializes logins
	mu      sync.Mutex // guards token (held only briefly, never across a request)
	token   string     // "<type> <access token>", "" before the first login
}

// Option configures a Client.
type Option func(*options) error

type options struct {
	hc       *http.Client
	tls      bool
	caPEM    []byte
	insecure bool
}

// WithHTTPClient uses hc for every request (default: a client with a 30s timeout).
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("reseller: nil HTTP client")
		}
		o.hc = hc
		return nil
	}
}

// WithTLS trusts the CA certificates in caPEM (PEM; empty: the system's) and, with insecure,
// skips verification altogether (tests only). With WithHTTPClient, that client's transport must
// be an *http.Transport; it is cloned, not changed.
func WithTLS(caPEM []byte, insecure bool) Option {
	return func(o *options) error {
		o.tls, o.caPEM, o.insecure = true, caPEM, insecure
		return nil
	}
}

// New makes a client of the API at endpoint, an absolute http(s) URL such as
// https://prod1.api.pco.get-cloud.io:60312/ (a trailing slash is dropped). It does not log in
// yet.
func New(endpoint, username, password string, opts ...Option) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("reseller: endpoint %q is no absolute http(s) URL without user info, query or fragment", endpoint)
	}
	if username == "" || password == "" {
		return nil, errors.New("reseller: username and password are required")
	}
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	hc := o.hc
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	if o.tls {
		if hc, err = withTLS(hc, o.caPEM, o.insecure); err != nil {
			return nil, err
		}
	}
	return &Client{endpoint: strings.TrimRight(endpoint, "/"), username: username, password: password, hc: hc}, nil
}

func withTLS(hc *http.Client, caPEM []byte, insecure bool) (*http.Client, error) {
	var base *http.Transport
	switch t := hc.Transport.(type) {
	case nil:
		base = http.DefaultTransport.(*http.Transport)
	case *http.Transport:
		base = t
	default:
		return nil, fmt.Errorf("reseller: WithTLS needs an *http.Transport, the HTTP client has a %T", hc.Transport)
	}
	tr := base.Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // insecure only when asked for
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("reseller: no CA certificate in the PEM data")
		}
		cfg.RootCAs = pool
	}
	tr.TLSClientConfig = cfg
	out := *hc
	out.Transport = tr
	return &out, nil
}

// Endpoint is the API's base URL, without trailing slash.
func (c *Client) Endpoint() string { return c.endpoint }

// String names the endpoint and user, never the password or token.
func (c *Client) String() string {
	return fmt.Sprintf("reseller.Client{endpoint: %s, username: %s}", c.endpoint, c.username)
}

// GoString is String, so %#v does not print the password either.
func (c *Client) GoString() string { return c.String() }

// authorization is the cached Authorization header value, logging in when there is none.
func (c *Client) authorization(ctx context.Context) (string, error) {
	if tok := c.cached(); tok != "" {
		return tok, nil
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if tok := c.cached(); tok != "" {
		return tok, nil // another goroutine logged in meanwhile
	}
	tok, err := c.login(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.token = tok
	c.mu.Unlock()
	return tok, nil
}

func (c *Client) cached() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// forget drops the cached token if it is still tok (another goroutine may have logged in anew).
func (c *Client) forget(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

const loginPath = "/api/v1/auth/login/access-token"

// login runs the OAuth2 password flow and returns the Authorization header value.
func (c *Client) login(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"password"}, "username": {c.username}, "password": {c.password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+loginPath, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("reseller API: POST %s: %w", loginPath, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	code, header, body, err := c.roundTrip(req)
	if err != nil {
		return "", c.networkError(http.MethodPost, loginPath, err)
	}
	if code != http.StatusOK {
		return "", c.apiError(http.MethodPost, loginPath, code, header, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", &APIError{Method: http.MethodPost, Path: loginPath, StatusCode: code, Message: "login answer without access_token"}
	}
	typ := tok.TokenType
	if typ == "" || strings.EqualFold(typ, "bearer") {
		typ = "Bearer"
	}
	return typ + " " + tok.AccessToken, nil
}

func (c *Client) roundTrip(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, body, nil
}

// do sends an authenticated request (in as JSON unless nil) and decodes the answer's data into
// out (unless nil). A 401 makes it log in again once and repeat the request.
func (c *Client) do(ctx context.Context, method, path string, in, out any, okCodes ...int) error {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return fmt.Errorf("reseller API: %s %s: encoding the request: %w", method, path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		auth, err := c.authorization(ctx)
		if err != nil {
			return err
		}
		var body io.Reader
		if payload != nil {
			body = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, body)
		if err != nil {
			return fmt.Errorf("reseller API: %s %s: %w", method, path, err)
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		code, header, respBody, err := c.roundTrip(req)
		if err != nil {
			return c.networkError(method, path, err)
		}
		if code == http.StatusUnauthorized && attempt == 0 {
			c.forget(auth)
			continue
		}
		if !okCode(code, okCodes) {
			return c.apiError(method, path, code, header, respBody)
		}
		if out == nil || code == http.StatusNoContent {
			return nil
		}
		if err := decodeEnvelope(respBody, out); err != nil {
			return &APIError{Method: method, Path: path, StatusCode: code, Message: "undecodable answer: " + err.Error()}
		}
		return nil
	}
}

func okCode(code int, ok []int) bool {
	if len(ok) == 0 {
		return code >= 200 && code < 300
	}
	for _, c := range ok {
		if c == code {
			return true
		}
	}
	return false
}

// envelope is the API's wrapper of every answer but the login's.
type envelope struct {
	Status  *int            `json:"status"`
	Data    json.RawMessage `json:"data"`
	Message *string         `json:"message"`
}

// decodeEnvelope decodes an answer into out: the envelope's data when the body is one (an
// object with "data" and "status" or "message"), else the whole body (test-token answers a bare
// VaultUser). Never panics, whatever the body.
func decodeEnvelope(body []byte, out any) error {
	if out == nil {
		return nil
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var env envelope
		if err := json.Unmarshal(trimmed, &env); err == nil && env.Data != nil && (env.Status != nil || env.Message != nil) {
			if bytes.Equal(bytes.TrimSpace(env.Data), []byte("null")) {
				return errors.New("envelope without data")
			}
			return json.Unmarshal(env.Data, out)
		}
	}
	return json.Unmarshal(trimmed, out)
}

// apiError builds the error for a non-success answer; the password and the token never get
// into it, even if the server echoed them.
func (c *Client) apiError(method, path string, code int, header http.Header, body []byte) *APIError {
	e := parseAPIError(method, path, code, header, body)
	e.Message = c.redact(e.Message)
	for i := range e.Details {
		e.Details[i].Msg = c.redact(e.Details[i].Msg)
	}
	return e
}

func (c *Client) networkError(method, path string, err error) error {
	return &networkError{method: method, path: path, err: err, msg: c.redact(err.Error())}
}

func (c *Client) redact(s string) string {
	if c.password != "" {
		s = strings.ReplaceAll(s, c.password, "***")
		s = strings.ReplaceAll(s, url.QueryEscape(c.password), "***")
	}
	if _, t, ok := strings.Cut(c.cached(), " "); ok && t != "" {
		s = strings.ReplaceAll(s, t, "***")
	}
	return s
}
