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
	// FaultError answers Status (default 500) in the service's error shape.
	FaultError FaultKind = "error"
	// FaultRateLimit answers 429 with a Retry-After header, as OpenStack rate limiters do.
	FaultRateLimit FaultKind = "ratelimit"
	// FaultLatency delays the request by Delay.
	FaultLatency FaultKind = "latency"
	// FaultAfterCommit executes the request, then answers Status, or drops the connection when
	// Status is 0: the client cannot tell whether it took effect, as with a failing proxy.
	FaultAfterCommit FaultKind = "after-commit"
	// FaultDrop closes the connection without handling the request.
	FaultDrop FaultKind = "drop"
	// FaultServerError makes the next matching server go to ERROR with Message as its fault.
	FaultServerError FaultKind = "server-error"
	// FaultServerStuckBuild makes the next matching server stay in BUILD.
	FaultServerStuckBuild FaultKind = "server-stuck-build"
)

// DefaultFaultMessage is the server fault of FaultServerError when Message is empty.
const DefaultFaultMessage = "No valid host was found. There are not enough hosts available."

// Fault describes an injected fault. Durations in JSON are Go duration strings ("1s") or seconds.
type Fault struct {
	Service    string        `json:"service,omitempty"` // identity|compute|network|image|volume, "" = any
	Method     string        `json:"method,omitempty"`  // "" = any
	Path       string        `json:"path,omitempty"`    // regexp on the path after the service prefix, "" = any
	Kind       FaultKind     `json:"kind"`
	Status     int           `json:"status,omitempty"`
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
	Delay      time.Duration `json:"delay,omitempty"`
	Message    string        `json:"message,omitempty"`
	Rate       float64       `json:"rate,omitempty"`  // probability 0..1; 0 means always
	Count      int           `json:"count,omitempty"` // at most this many times; 0 = unlimited
}

// UnmarshalJSON accepts durations as strings ("1.5s") or numbers of seconds.
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

type faultRule struct {
	Fault
	id   string
	path *regexp.Regexp
	used int
}

// InjectFault adds a fault and returns its id.
func (s *Sim) InjectFault(f Fault) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	rule := &faultRule{Fault: f, id: strconv.Itoa(s.nextID)}
	if f.Path != "" {
		rule.path = regexp.MustCompile(f.Path)
	}
	s.faults = append(s.faults, rule)
	return rule.id
}

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// matchFault picks the first request-level fault matching a request and consumes one use of it.
// Server-level faults (server-error, stuck build) are consumed by server creation instead.
func (s *Sim) matchFault(service, method, path string) *faultRule {
	for _, f := range s.faults {
		if f.Kind == FaultServerError || f.Kind == FaultServerStuckBuild {
			continue
		}
		if !f.matches(service, method, path) {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && rand.Float64() >= f.Rate {
			continue
		}
		f.used++
		s.dropSpent()
		return f
	}
	return nil
}

func (f *faultRule) matches(service, method, path string) bool {
	if f.Count > 0 && f.used >= f.Count {
		return false
	}
	return (f.Service == "" || f.Service == service) && (f.Method == "" || f.Method == method) &&
		(f.path == nil || f.path.MatchString(path))
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

// takeServerFault consumes the first pending server-level fault (ERROR or stuck BUILD), in the
// order they were injected: one server gets at most one.
func (s *Sim) takeServerFault() *faultRule {
	for _, f := range s.faults {
		if (f.Kind != FaultServerError && f.Kind != FaultServerStuckBuild) || (f.Count > 0 && f.used >= f.Count) {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && rand.Float64() >= f.Rate {
			continue
		}
		f.used++
		s.dropSpent()
		return f
	}
	return nil
}

// applyFault carries out a request-level fault; false means the request is to be served normally.
func (s *Sim) applyFault(c *call, rule *faultRule, h func(*call)) bool {
	switch rule.Kind {
	case FaultError:
		status := rule.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		msg := rule.Message
		if msg == "" {
			msg = "injected fault: " + http.StatusText(status)
		}
		c.fail(status, msg)
	case FaultRateLimit:
		c.w.Header().Set("Retry-After", strconv.Itoa(int(rule.RetryAfter.Round(time.Second)/time.Second)))
		c.fail(http.StatusTooManyRequests, "Rate limit exceeded: too many requests, retry later.")
	case FaultDrop:
		hijackAndClose(c.w)
	case FaultAfterCommit:
		rec := httptest.NewRecorder()
		inner := &call{w: rec, r: c.r, s: s, service: c.service}
		s.handle(inner, h)
		if rule.Status == 0 {
			hijackAndClose(c.w)
		} else {
			c.fail(rule.Status, "injected fault after commit: "+http.StatusText(rule.Status))
		}
	default:
		return false
	}
	return true
}

func hijackAndClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
