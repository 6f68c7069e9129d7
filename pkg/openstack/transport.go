package openstack

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// RequestEvent describes one HTTP request to OpenStack, for metrics.
type RequestEvent struct {
	Service   string // compute, network, image, identity
	Operation string // e.g. create_server; "" when the caller did not name it
	Method    string
	// Code is the HTTP status, or 0 when no response arrived.
	Code     int
	Duration time.Duration
}

// RequestObserver receives one RequestEvent per HTTP request.
type RequestObserver func(RequestEvent)

type operationKey struct{}

type operation struct{ service, name string }

// withOperation names the OpenStack operation a request belongs to, for metrics.
func withOperation(ctx context.Context, service, name string) context.Context {
	return context.WithValue(ctx, operationKey{}, operation{service: service, name: name})
}

// transport applies the client-side rate limit and reports every request. Requests made by
// gophercloud itself (authentication) carry no operation and are reported as identity.
type transport struct {
	next     http.RoundTripper
	limiter  *rate.Limiter
	observer RequestObserver
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.limiter != nil {
		if err := t.limiter.Wait(req.Context()); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if t.observer != nil {
		op, _ := req.Context().Value(operationKey{}).(operation)
		if op.service == "" {
			op.service = "identity"
		}
		ev := RequestEvent{Service: op.service, Operation: op.name, Method: req.Method, Duration: time.Since(start)}
		if resp != nil {
			ev.Code = resp.StatusCode
		}
		t.observer(ev)
	}
	return resp, err
}
