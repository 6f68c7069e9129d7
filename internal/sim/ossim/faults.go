package ossim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"time"
)

// FaultKind says what an injected fault does.
type FaultKind string

// The fault kinds.
const (
	// FaultError answers Status (default 500) in the service's error shape, without doing anything.
	FaultError FaultKind = "error"
	// FaultRateLimit answers 429 with a Retry-After header (whole seconds), as the rate limiters in
	// front of OpenStack APIs do.
	FaultRateLimit FaultKind = "ratelimit"
	// FaultLatency delays the request by Delay, then serves it. Latency faults add up with each
	// other and combine with one other fault.
	FaultLatency FaultKind = "latency"
	// FaultAfterCommit executes the request fully, then answers Status, or drops the connection
	// when Status is 0: the client cannot tell whether it took effect, as behind a failing proxy.
	FaultAfterCommit FaultKind = "after-commit"
	// FaultDrop closes the connection without handling the request.
	FaultDrop FaultKind = "drop"
	// FaultServerError makes the next matching server create build into ERROR, with a fault of
	// code 500 and Message.
	FaultServerError FaultKind = "server-error"
	// FaultServerStuckBuild makes the next matching server create stay in BUILD for good.
	FaultServerStuckBuild FaultKind = "server-stuck-build"
	// FaultServerDeleteLingers makes the next matching server delete (compute DELETE
	// /servers/{id}) be accepted while the server stays as it was with task_state "deleting",
	// until it is deleted again: Nova's cast to the compute host got lost (a rabbitmq restart).
	FaultServerDeleteLingers FaultKind = "server-delete-lingers"
)

// DefaultFaultMessage is the server fault of FaultServerError when Message is empty: what Nova
// says when scheduling fails.
const DefaultFaultMessage = "No valid host was found. There are not enough hosts available."

// Fault describes an injected fault. It matches requests by Service, Method and Path (all
// optional); server-error and server-stuck-build match server creates (compute POST /servers).
//
// As JSON (admin endpoint POST /_sim/faults) the fields are lower camel case, and RetryAfter and
// Delay are Go duration strings ("1.5s") or numbers of seconds:
//
//	{"service":"compute","method":"POST","path":"^/servers$","kind":"ratelimit","retryAfter":2,"count":1}
type Fault struct {
	Service    string        `json:"service,omitempty"` // identity|compute|network|image|volume, "" = any
	Method     string        `json:"method,omitempty"`  // "" = any
	Path       string        `json:"path,omitempty"`    // Go regexp on the path after the service prefix, "" = any
	Kind       FaultKind     `json:"kind"`
	Status     int           `json:"status,omitempty"`     // error (default 500) and after-commit (0 = drop)
	RetryAfter time.Duration `json:"retryAfter,omitempty"` // ratelimit
	Delay      time.Duration `json:"delay,omitempty"`      // latency
	Message    string        `json:"message,omitempty"`    // error body message; server-error fault message
	Rate       float64       `json:"rate,omitempty"`       // probability 0..1; 0 means always
	Count      int           `json:"count,omitempty"`      // apply at most this many times; 0 = unlimited

	// With server-error: Nova leaves the ports (LeavePorts) or volumes (LeaveVolumes) it made
	// for the server behind, as when Neutron or Cinder failed its cleanup (see nova_faults.go).
	LeavePorts   bool `json:"leavePorts,omitempty"`
	LeaveVolumes bool `json:"leaveVolumes,omitempty"`
}

