package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// countingProxy stands between the drivers and a real OpenStack (group cycles with
// --real-clouds), so both drivers' requests are counted the same way, as the simulator counts
// them. Routes are path prefixes: /identity/... goes to Keystone's origin (the Secret's authURL
// is <proxy>/identity/v3), /ep<n>/... to the n-th other origin found in a service catalog. (Not
// a bare /<n>/: gophercloud takes a last path segment "5" for the endpoint's major version, and
// anything matching "v<digit>" in the path for a version, and would skip such an endpoint.) Token
// and catalog responses (POST/GET /v3/auth/tokens, GET /v3/auth/catalog) and every other JSON
// response (version documents' links[].href, pagination links) get each known origin replaced by
// its proxy route, with Content-Length recomputed, so no request of the drivers goes around the
// proxy. Location headers are rewritten the same way.
type countingProxy struct {
	base     string // http://127.0.0.1:<port>
	ln       net.Listener
	srv      *http.Server
	identity string // Keystone's origin

	mu       sync.Mutex
	routes   map[string]*url.URL // route name ("identity", "ep1", ...) -> origin
	byOrigin map[string]string   // origin -> route name
	proxies  map[string]*httputil.ReverseProxy
	counts   map[string]int // "<route> <METHOD> <path>" -> requests
	auths    int            // Keystone token requests (POST .../auth/tokens)
	unrouted int            // requests for routes the proxy does not know
	rewrites int            // JSON responses other than token/catalog in which an origin was replaced
}

// startCountingProxy starts a proxy on loopback in front of the Keystone at authURL.
func startCountingProxy(authURL string) (*countingProxy, error) {
	u, err := url.Parse(authURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("auth URL %q: not an absolute URL", authURL)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{
		base: "http://" + ln.Addr().String(), ln: ln, identity: origin(u),
		routes: map[string]*url.URL{}, byOrigin: map[string]string{}, proxies: map[string]*httputil.ReverseProxy{},
		counts: map[string]int{},
	}
	p.addOrigin(p.identity, "identity")
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// AuthURL is authURL (the Keystone the proxy was started for) as reached through the proxy.
func (p *countingProxy) AuthURL(authURL string) string { return p.rewrite(authURL) }

// Close stops the proxy.
func (p *countingProxy) Close() { _ = p.srv.Close() }

func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// addOrigin gives an origin a route (name "" means the next number) and returns the route name.
func (p *countingProxy) addOrigin(o, name string) string {
	if r, ok := p.byOrigin[o]; ok {
		return r
	}
	if name == "" {
		name = "ep" + strconv.Itoa(len(p.routes))
	}
	u, _ := url.Parse(o)
	p.routes[name], p.byOrigin[o] = u, name
	p.proxies[name] = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = u.Scheme, u.Host, u.Host
			pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, "/"+name)
			pr.Out.URL.RawPath = ""
			// Plain bodies, so ModifyResponse can rewrite them.
			pr.Out.Header.Del("Accept-Encoding")
		},
		ModifyResponse: p.modifyResponse,
	}
	return name
}

// ServeHTTP counts the request and forwards it along its route.
func (p *countingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	p.mu.Lock()
	rp := p.proxies[name]
	if rp == nil {
		p.unrouted++
		p.mu.Unlock()
		http.Error(w, "bench proxy: no route "+name, http.StatusBadGateway)
		return
	}
	p.counts[name+" "+r.Method+" /"+rest]++
	if name == "identity" && r.Method == http.MethodPost && strings.HasSuffix(rest, "auth/tokens") {
		p.auths++
	}
	p.mu.Unlock()
	rp.ServeHTTP(w, r)
}

