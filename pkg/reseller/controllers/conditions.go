package controllers

import (
	"context"
	"errors"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
	c, ok := obj.(conditioned)
	if !ok {
		return ""
	}
	s := ""
	for _, cond := range *c.StatusConditions() {
		s += cond.Type + "=" + string(cond.Status) + "/" + cond.Reason + ";"
	}
	return s
}

// conditioned is a resource of ours with status conditions.
type conditioned interface {
	client.Object
	StatusConditions() *[]metav1.Condition
	SetObservedGeneration(int64)
}

// reconcileObject is every reconciler's frame: read the object, hand a deletion to del, make
// sure of the finalizer, let ensure do the work, then write the outcome into the status (a
// Warning event when the condition changes to not ready); a ready object is looked at again
// after recheck (0: only on changes).
func reconcileObject[T conditioned](ctx context.Context, c client.Client, recorder events.EventRecorder, req ctrl.Request, obj T,
	condType string, recheck time.Duration, ensure func(context.Context, T) outcome, del func(context.Context, T) (ctrl.Result, error)) (ctrl.Result, error) {
	if err := c.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return del(ctx, obj)
	}
	if _, err := addFinalizer(ctx, c, obj, pcov1.Finalizer); err != nil {
		return ctrl.Result{}, err
	}
	before := slices.Clone(*obj.StatusConditions())
	o := ensure(ctx, obj)
	obj.SetObservedGeneration(obj.GetGeneration())
	res, err := o.apply(obj.StatusConditions(), condType, obj.GetGeneration())
	if o.ready && res.RequeueAfter == 0 {
		res.RequeueAfter = recheck
	}
	if !o.ready && !conditionUnchanged(before, *obj.StatusConditions(), condType) {
		recorder.Eventf(obj, nil, corev1.EventTypeWarning, o.reason, "Reconcile", "%s", o.message)
	}
	if uerr := c.Status().Update(ctx, obj); uerr != nil {
		return res, errors.Join(err, uerr)
	}
	return res, err
}
