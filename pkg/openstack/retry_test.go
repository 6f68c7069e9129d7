package openstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for header, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 27 Nov 2026 12:00:05 GMT": 5 * time.Second,
	} {
		h := http.Header{}
		if header != "" {
			h.Set("Retry-After", header)
		}
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q: got %s, want %s", header, got, want)
		}
	}
}

func TestRetryIdempotentNeverRepeatsPOST(t *testing.T) {
	retry := retryIdempotent(3)
	unavailable := gophercloud.ErrUnexpectedResponseCode{Actual: http.StatusServiceUnavailable}
	ctx := context.Background()
	if err := retry(ctx, http.MethodPost, "u", nil, unavailable, 1); err == nil {
		t.Fatal("a POST must not be repeated: it may have created a server")
	}
	if err := retry(ctx, http.MethodGet, "u", nil, unavailable, 1); err != nil {
		t.Fatalf("a GET after 503 is repeated: %v", err)
	}
	if err := retry(ctx, http.MethodDelete, "u", nil, gophercloud.ErrUnexpectedResponseCode{Actual: http.StatusNotFound}, 1); err == nil {
		t.Fatal("a 404 is final")
	}
	if err := retry(ctx, http.MethodGet, "u", nil, unavailable, 4); err == nil {
		t.Fatal("retries are bounded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := retry(cancelled, http.MethodGet, "u", nil, fmt.Errorf("get: %w", context.Canceled), 1); err == nil {
		t.Fatal("a cancelled request is not repeated")
	}
}

func TestClassification(t *testing.T) {
	quota := gophercloud.ErrUnexpectedResponseCode{Actual: 403, Body: []byte(`{"forbidden":{"code":403,"message":"Quota exceeded for cores"}}`)}
	policy := gophercloud.ErrUnexpectedResponseCode{Actual: 403, Body: []byte(`{"forbidden":{"code":403,"message":"Policy doesn't allow it"}}`)}
	wrapped := fmt.Errorf("creating server: %w", quota)
	if !IsQuotaExceeded(wrapped) || IsQuotaExceeded(policy) {
		t.Fatal("quota is told apart from policy by the message")
	}
	if APIMessage(wrapped) != "Quota exceeded for cores" {
		t.Fatalf("message: %q", APIMessage(wrapped))
	}
	if !IsNotFound(notFound("flavor", "x")) || !errors.Is(notFound("flavor", "x"), ErrNotFound) {
		t.Fatal("notFound wraps ErrNotFound")
	}
	if !IsTransient(gophercloud.ErrUnexpectedResponseCode{Actual: 429}) || IsTransient(policy) {
		t.Fatal("429 is transient, 403 is not")
	}
	if !IsTransient(errors.New("read: connection reset by peer")) {
		t.Fatal("a reset connection is transient")
	}
	if extractMessage(`{"NeutronError":{"type":"OverQuota","message":"Quota exceeded for resources: ['port'].","detail":""}}`) != "Quota exceeded for resources: ['port']." {
		t.Fatal("Neutron's message")
	}
}

func TestBackoffBounded(t *testing.T) {
	for attempt := uint(0); attempt < 20; attempt++ {
		if d := backoff(attempt); d <= 0 || d > 8*time.Second {
			t.Fatalf("backoff(%d) = %s", attempt, d)
		}
	}
}