// modifyResponse rewrites origins in JSON bodies and Location headers to proxy routes.
func (p *countingProxy) modifyResponse(resp *http.Response) error {
	if loc := resp.Header.Get("Location"); loc != "" {
		resp.Header.Set("Location", p.rewrite(loc))
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "json") || resp.Body == nil {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	path := resp.Request.URL.Path
	isCatalog := strings.HasSuffix(path, "/auth/tokens") || strings.HasSuffix(path, "/auth/catalog")
	if isCatalog && resp.StatusCode < 300 {
		if err := p.learnCatalog(body); err != nil {
			return fmt.Errorf("bench proxy: service catalog of %s: %w", path, err)
		}
	}
	out := []byte(p.rewrite(string(body)))
	if isCatalog && resp.StatusCode < 300 {
		if err := p.checkCatalog(out); err != nil {
			return err
		}
	} else if !bytes.Equal(out, body) {
		p.mu.Lock()
		p.rewrites++
		p.mu.Unlock()
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	resp.Header.Del("Content-Encoding")
	return nil
}

// catalogDoc is a token response ({"token": {"catalog": ...}}) or GET /v3/auth/catalog's
// ({"catalog": ...}).
type catalogDoc struct {
	Token struct {
		Catalog []catalogEntry `json:"catalog"`
	} `json:"token"`
	Catalog []catalogEntry `json:"catalog"`
}

type catalogEntry struct {
	Type      string `json:"type"`
	Endpoints []struct {
		URL string `json:"url"`
	} `json:"endpoints"`
}

func (d *catalogDoc) urls() []string {
	var out []string
	for _, e := range append(slices.Clone(d.Token.Catalog), d.Catalog...) {
		for _, ep := range e.Endpoints {
			out = append(out, ep.URL)
		}
	}
	return out
}

// learnCatalog gives every endpoint's origin in the catalog a route.
func (p *countingProxy) learnCatalog(body []byte) error {
	var doc catalogDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, raw := range doc.urls() {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return fmt.Errorf("endpoint URL %q: not an absolute URL", raw)
		}
		p.addOrigin(origin(u), "")
	}
	return nil
}

// checkCatalog makes sure every endpoint of a rewritten catalog points at the proxy.
func (p *countingProxy) checkCatalog(body []byte) error {
	var doc catalogDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return err
	}
	for _, u := range doc.urls() {
		if !strings.HasPrefix(u, p.base+"/") {
			return fmt.Errorf("bench proxy: endpoint %q was not rewritten", u)
		}
	}
	return nil
}

// rewrite replaces each known origin, where it is followed by "/", a quote or the end, by its
// proxy route.
func (p *countingProxy) rewrite(s string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for o, name := range p.byOrigin {
		if !strings.Contains(s, o) {
			continue
		}
		re := regexp.MustCompile(regexp.QuoteMeta(o) + `([/"]|$)`)
		s = re.ReplaceAllString(s, p.base+"/"+name+"$1")
	}
	return s
}

// proxyCounts is what the proxy counted since its last reset.
type proxyCounts struct {
	routes                    map[string]int
	auths, unrouted, rewrites int
}

func (c proxyCounts) total() int {
	n := 0
	for _, v := range c.routes {
		n += v
	}
	return n
}

// Counts returns the counters; Reset zeroes them.
func (p *countingProxy) Counts() proxyCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	routes := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		routes[k] = v
	}
	return proxyCounts{routes: routes, auths: p.auths, unrouted: p.unrouted, rewrites: p.rewrites}
}

func (p *countingProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts, p.auths, p.unrouted, p.rewrites = map[string]int{}, 0, 0, 0
}

// idSegment matches path segments that are IDs (UUIDs, 32 hex digits), for the request list.
var idSegment = regexp.MustCompile(`/[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}(/|$)`)

// requestList is the counters with IDs in paths folded to {id}, one "count route" line each,
// sorted by route, with each route's origin.
func (p *countingProxy) requestList(c proxyCounts) []string {
	folded := map[string]int{}
	for k, v := range c.routes {
		k = idSegment.ReplaceAllString(k, "/{id}$1")
		k = idSegment.ReplaceAllString(k, "/{id}$1") // adjacent IDs
		folded[k] += v
	}
	keys := make([]string, 0, len(folded))
	for k := range folded {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		name, _, _ := strings.Cut(k, " ")
		o := ""
		if u := p.routes[name]; u != nil {
			o = origin(u)
		}
		out = append(out, fmt.Sprintf("%4d %s  (%s)", folded[k], k, o))
	}
	return out
}
