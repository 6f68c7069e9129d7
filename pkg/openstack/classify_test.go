package openstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// httpClientTimeout is the error of a real request that outlived http.Client.Timeout.
func httpClientTimeout(t *testing.T) error {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	resp, err := (&http.Client{Timeout: 20 * time.Millisecond}).Get(srv.URL)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatal("the request did not time out")
	}
	return err
}

// TestClassifyError lists every case and its class, for errors from one HTTP round trip (the
// retry policy) and from anywhere (IsTransient): a change of the policy shows up here.
func TestClassifyError(t *testing.T) {
	status := func(code int) error { return gophercloud.ErrUnexpectedResponseCode{Actual: code} }
	const (
		permanent   = classPermanent
		rateLimited = classRateLimited
		transientC  = classTransient
		canceled    = classCanceled
	)
	for _, tc := range []struct {
		name      string
		err       error
		roundTrip errorClass // retry.go: a GET is repeated only when transient
		anywhere  errorClass // IsTransient: rate-limited or transient
	}{
		{"nil", nil, permanent, permanent},
		{"429", status(429), rateLimited, rateLimited},
		{"498", status(498), rateLimited, rateLimited},
		{"500", status(500), transientC, transientC},
		{"501", status(501), permanent, permanent},
		{"502", status(502), transientC, transientC},
		{"503", status(503), transientC, transientC},
		{"504", status(504), transientC, transientC},
		{"507", status(507), transientC, transientC},
		{"400", status(400), permanent, permanent},
		{"401", status(401), permanent, permanent},
		{"403", status(403), permanent, permanent},
		{"404", status(404), permanent, permanent},
		{"409", status(409), permanent, permanent},
		{"413", status(413), permanent, permanent},
		{"wrapped 503", fmt.Errorf("listing servers: %w", status(503)), transientC, transientC},
		{"pointer 404", fmt.Errorf("get: %w", &gophercloud.ErrUnexpectedResponseCode{Actual: 404}), permanent, permanent},
		{"connection reset", &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}, transientC, transientC},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, transientC, transientC},
		{"reset as text", errors.New("read: connection reset by peer"), transientC, transientC},
		{"unexpected EOF", io.ErrUnexpectedEOF, transientC, transientC},
		{"net timeout", &net.DNSError{Err: "i/o", Name: "keystone", IsTimeout: true}, transientC, transientC},
		// Without a status only the round trip knows it was the network.
		{"truncated JSON body", errors.New("invalid character '}' looking for beginning of value"), transientC, permanent},
		{"other error", errors.New("no flavor matches"), transientC, permanent},
		{"context canceled", fmt.Errorf("get: %w", context.Canceled), canceled, canceled},
		{"context deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), canceled, canceled},
		{"http.Client timeout", httpClientTimeout(t), canceled, canceled},
	} {
		if got := classifyError(tc.err, fromRoundTrip); got != tc.roundTrip {
			t.Errorf("%s from a round trip: %s, want %s", tc.name, got, tc.roundTrip)
		}
		if got := classifyError(tc.err, fromAnywhere); got != tc.anywhere {
			t.Errorf("%s from anywhere: %s, want %s", tc.name, got, tc.anywhere)
		}
		// The two consumers follow the table.
		if got, want := transient(tc.err), tc.roundTrip == classTransient; got != want {
			t.Errorf("%s: retry policy repeats it: %v, want %v", tc.name, got, want)
		}
		if got, want := IsTransient(tc.err), tc.anywhere == classTransient || tc.anywhere == classRateLimited; got != want {
			t.Errorf("%s: IsTransient %v, want %v", tc.name, got, want)
		}
	}
}
