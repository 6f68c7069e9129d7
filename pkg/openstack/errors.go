package openstack

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
)

// ErrNotFound is returned (wrapped) when a looked-up object does not exist.
var ErrNotFound = errors.New("not found")

// MultipleFoundError says a name that must be unique matched several objects.
type MultipleFoundError struct {
	Kind  string
	Name  string
	Count int
}

func (e *MultipleFoundError) Error() string {
	return fmt.Sprintf("%d %ss are named %q, expected exactly one", e.Count, e.Kind, e.Name)
}

// notFound wraps ErrNotFound with what was missing.
func notFound(kind, name string) error {
	return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
}

// unexpectedResponse returns the OpenStack error response inside err; gophercloud returns it by
// value, but wrappers may hold a pointer.
func unexpectedResponse(err error) (*gophercloud.ErrUnexpectedResponseCode, bool) {
	var code gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &code) {
		return &code, true
	}
	var codePtr *gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &codePtr) {
		return codePtr, true
	}
	return nil, false
}

// StatusCode returns the HTTP status of an OpenStack error, or 0.
func StatusCode(err error) int {
	if resp, ok := unexpectedResponse(err); ok {
		return resp.Actual
	}
	return 0
}

// responseBody returns the body of an OpenStack error response, or "".
func responseBody(err error) string {
	if resp, ok := unexpectedResponse(err); ok {
		return string(resp.Body)
	}
	return ""
}

// IsNotFound tells whether err means the object does not exist.
func IsNotFound(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrNotFound) || StatusCode(err) == http.StatusNotFound {
		return true
	}
	var rnf gophercloud.ErrResourceNotFound
	return errors.As(err, &rnf)
}

// quotaMarkers are the phrases OpenStack uses for an exhausted quota or capacity, in API errors
// (Nova 403 "Quota exceeded", Neutron 409 OverQuota, Cinder 413 VolumeLimitExceeded) and in
// server faults (Nova's "No valid host was found", "Maximum number of ports exceeded").
var quotaMarkers = []string{
	"quota exceeded",
	"overquota",
	"limitexceeded",
	"no valid host was found",
	"maximum number of ports exceeded",
	"exceeded for quota",
	"exceeds allowed", // Cinder's VolumeSizeExceedsAvailableQuota, also inside a boot-from-volume fault
	"insufficient resources",
}

// IsQuotaMessage tells whether an OpenStack message reports exhausted quota or capacity.
func IsQuotaMessage(msg string) bool {
	m := strings.ToLower(msg)
	for _, marker := range quotaMarkers {
		if strings.Contains(m, marker) {
			return true
		}
	}
	return false
}

// IsQuotaExceeded tells whether an API error reports an exhausted quota.
func IsQuotaExceeded(err error) bool {
	switch StatusCode(err) {
	case http.StatusForbidden, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusBadRequest:
		return IsQuotaMessage(responseBody(err))
	}
	return false
}

// IsTransient tells whether an error may go away by itself (rate limit, unavailable backend,
// network failure): the caller should retry soon. A context that ended is not transient.
func IsTransient(err error) bool {
	switch classifyError(err, fromAnywhere) {
	case classTransient, classRateLimited:
		return true
	}
	return false
}

// APIMessage extracts the human message of an OpenStack error body ("message" in any of the
// services' error shapes), so errors shown to users carry the cloud's words, not raw JSON.
func APIMessage(err error) string {
	body := responseBody(err)
	if body == "" {
		return ""
	}
	return extractMessage(body)
}
