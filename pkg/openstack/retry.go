package openstack

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// retryAfterBackoff handles 429 (and Keystone's 498): the request was refused before it was
// processed, so repeating it is safe for every method. It waits as long as Retry-After says
// (seconds or an HTTP date), capped, or backs off exponentially when the header is missing.
func retryAfterBackoff(maxWait time.Duration) gophercloud.RetryBackoffFunc {
	return func(ctx context.Context, respErr *gophercloud.ErrUnexpectedResponseCode, _ error, attempt uint) error {
		wait := retryAfter(respErr.ResponseHeader, time.Now())
		if wait <= 0 {
			wait = backoff(attempt)
		}
		if maxWait > 0 && wait > maxWait {
			wait = maxWait
		}
		if err := sleep(ctx, wait); err != nil {
			return respErr
		}
		return nil
	}
}

// retryAfter parses a Retry-After header; zero when absent or unparsable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// retryIdempotent repeats idempotent requests (GET, HEAD, PUT, DELETE) after transient failures
// (classTransient: 5xx other than 501 and transport errors). POST is never repeated: a POST /servers whose response
// was lost may have created the server, and repeating it would make a second one. The driver finds
// such a server by name and tag instead.
func retryIdempotent(maxRetries uint) gophercloud.RetryFunc {
	return func(ctx context.Context, method, _ string, _ *gophercloud.RequestOpts, err error, failCount uint) error {
		if failCount > maxRetries || !idempotent(method) || !transient(err) {
			return err
		}
		if sleepErr := sleep(ctx, backoff(failCount)); sleepErr != nil {
			return err
		}
		return nil
	}
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// transient tells whether the retry policy repeats err (see classifyError).
func transient(err error) bool {
	return classifyError(err, fromRoundTrip) == classTransient
}

// backoff is 250ms doubling per attempt, capped at 8s, with jitter so retries spread out.
func backoff(attempt uint) time.Duration {
	d := 250 * time.Millisecond << min(attempt, 5)
	if d > 8*time.Second {
		d = 8 * time.Second
	}
	return d/2 + rand.N(d/2+1) //nolint:gosec // G404: jitter spreads retries out, it needs no crypto randomness
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
