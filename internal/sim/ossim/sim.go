package ossim

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Options tune a simulator. Zero values take the defaults.
type Options struct {
	Addr       string        // listen address, default "127.0.0.1:0"
	Region     string        // default "RegionOne"
	BuildTime  time.Duration // BUILD -> ACTIVE, default 1s
	DeleteTime time.Duration // a deleted server stays visible (task_state "deleting") this long, default 200ms
	VolumeTime time.Duration // volume creating -> available and deleting -> gone, default 200ms
	TokenTTL   time.Duration // Keystone token lifetime, default 1h
	MaxLimit   int           // largest page of Nova, Neutron, Glance and Cinder lists (nova's max_limit), default 1000

	// Latencies, when set, draw each build, server delete and volume change from a distribution
	// (RealisticLatencies is what a real cloud shows) instead of the fixed times above.
	Latencies Latencies

	// ResellerTokenTTL is the lifetime of the Reseller API's bearer tokens, default 30m.
	ResellerTokenTTL time.Duration

	// Log, when set, gets one line per API request: counter key, path, status and duration.
	// Never headers or bodies, so never tokens or passwords.
	Log io.Writer
}

func (o *Options) defaults() {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Region == "" {
		o.Region = "RegionOne"
	}
	if o.BuildTime == 0 {
		o.BuildTime = time.Second
	}
	if o.DeleteTime == 0 {
		o.DeleteTime = 200 * time.Millisecond
	}
	if o.VolumeTime == 0 {
		o.VolumeTime = 200 * time.Millisecond
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = time.Hour
	}
	if o.MaxLimit == 0 {
		o.MaxLimit = 1000
	}
	if o.ResellerTokenTTL == 0 {
		o.ResellerTokenTTL = 30 * time.Minute
	}
}

// The services' API prefixes, as devstack lays them out behind one web server. The service roots
// ("/compute", "/network", ...) serve the version documents clients discover versions with.
const (
	identityPrefix = "/identity"
	computePrefix  = "/compute/v2.1"
	networkPrefix  = "/network"
	imagePrefix    = "/image"
	volumePrefix   = "/volume/v3/{project_id}"
	resellerPrefix = "/reseller" // pluscloud open's Reseller API, not in the catalog
)

// Sim is a running simulator. All its state sits behind one mutex: requests are served one at
// a time, which keeps every response consistent with the state at that moment.
type Sim struct {
	opts   Options
	url    string
	server *http.Server
	routes []*route

	mu       sync.Mutex
	st       *state
	rng      *rand.Rand // latency draws, seeded by Options.Latencies.Seed
	faults   []*faultRule
	counts   map[string]int
	faultSeq int
	seedInfo Seed
}

// Start listens on opts.Addr and serves in the background until Close.
func Start(opts Options) (*Sim, error) {
	opts.defaults()
	if err := opts.Latencies.validate(); err != nil {
		return nil, err
	}
	if opts.Latencies.Seed == 0 {
		opts.Latencies.Seed = rand.Uint64()
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", opts.Addr, err)
	}
	s := &Sim{opts: opts, url: "http://" + ln.Addr().String(), counts: map[string]int{}, st: newState(),
		rng: rand.New(rand.NewPCG(opts.Latencies.Seed, 0x6f7373696d))}
	s.seed()
	mux := http.NewServeMux()
	s.register(mux)
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(ln) }()
	return s, nil
}

// Close stops serving; requests in flight get two seconds to finish.
func (s *Sim) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.server.Shutdown(ctx); err != nil {
		_ = s.server.Close()
	}
}

// URL is the base URL, e.g. http://127.0.0.1:PORT.
func (s *Sim) URL() string { return s.url }

// AuthURL is Keystone's v3 URL, as a clouds.yaml names it.
func (s *Sim) AuthURL() string { return s.url + identityPrefix + "/v3" }

// ResellerEndpoint is the Reseller API's base URL, as a pco-reseller-operator Region names it;
// its routes hang under /api/v1.
func (s *Sim) ResellerEndpoint() string { return s.url + resellerPrefix }

// route is one API operation: the counter key is "<service> <METHOD> <template>".
type route struct {
	service, method, template string
	prefix                    string         // the service's API prefix the template hangs under
	path                      *regexp.Regexp // the full path, for telling 405 from 404
	public                    bool           // served without a token (version documents, token issue)
	h                         func(*call)
}

func (rt *route) key() string { return rt.service + " " + rt.method + " " + rt.template }

// handle registers an API operation.
func (s *Sim) handle(mux *http.ServeMux, service, prefix, method, template string, h func(*call)) *route {
	rt := &route{service: service, method: method, template: template, prefix: prefix, h: h,
		path: regexp.MustCompile("^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(prefix+template), `[^/]+`) + "/?$")}
	s.routes = append(s.routes, rt)
	pattern := method + " " + prefix + template
	if strings.HasSuffix(pattern, "/") {
		pattern += "{$}" // exactly this path, not the subtree
	}
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, rt) })
	return rt
}

