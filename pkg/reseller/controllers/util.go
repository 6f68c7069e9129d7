package controllers

import (
	"context"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

func sorted(s []string) []string { slices.Sort(s); return s }

// addFinalizer adds the finalizer and writes the object; it reports whether it changed anything.
func addFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string) (bool, error) {
	if controllerutil.ContainsFinalizer(obj, finalizer) {
		return false, nil
	}
	controllerutil.AddFinalizer(obj, finalizer)
	return true, c.Update(ctx, obj)
}

// removeFinalizer lets the object go.
func removeFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string) error {
	if !controllerutil.ContainsFinalizer(obj, finalizer) {
		return nil
	}
	controllerutil.RemoveFinalizer(obj, finalizer)
	return client.IgnoreNotFound(c.Update(ctx, obj))
}

// deleteIfOurs deletes a Secret this controller made (by its managed-by label); others stay.
func deleteIfOurs(ctx context.Context, c client.Client, obj client.Object) error {
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return client.IgnoreNotFound(err)
	}
	if obj.GetLabels()["app.kubernetes.io/managed-by"] != ManagerName {
		return nil
	}
	if err := c.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// relevantChange lets through what needs a reconcile: a new object, a spec change (generation),
// the start of a deletion, or new annotations (password rotation). Status writes, which the
// controllers make themselves, do not wake them again.
var relevantChange = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld, e.ObjectNew
		return o.GetGeneration() != n.GetGeneration() ||
			!n.GetDeletionTimestamp().Equal(o.GetDeletionTimestamp()) ||
			!maps.Equal(o.GetAnnotations(), n.GetAnnotations()) ||
			!slices.Equal(o.GetFinalizers(), n.GetFinalizers()) && n.GetDeletionTimestamp() != nil
	},
}

// readinessChange lets through changes of a dependency's status conditions (it became ready or
// stopped being ready), so dependents wake without polling.
var readinessChange = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return conditionsOf(e.ObjectOld) != conditionsOf(e.ObjectNew) || e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration()
	},
}

// deleted lets through deletions (and the start of one).
var deleted = predicate.Funcs{
	CreateFunc: func(event.CreateEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectNew.GetDeletionTimestamp() != nil
	},
	DeleteFunc:  func(event.DeleteEvent) bool { return true },
	GenericFunc: func(event.GenericEvent) bool { return false },
}
