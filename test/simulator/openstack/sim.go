// Package ossim is an OpenStack API simulator: Keystone v3, Nova, Neutron, Glance and Cinder on
// one loopback HTTP listener (with devstack-like path prefixes), stateful, with the JSON shapes,
// status codes, microversions and pagination of the real services for everything this project
// uses, plus fault injection and request counters. gophercloud talks to it as to a cloud.
package ossim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options tune a simulator.
type Options struct {
	Addr       string        // listen address, default "127.0.0.1:0"
	Region     string        // default "RegionOne"
	BuildTime  time.Duration // BUILD -> ACTIVE, default 1s
	DeleteTime time.Duration // a deleted server stays visible (task_state deleting) this long, default 200ms
	VolumeTime time.Duration // volume creating -> available, default 200ms
	TokenTTL   time.Duration // default 1h
	MaxLimit   int           // page size limit of Nova, Neutron, Glance and Cinder lists, default 1000
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
}

// Service path prefixes, as devstack lays them out.
const (
	identityPrefix = "/identity"
	computePrefix  = "/compute/v2.1"
	networkPrefix  = "/network"
	imagePrefix    = "/image"
	volumePrefix   = "/volume/v3/{project_id}"
)

// Sim is a running simulator.
type Sim struct {
	opts   Options
	url    string
	ln     net.Listener
	server *http.Server

	mu     sync.Mutex
	st     *state
	faults []*faultRule
	counts map[string]int
	nextID int

	seedInfo Seed
}

// Start listens on opts.Addr and serves until Close.
func Start(opts Options) (*Sim, error) {
	opts.defaults()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", opts.Addr, err)
	}
	s := &Sim{opts: opts, ln: ln, url: "http://" + ln.Addr().String(), counts: map[string]int{}}
	s.st = newState()
	s.seed()
	mux := http.NewServeMux()
	s.routes(mux)
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(ln) }()
	return s, nil
}

// Close stops serving.
func (s *Sim) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.server.Shutdown(ctx); err != nil {
		_ = s.server.Close()
	}
}

// URL is the base URL, e.g. http://127.0.0.1:PORT.
func (s *Sim) URL() string { return s.url }

// AuthURL is Keystone's v3 URL.
func (s *Sim) AuthURL() string { return s.url + identityPrefix + "/v3" }

// route registers a counted API handler. service is the counter's service name, prefix the
// service's path prefix and path the route template after it.
func (s *Sim) route(mux *http.ServeMux, service, prefix, method, path string, h func(*call)) {
	key := service + " " + method + " " + path
	mux.HandleFunc(method+" "+prefix+path, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, service, prefix, key, h)
	})
}

// call is one API request being served.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	s       *Sim
	service string
	token   *token // the caller's token (nil for unauthenticated routes)
	micro   microversion
}

func (s *Sim) serve(w http.ResponseWriter, r *http.Request, service, prefix, key string, h func(*call)) {
	s.mu.Lock()
	s.counts[key]++
	rule := s.matchFault(service, r.Method, strings.TrimPrefix(r.URL.Path, expandPrefix(prefix, r)))
	s.mu.Unlock()

	c := &call{w: w, r: r, s: s, service: service}
	if rule != nil {
		if rule.Kind == FaultLatency {
			time.Sleep(rule.Delay)
		} else if handled := s.applyFault(c, rule, h); handled {
			return
		}
	}
	s.handle(c, h)
}

// handle authenticates, negotiates the microversion and runs the handler under the state lock.
func (s *Sim) handle(c *call, h func(*call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	if !(c.service == "identity" && c.r.URL.Path == identityPrefix+"/v3/auth/tokens" && c.r.Method == http.MethodPost) {
		tok := s.st.tokens[c.r.Header.Get("X-Auth-Token")]
		if tok == nil || !time.Now().Before(tok.expires) {
			c.unauthorized()
			return
		}
		c.token = tok
	}
	switch c.service {
	case "compute":
		mv, ok := negotiate(c.r, "compute", computeMin, computeMax)
		if !ok {
			c.novaError(http.StatusNotAcceptable, "Version "+mv.raw+" is not supported by the API. Minimum is 2.1 and maximum is 2.93.")
			return
		}
		c.micro = mv
		c.w.Header().Set("OpenStack-API-Version", "compute "+mv.String())
		c.w.Header().Set("X-OpenStack-Nova-API-Version", mv.String())
		c.w.Header().Add("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version")
	case "volume":
		mv, ok := negotiate(c.r, "volume", volumeMin, volumeMax)
		if !ok {
			c.novaError(http.StatusNotAcceptable, "Version "+mv.raw+" is not supported by the API.")
			return
		}
		c.micro = mv
		c.w.Header().Set("OpenStack-API-Version", "volume "+mv.String())
		if c.r.PathValue("project_id") != c.token.projectID {
			c.novaError(http.StatusForbidden, "Policy doesn't allow this project.")
			return
		}
	}
	h(c)
}

// expandPrefix resolves {project_id} in the Cinder prefix for fault path matching.
func expandPrefix(prefix string, r *http.Request) string {
	if strings.Contains(prefix, "{project_id}") {
		return strings.Replace(prefix, "{project_id}", r.PathValue("project_id"), 1)
	}
	return prefix
}

var errClosed = errors.New("connection dropped by fault injection")
