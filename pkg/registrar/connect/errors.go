package connect

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// outcome is the result of one connect attempt.
type outcome struct {
	connected bool
	failed    bool
	reason    string
	message   string
	requeue   time.Duration
	err       error // returned to controller-runtime (backoff)
}

func fail(reason, message string, requeue time.Duration) outcome {
	return outcome{failed: true, reason: reason, message: message, requeue: requeue}
}

// targetFailure classifies an error of the target: refused credentials wait for a new
// kubeconfig, an unreachable server is retried with backoff. The message is a fixed sentence
// with the HTTP code (errorSummary): nothing of the target's answer, which whoever
// runs the target controls, gets into the status or an event.
func targetFailure(what string, err error) outcome {
	var conflict *conflictError
	switch {
	case errors.As(err, &conflict):
		return fail(ReasonConflict, conflict.msg, 5*retry)
	case errors.Is(err, errLocalAddress):
		return fail(ReasonInvalidKubeconfig, fmt.Sprintf("%s: %s", what, msgLocal), retry)
	case isAuthError(err):
		return fail(ReasonUnauthorized, fmt.Sprintf("%s: the target cluster refused the credentials (%s)", what, errorSummary(err)), retry)
	case isUnreachable(err):
		o := fail(ReasonClusterUnreachable, fmt.Sprintf("%s: %s", what, errorSummary(err)), 0)
		o.err = err
		return o
	default:
		o := fail(ReasonTargetError, fmt.Sprintf("%s: %s", what, errorSummary(err)), 0)
		o.err = err
		return o
	}
}

func registryFailure(err error) outcome {
	var conflict *conflictError
	if errors.As(err, &conflict) {
		return fail(ReasonConflict, conflict.msg, 5*retry)
	}
	o := fail(ReasonRegistryError, err.Error(), 0)
	o.err = err
	return o
}

func equalStatus(a, b regv1.ClusterConnectStatus) bool { return a == b }

func truncate(msg string) string {
	if len(msg) > 1024 {
		return msg[:1021] + "..."
	}
	return msg
}

// conflictError is an object in the target (or the registry) that is in the way.
type conflictError struct{ msg string }

func (e *conflictError) Error() string { return e.msg }

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// isAuthError tells whether the target refused the credentials.
func isAuthError(err error) bool {
	return apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err)
}

// isUnreachable tells whether err means the target's API server could not be reached
// or did not answer: network and TLS errors, timeouts, and a gateway's 502/503/504.
func isUnreachable(err error) bool {
	if err == nil {
		return false
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code == 502 || code == 503 || code == 504 || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err)
	}
	var urlErr *url.Error
	var netErr net.Error
	return errors.As(err, &urlErr) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded)
}

// errorSummary says what went wrong with a request to a target in a fixed sentence
// and, for an answer, its HTTP status code: never a part of the target's response (a hostile
// target controls it) and never a part of the request.
func errorSummary(err error) string {
	var status apierrors.APIStatus
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, errLocalAddress):
		return msgLocal
	case errors.As(err, &status):
		code := int(status.Status().Code)
		if code == 0 {
			return "the target's answer was not understood"
		}
		return fmt.Sprintf("the target answered HTTP %d %s", code, http.StatusText(code))
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return "the target's serving certificate is not trusted by the kubeconfig's certificate-authority-data, or not for its server name"
	case errors.As(err, &dnsErr):
		return "the server's host name does not resolve"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "the request to the target timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the target refused the connection"
	case errors.As(err, &netErr):
		return "the target cannot be reached"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return "the target cannot be reached"
	}
	return "the target's answer was not understood"
}
