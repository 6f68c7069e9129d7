package reseller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// APIError is a non-success answer of the Reseller API.
type APIError struct {
	Method, Path string // the request, Path relative to the endpoint ("/api/v1/project/")
	StatusCode   int
	Message      string       // the envelope's message or FastAPI's detail
	Details      []FieldError // a 422's validation errors
	// RetryAfter is the Retry-After of a 429 or 503 (0 when absent), for the caller's backoff;
	// the client does not wait by itself.
	RetryAfter time.Duration
}

// FieldError is one validation error of a 422.
type FieldError struct {
	Loc  []string // e.g. ["body", "description"]
	Msg  string
	Type string // pydantic's, e.g. "value_error.str.regex"
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(no message)"
	}
	return fmt.Sprintf("reseller API: %s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), msg)
}

// networkError is a request that got no answer.
type networkError struct {
	method, path string
	err          error
	msg          string // err's text, redacted
}

func (e *networkError) Error() string {
	return fmt.Sprintf("reseller API: %s %s: %s", e.method, e.path, e.msg)
}

func (e *networkError) Unwrap() error { return e.err }

// parseAPIError reads an error answer: the envelope's message, or FastAPI's detail (a string,
// or a 422's list of validation errors).
func parseAPIError(method, path string, code int, header http.Header, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: code}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		e.RetryAfter = retryAfter(header.Get("Retry-After"))
	}
	var b struct {
		Message *string         `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &b) == nil {
		switch {
		case b.Message != nil && *b.Message != "":
			e.Message = *b.Message
		case len(b.Detail) > 0:
			var s string
			var list []struct {
				Loc  []any  `json:"loc"`
				Msg  string `json:"msg"`
				Type string `json:"type"`
			}
			if json.Unmarshal(b.Detail, &s) == nil {
				e.Message = s
			} else if json.Unmarshal(b.Detail, &list) == nil {
				var parts []string
				for _, d := range list {
					fe := FieldError{Msg: d.Msg, Type: d.Type}
					for _, l := range d.Loc {
						fe.Loc = append(fe.Loc, fmt.Sprint(l))
					}
					e.Details = append(e.Details, fe)
					parts = append(parts, strings.Join(fe.Loc, ".")+": "+d.Msg)
				}
				e.Message = strings.Join(parts, "; ")
			}
		}
	}
	if e.Message == "" {
		e.Message = snippet(body)
	}
	return e
}

// snippet is the start of a body that is no JSON error, one line.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// retryAfter reads Retry-After: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func statusIs(err error, codes ...int) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.StatusCode == c {
			return true
		}
	}
	return false
}

// IsNotFound reports a 404.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsConflict reports a 409 (a name that is taken).
func IsConflict(err error) bool { return statusIs(err, http.StatusConflict) }

// IsValidation reports a 422: the request does not fit the API's schema; retrying will not help.
func IsValidation(err error) bool { return statusIs(err, http.StatusUnprocessableEntity) }

// IsUnauthorized reports a 401 that a fresh login did not cure: wrong credentials.
func IsUnauthorized(err error) bool { return statusIs(err, http.StatusUnauthorized) }

// IsRetryable reports an error worth retrying later: 429, 5xx, or no answer at all (connection
// refused or reset, timeout, cut-off body). A cancelled context is not.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var e *APIError
	if errors.As(err, &e) {
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
	}
	var ne net.Error
	var ue *url.Error
	var nw *networkError
	return errors.As(err, &nw) || errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, context.DeadlineExceeded)
}