// UnmarshalJSON accepts durations as Go duration strings or numbers of seconds.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var aux struct {
		plain
		RetryAfter any `json:"retryAfter,omitempty"`
		Delay      any `json:"delay,omitempty"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*f = Fault(aux.plain)
	var err error
	if f.RetryAfter, err = jsonDuration(aux.RetryAfter); err != nil {
		return fmt.Errorf("retryAfter: %w", err)
	}
	if f.Delay, err = jsonDuration(aux.Delay); err != nil {
		return fmt.Errorf("delay: %w", err)
	}
	return nil
}

func jsonDuration(v any) (time.Duration, error) {
	switch d := v.(type) {
	case nil:
		return 0, nil
	case float64:
		return time.Duration(d * float64(time.Second)), nil
	case string:
		return time.ParseDuration(d)
	}
	return 0, fmt.Errorf("want a duration string or seconds, got %T", v)
}

// validate checks a fault before it is armed.
func (f Fault) validate() (*regexp.Regexp, error) {
	switch f.Kind {
	case FaultError, FaultRateLimit, FaultLatency, FaultAfterCommit, FaultDrop, FaultServerError, FaultServerStuckBuild, FaultServerDeleteLingers:
	default:
		return nil, fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Rate < 0 || f.Rate > 1 {
		return nil, fmt.Errorf("rate %v is not within 0..1", f.Rate)
	}
	if f.Path == "" {
		return nil, nil
	}
	re, err := regexp.Compile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	return re, nil
}

type faultRule struct {
	Fault
	id   string
	path *regexp.Regexp
	used int
}

// InjectFault arms a fault and returns its id. It panics on a fault that cannot work (unknown
// kind, bad path regexp), since that is a bug in the test.
func (s *Sim) InjectFault(f Fault) string {
	id, err := s.injectFault(f)
	if err != nil {
		panic("ossim: " + err.Error())
	}
	return id
}

func (s *Sim) injectFault(f Fault) (string, error) {
	re, err := f.validate()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultSeq++
	rule := &faultRule{Fault: f, id: strconv.Itoa(s.faultSeq), path: re}
	s.faults = append(s.faults, rule)
	return rule.id, nil
}

// RemoveFault disarms one fault; false when there is none with that id (any more).
func (s *Sim) RemoveFault(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.id == id {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return true
		}
	}
	return false
}

// ClearFaults disarms every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (f *faultRule) serverLevel() bool {
	return f.Kind == FaultServerError || f.Kind == FaultServerStuckBuild || f.Kind == FaultServerDeleteLingers
}

func (f *faultRule) matches(service, method, path string) bool {
	return (f.Count == 0 || f.used < f.Count) &&
		(f.Service == "" || f.Service == service) && (f.Method == "" || f.Method == method) &&
		(f.path == nil || f.path.MatchString(path))
}

// fire rolls the dice of a matching fault and uses it up once when it applies.
func (f *faultRule) fire() bool {
	if f.Rate > 0 && f.Rate < 1 && rand.Float64() >= f.Rate {
		return false
	}
	f.used++
	return true
}

// matchFaults picks the faults for a request: the sum of the matching latency faults and the
// first other matching request-level fault. Server-level faults wait for server creation.
func (s *Sim) matchFaults(service, method, path string) (delay time.Duration, rule *faultRule) {
	for _, f := range s.faults {
		if f.serverLevel() || !f.matches(service, method, path) {
			continue
		}
		switch {
		case f.Kind == FaultLatency:
			if f.fire() {
				delay += f.Delay
			}
		case rule == nil:
			if f.fire() {
				rule = f
			}
		}
	}
	s.dropSpent()
	return delay, rule
}

// takeServerFault consumes the first armed server-level fault matching a server create, in the
// order they were injected: one server gets at most one.
func (s *Sim) takeServerFault() *faultRule {
	for _, f := range s.faults {
		if f.serverLevel() && f.Kind != FaultServerDeleteLingers && f.matches("compute", http.MethodPost, "/servers") && f.fire() {
			s.dropSpent()
			return f
		}
	}
	return nil
}

func (s *Sim) dropSpent() {
	kept := s.faults[:0]
	for _, f := range s.faults {
		if f.Count == 0 || f.used < f.Count {
			kept = append(kept, f)
		}
	}
	s.faults = kept
}

// applyFault carries out a request-level fault; false means the request is served normally.
func (s *Sim) applyFault(c *call, rule *faultRule, rt *route) bool {
	switch rule.Kind {
	case FaultError:
		status := rule.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		msg := rule.Message
		if msg == "" {
			msg = "Injected fault: " + http.StatusText(status)
		}
		c.fail(status, msg)
	case FaultRateLimit:
		secs := int((rule.RetryAfter + time.Second - 1) / time.Second)
		c.w.Header().Set("Retry-After", strconv.Itoa(secs))
		msg := rule.Message
		if msg == "" {
			msg = "Rate limit exceeded. Too many requests, retry after " + strconv.Itoa(secs) + " seconds."
		}
		c.fail(http.StatusTooManyRequests, msg)
	case FaultDrop:
		hijackAndClose(c.w)
	case FaultAfterCommit:
		// Serve the request for real into a recorder, then lie to the client.
		inner := &call{w: httptest.NewRecorder(), r: c.r, s: s, service: c.service}
		s.run(inner, rt)
		if rule.Status == 0 {
			hijackAndClose(c.w)
			return true
		}
		msg := rule.Message
		if msg == "" {
			msg = http.StatusText(rule.Status)
		}
		c.fail(rule.Status, msg)
	default:
		return false
	}
	return true
}

// hijackAndClose drops the client's connection without an answer.
func hijackAndClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// MarshalJSON writes durations as Go duration strings, which UnmarshalJSON reads back.
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain Fault
	return json.Marshal(struct {
		plain
		RetryAfter string `json:"retryAfter,omitempty"`
		Delay      string `json:"delay,omitempty"`
	}{plain(f), durationString(f.RetryAfter), durationString(f.Delay)})
}

func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}
