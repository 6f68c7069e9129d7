package driver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
)

// invalidSpecError carries every problem found in a MachineClass or Secret.
type invalidSpecError struct{ errs field.ErrorList }

func (e *invalidSpecError) Error() string { return e.errs.ToAggregate().Error() }

// invalidReferenceError says the spec names something the cloud does not have (flavor, image,
// network, security group): a user error, not a cloud error.
type invalidReferenceError struct{ err error }

func (e *invalidReferenceError) Error() string { return e.err.Error() }
func (e *invalidReferenceError) Unwrap() error { return e.err }

// flavorUnavailableError is a flavor the region does not offer to the project. It is
// ResourceExhausted, as in provider-openstack v0.27.1: the cluster-autoscaler then backs off the
// worker pool at once and scales another (as for a pool out of capacity), and MCM retries after
// --resource-exhausted-retry; as InvalidArgument the autoscaler would wait its whole node
// provision timeout for a machine that cannot come. A withdrawn or not yet enabled flavor is an
// availability problem of one pool, not a malformed spec (which validation catches).
type flavorUnavailableError struct{ err error }

func (e *flavorUnavailableError) Error() string {
	return strings.TrimSuffix(e.err.Error(), ": "+openstack.ErrNotFound.Error()) +
		" is not offered in this region and project (not found); the cluster-autoscaler may scale another worker pool"
}
func (e *flavorUnavailableError) Unwrap() error { return e.err }

// notOwnedError is a server that exists but belongs to another cluster than the MachineClass's.
// It counts as not found: the driver never reports or touches it.
type notOwnedError struct {
	serverID string
	cluster  string
}

func (e *notOwnedError) Error() string {
	return fmt.Sprintf("server %s does not belong to cluster %s", e.serverID, e.cluster)
}

func (e *notOwnedError) Is(target error) bool { return target == openstack.ErrNotFound }

// serverFaultError is a server that ended in ERROR; msg is Nova's fault message.
type serverFaultError struct {
	server *openstack.Server
	msg    string
}

func (e *serverFaultError) Error() string {
	return fmt.Sprintf("server %s went to ERROR: %s", e.server.ID, e.msg)
}

// stuckError is a server that did not leave BUILD in time.
type stuckError struct {
	server *openstack.Server
	status string
	waited string
}

func (e *stuckError) Error() string {
	return fmt.Sprintf("server %s was still %s after %s", e.server.ID, e.status, e.waited)
}

// deleteLingersError is a server still there DeleteTimeout after it was deleted (and deleted
// again): Nova is slow or lost the request. It is Unavailable, so MCM calls again soon.
type deleteLingersError struct {
	server *openstack.Server
	waited time.Duration
}

func (e *deleteLingersError) Error() string {
	state := e.server.Status
	if e.server.TaskState != "" {
		state += ", " + e.server.TaskState
	}
	return fmt.Sprintf("server %s still exists (%s) %s after it was deleted", e.server.ID, state, e.waited)
}

// statusError is the one place that turns any error of this driver into an MCM status with the
// code MCM acts on: ResourceExhausted waits long (quota), Unavailable/DeadlineExceeded retry soon,
// InvalidArgument needs a user's fix, NotFound means the VM is gone.
func statusError(action string, err error) error {
	if err == nil {
		return nil
	}
	var s *status.Status
	if errors.As(err, &s) {
		if error(s) == err { //nolint:errorlint // identity, not equality: err is the status itself, unwrapped
			return s
		}
		// A status wrapped in more context keeps its code and gains the context.
		return status.Error(s.Code(), sanitize(action+": "+describe(err)))
	}
	return status.Error(classify(err), sanitize(action+": "+describe(err)))
}

func classify(err error) codes.Code {
	var (
		invalid  *invalidSpecError
		flavor   *flavorUnavailableError
		badRef   *invalidReferenceError
		multiple *openstack.MultipleFoundError
		fault    *serverFaultError
		stuck    *stuckError
		lingers  *deleteLingersError
	)
	switch {
	case errors.As(err, &invalid):
		return codes.InvalidArgument
	case errors.As(err, &multiple):
		return codes.OutOfRange
	case errors.As(err, &flavor):
		return codes.ResourceExhausted
	case errors.As(err, &badRef):
		return codes.InvalidArgument
	case errors.As(err, &fault):
		if openstack.IsQuotaMessage(fault.msg) {
			return codes.ResourceExhausted
		}
		return codes.Internal
	case errors.As(err, &stuck):
		return codes.DeadlineExceeded
	case errors.As(err, &lingers):
		return codes.Unavailable
	case openstack.IsQuotaExceeded(err):
		return codes.ResourceExhausted
	case openstack.IsNotFound(err):
		return codes.NotFound
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	switch openstack.StatusCode(err) {
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusConflict:
		return codes.Aborted
	}
	// The classification pkg/openstack's retry policy uses too (classify.go).
	if openstack.IsTransient(err) {
		return codes.Unavailable
	}
	if strings.Contains(err.Error(), "Unable to re-authenticate") || strings.Contains(err.Error(), "Authentication failed") {
		return codes.Unauthenticated
	}
	return codes.Internal
}

// describe renders err for a Machine status: the OpenStack API's own message where there is one,
// rather than raw response bodies.
func describe(err error) string {
	msg := err.Error()
	if apiMsg := openstack.APIMessage(err); apiMsg != "" {
		if code := openstack.StatusCode(err); code != 0 {
			// gophercloud's text repeats the body; keep our context (up to the body) and the message.
			if i := strings.Index(msg, "Expected HTTP response code"); i > 0 {
				msg = msg[:i]
			}
			return fmt.Sprintf("%sHTTP %d: %s", msg, code, apiMsg)
		}
	}
	return msg
}

// sanitize keeps MCM's status parser working: it reads the first two bracketed groups of the
// text, counting nesting, so balanced brackets (field paths like podNetworkCIDRs[0], Neutron's
// "['port']") are kept, and only a message with unbalanced brackets has them replaced.
func sanitize(msg string) string {
	depth := 0
	for _, r := range msg {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth < 0 {
			break
		}
	}
	if depth == 0 {
		return msg
	}
	return strings.NewReplacer("[", "(", "]", ")").Replace(msg)
}
