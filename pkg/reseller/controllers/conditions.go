package controllers

import (
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller"
)

// How long to wait before looking again at something that waits for another object or for a
// changed spec; changes of the watched objects trigger earlier.
const (
	waitRequeue     = 15 * time.Second
	rejectedRequeue = 5 * time.Minute
)

// outcome is the result of one reconcile step: the condition to show and how to go on.
type outcome struct {
	ready   bool
	reason  string
	message string
	// err is returned to controller-runtime (backoff) when the cause is worth retrying soon.
	err     error
	requeue time.Duration
}

func ready(reason, message string) outcome {
	return outcome{ready: true, reason: reason, message: message}
}

func waiting(reason, message string) outcome {
	return outcome{reason: reason, message: message, requeue: waitRequeue}
}

// failed turns an error into a condition: the Reseller API's 4xx wait for a new spec (with a
// slow retry, since some are caused by others' objects), 401 is a login problem, everything
// else is retried with backoff.
func failed(unready string, err error) outcome {
	var apiErr *reseller.APIError
	switch {
	case reseller.IsUnauthorized(err):
		return outcome{reason: pcov1.ReasonLoginFailed, message: err.Error(), requeue: rejectedRequeue}
	case reseller.IsConflict(err):
		return outcome{reason: pcov1.ReasonConflict, message: err.Error(), requeue: rejectedRequeue}
	case reseller.IsRetryable(err):
		return outcome{reason: pcov1.ReasonAPIUnavailable, message: err.Error(), err: err}
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500:
		return outcome{reason: pcov1.ReasonAPIRejected, message: err.Error(), requeue: rejectedRequeue}
	default:
		return outcome{reason: unready, message: err.Error(), err: err}
	}
}

// apply writes the outcome into conditions and says what to return to controller-runtime.
func (o outcome) apply(conds *[]metav1.Condition, condType string, generation int64) (ctrl.Result, error) {
	status := metav1.ConditionFalse
	if o.ready {
		status = metav1.ConditionTrue
	}
	msg := o.message
	if len(msg) > 1024 {
		msg = msg[:1021] + "..."
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: condType, Status: status, Reason: o.reason, Message: msg, ObservedGeneration: generation,
	})
	return ctrl.Result{RequeueAfter: o.requeue}, o.err
}

func isReady(conds []metav1.Condition, condType string) bool {
	return meta.IsStatusConditionTrue(conds, condType)
}

// regionRecheck is how often a ready Region logs in again.
const regionRecheck = 15 * time.Minute

// conditionUnchanged tells whether a condition kept its status, reason and message (so no new
// event is due).
func conditionUnchanged(before, after []metav1.Condition, condType string) bool {
	b, a := meta.FindStatusCondition(before, condType), meta.FindStatusCondition(after, condType)
	return b != nil && a != nil && b.Status == a.Status && b.Reason == a.Reason && b.Message == a.Message
}

// conditionsOf summarizes an object's conditions (type=status/reason) for change detection.
func conditionsOf(obj any) string {
	var conds []metav1.Condition
	switch o := obj.(type) {
	case *pcov1.Region:
		conds = o.Status.Conditions
	case *pcov1.Project:
		conds = o.Status.Conditions
	case *pcov1.User:
		conds = o.Status.Conditions
	case *pcov1.UserProjectBinding:
		conds = o.Status.Conditions
	}
	s := ""
	for _, c := range conds {
		s += c.Type + "=" + string(c.Status) + "/" + c.Reason + ";"
	}
	return s
}
