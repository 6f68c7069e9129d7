package openstack

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// errorClass says whether an OpenStack error may go away by itself. It is the one
// classification behind the retry policy (retry.go) and IsTransient (the driver's MCM codes).
type errorClass int

const (
	// classPermanent: the same request fails again (4xx other than 429, 501, unknown errors).
	classPermanent errorClass = iota
	// classRateLimited: 429 (and 498, which gophercloud treats alike): refused before it was
	// processed. gophercloud hands these to RetryBackoffFunc, which honours Retry-After for
	// every method; the retry policy does not repeat them again once that gave up.
	classRateLimited
	// classTransient: the service or the network failed (5xx other than 501, transport
	// failures); the same request may succeed later.
	classTransient
	// classCanceled: the context ended (cancelled, or a deadline or the HTTP client's timeout
	// passed); repeating the request would outlive the caller.
	classCanceled
)

func (c errorClass) String() string {
	return [...]string{"permanent", "rate-limited", "transient", "canceled"}[c]
}

// errorOrigin is what the caller knows about where an error without a status code came from:
// the one intended difference between the retry policy and IsTransient.
type errorOrigin int

const (
	// fromRoundTrip: gophercloud's RetryFunc hands over only errors of one HTTP exchange, so
	// one without a status is a transport failure (reset, EOF, refused) or a truncated body.
	fromRoundTrip errorOrigin = iota
	// fromAnywhere: an error from any step of an operation (a caller's own, a lookup's); one
	// without a status counts as transient only when it looks like a network failure.
	fromAnywhere
)

// networkMarkers are the texts of transport failures whose types are lost on the way (errors
// flattened to strings by gophercloud or a wrapper).
var networkMarkers = []string{"connection reset", "connection refused", "EOF", "broken pipe", "timeout"}

// classifyError tells how err may go away; see errorClass and errorOrigin.
func classifyError(err error, origin errorOrigin) errorClass {
	if err == nil {
		return classPermanent
	}
	switch code := StatusCode(err); {
	case code == http.StatusTooManyRequests, code == 498:
		return classRateLimited
	case code == http.StatusNotImplemented:
		return classPermanent // the service lacks the feature: asking again will not add it
	case code >= 500:
		return classTransient
	case code != 0:
		return classPermanent
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return classCanceled
	}
	if origin == fromRoundTrip {
		return classTransient
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return classTransient
	}
	msg := err.Error()
	for _, s := range networkMarkers {
		if strings.Contains(msg, s) {
			return classTransient
		}
	}
	return classPermanent
}
