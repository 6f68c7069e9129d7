package framework

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// TokenProxy sits between clients and a Keystone and remembers every token that passes: the
// ones Keystone issues (X-Subject-Token of the answer) and the ones the client shows
// (X-Auth-Token, X-Subject-Token of the request). The other services are reached through the
// catalog, directly, and only ever see tokens issued here.
type TokenProxy struct {
	URL    string
	server *http.Server

	mu     sync.Mutex
	tokens map[string]bool
}

// StartTokenProxy proxies to target (the simulator's base URL) on a loopback port.
func StartTokenProxy(target string) (*TokenProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &TokenProxy{URL: "http://" + ln.Addr().String(), tokens: map[string]bool{}}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		p.note(r.In.Header.Get("X-Auth-Token"), r.In.Header.Get("X-Subject-Token"))
		r.SetURL(u)
		r.Out.Host = r.In.Host // as NewSingleHostReverseProxy did: the backend sees the proxy's host
	}}
	rp.ModifyResponse = func(resp *http.Response) error {
		p.note(resp.Header.Get("X-Subject-Token"))
		return nil
	}
	p.server = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

func (p *TokenProxy) note(tokens ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range tokens {
		if t != "" {
			p.tokens[t] = true
		}
	}
}

// Tokens returns every token seen so far.
func (p *TokenProxy) Tokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.tokens))
	for t := range p.tokens {
		out = append(out, t)
	}
	return out
}

// Close stops the proxy.
func (p *TokenProxy) Close() { _ = p.server.Close() }