// doc registers a version document under a service root ("/compute"): public, and counted like
// any other request, since clients really send them (gophercloud for each service client).
func (s *Sim) doc(mux *http.ServeMux, service, root string, templates []string, h func(*call)) {
	for _, t := range templates {
		s.handle(mux, service, root, "GET", t, h).public = true
	}
}

// unrouted answers what no route matches the way the service does: 405 when the path exists
// with another method, else 404.
func (s *Sim) unrouted(mux *http.ServeMux, service, pattern string) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, s: s, service: service}
		s.mu.Lock()
		s.counts[service+" "+r.Method+" (unrouted)"]++
		s.mu.Unlock()
		for _, rt := range s.routes {
			if rt.service == service && rt.path.MatchString(r.URL.Path) {
				c.fail(http.StatusMethodNotAllowed, "The method specified is not allowed for this resource.")
				return
			}
		}
		c.fail(http.StatusNotFound, "The resource could not be found.")
	})
}

// call is one API request being served.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	s       *Sim
	st      *state
	service string
	token   *token // the caller's token; nil on public routes
	micro   microversion
}

// serve counts a request, applies injected faults and hands it to the route.
func (s *Sim) serve(w http.ResponseWriter, r *http.Request, rt *route) {
	if s.opts.Log != nil {
		lw := &loggingWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		defer func() {
			fmt.Fprintf(s.opts.Log, "%s %s %s -> %s %s\n", time.Now().Format("15:04:05.000"), rt.key(), r.URL.Path, lw.outcome(), time.Since(start).Round(time.Microsecond))
		}()
		w = lw
	}
	s.mu.Lock()
	s.counts[rt.key()]++
	delay, rule := s.matchFaults(rt.service, r.Method, s.faultPath(rt, r))
	s.mu.Unlock()

	// Every OpenStack API stamps a request ID; operators ask for it in bug reports.
	w.Header().Set("X-Openstack-Request-Id", "req-"+newID())
	if delay > 0 {
		// A real API goes on with a change whose client went away (eventlet's WSGI server
		// notices only when it writes the answer): a create sent by a process killed while it
		// waited still makes its server. A read is dropped.
		var gone <-chan struct{}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			gone = r.Context().Done()
		}
		select {
		case <-time.After(delay):
		case <-gone:
			return
		}
	}
	c := &call{w: w, r: r, s: s, service: rt.service}
	if rule != nil && s.applyFault(c, rule, rt) {
		return
	}
	s.run(c, rt)
}

// faultPath is the request path after the service prefix, which Fault.Path is matched against.
func (s *Sim) faultPath(rt *route, r *http.Request) string {
	prefix := strings.Replace(rt.prefix, "{project_id}", r.PathValue("project_id"), 1)
	return strings.TrimPrefix(r.URL.Path, prefix)
}

// run authenticates, negotiates the microversion and runs the handler under the state lock.
func (s *Sim) run(c *call, rt *route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	c.st = s.st
	switch {
	case rt.public:
	case c.service == "reseller":
		// The Reseller API has its own OAuth2 bearer tokens.
		if !c.resellerAuthenticated() {
			c.resellerError(http.StatusUnauthorized, "Could not validate credentials")
			return
		}
	default:
		// keystonemiddleware sits in front of every service: no valid token, no service.
		tok := s.st.tokens[c.r.Header.Get("X-Auth-Token")]
		if tok == nil || !time.Now().Before(tok.expires) {
			c.unauthorized()
			return
		}
		c.token = tok
		if tok.projectID == "" && c.service != "identity" {
			c.fail(http.StatusForbidden, "Policy doesn't allow this operation to be performed: the token is not scoped to a project.")
			return
		}
	}
	switch {
	case c.service == "compute" && !rt.public:
		if !c.negotiate("compute", computeMin, computeMax) {
			return
		}
	case c.service == "volume" && !rt.public:
		if !c.negotiate("volume", volumeMin, volumeMax) {
			return
		}
		// Cinder's URLs carry the project; it must be the token's.
		if c.r.PathValue("project_id") != c.token.projectID {
			c.fail(http.StatusBadRequest, "Malformed request url")
			return
		}
	}
	rt.h(c)
}

// loggingWriter remembers the status of an answer for the request log; it passes hijacking
// through, which the drop faults need.
type loggingWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (w *loggingWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *loggingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	w.hijacked = true
	return hj.Hijack()
}

func (w *loggingWriter) outcome() string {
	if w.hijacked {
		return "dropped"
	}
	return fmt.Sprint(w.status)
}
