package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
)

// RegionReconciler checks that a Region's account can log in and learns its domain; it keeps a
// Region while Projects use it.
type RegionReconciler struct {
	client.Client
	conns    *connections
	recorder events.EventRecorder
	secrets  secretScope
}

// Reconcile re-checks a ready Region every regionRecheck: the account can be disabled or its
// password changed at any time.
func (r *RegionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileObject(ctx, r.Client, r.recorder, req, &pcov1.Region{}, pcov1.RegionReady, regionRecheck, r.check, r.delete)
}

func (r *RegionReconciler) check(ctx context.Context, region *pcov1.Region) outcome {
	if err := r.holdSecret(ctx, region); err != nil {
		return failed(pcov1.ReasonRegionIsUnready, err)
	}
	c, err := r.conns.forRegion(ctx, region)
	var cfg *configError
	switch {
	case errors.As(err, &cfg):
		return waiting(cfg.reason, cfg.msg)
	case err != nil:
		return failed(pcov1.ReasonRegionIsUnready, err)
	}
	// A client from the cache was checked when it was made; the periodic re-check must ask the
	// API again (the account may have been disabled since).
	if time.Since(c.created) > time.Second {
		if _, err := c.client.TestToken(ctx); err != nil {
			return failed(pcov1.ReasonRegionIsUnready, err)
		}
	}
	region.Status.Domain = c.domain
	return ready(pcov1.ReasonRegionIsReady, fmt.Sprintf("logged in to %s as reseller domain %s", c.client.Endpoint(), c.domain))
}

func (r *RegionReconciler) delete(ctx context.Context, region *pcov1.Region) (ctrl.Result, error) {
	var projects pcov1.ProjectList
	if err := r.List(ctx, &projects); err != nil {
		return ctrl.Result{}, err
	}
	var users []string
	for _, p := range projects.Items {
		if p.Spec.Region == region.Name {
			users = append(users, p.Namespace+"/"+p.Name)
		}
	}
	if len(users) > 0 {
		o := waiting(pcov1.ReasonDeletionBlocked, fmt.Sprintf("projects still in this region: %v", users))
		res, _ := o.apply(&region.Status.Conditions, pcov1.RegionReady, region.Generation)
		return res, client.IgnoreNotFound(r.Status().Update(ctx, region))
	}
	if err := r.releaseSecret(ctx, region); err != nil {
		return ctrl.Result{}, err
	}
	r.conns.forget(region.Name)
	return ctrl.Result{}, removeFinalizer(ctx, r.Client, region, pcov1.Finalizer)
}

// SecretFinalizer keeps a Region's Secret while the Region exists: deleting a Region's
// manifests in one go (kubectl delete -f) must not take the account its Projects need to be
// deleted in the cloud.
const SecretFinalizer = "pco.plusserver.com/region-account" //nolint:gosec // G101: a finalizer name, not a secret

func (r *RegionReconciler) holdSecret(ctx context.Context, region *pcov1.Region) error {
	ref := region.Spec.SecretRef
	if ref == nil || !r.secrets.allows(ref.Namespace) { // out of reach: the login says so
		return nil
	}
	var s corev1.Secret
	if err := r.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &s); err != nil {
		return client.IgnoreNotFound(err) // reported by the login
	}
	if !s.DeletionTimestamp.IsZero() {
		return nil
	}
	_, err := addFinalizer(ctx, r.Client, &s, SecretFinalizer)
	return err
}

// releaseSecret lets the Secret go unless another Region still reads it.
func (r *RegionReconciler) releaseSecret(ctx context.Context, region *pcov1.Region) error {
	ref := region.Spec.SecretRef
	if ref == nil || !r.secrets.allows(ref.Namespace) { // out of reach: the login says so
		return nil
	}
	var regions pcov1.RegionList
	if err := r.List(ctx, &regions); err != nil {
		return err
	}
	for _, other := range regions.Items {
		if other.Name != region.Name && other.DeletionTimestamp.IsZero() && other.Spec.SecretRef != nil && *other.Spec.SecretRef == *ref {
			return nil
		}
	}
	var s corev1.Secret
	if err := r.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, &s); err != nil {
		return client.IgnoreNotFound(err)
	}
	return removeFinalizer(ctx, r.Client, &s, SecretFinalizer)
}

// regionsForSecret maps a Secret to the Regions that read it.
func (r *RegionReconciler) regionsForSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	var regions pcov1.RegionList
	if err := r.List(ctx, &regions); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, reg := range regions.Items {
		if ref := reg.Spec.SecretRef; ref != nil && ref.Name == obj.GetName() && ref.Namespace == obj.GetNamespace() {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&reg)})
		}
	}
	return out
}

// regionsForProject wakes a deleting Region when a Project goes.
func regionsForProject(_ context.Context, obj client.Object) []reconcile.Request {
	p, ok := obj.(*pcov1.Project)
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: p.Spec.Region}}}
}

func (r *RegionReconciler) setup(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&pcov1.Region{}, builder.WithPredicates(relevantChange)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.regionsForSecret)).
		Watches(&pcov1.Project{}, handler.EnqueueRequestsFromMapFunc(regionsForProject)).
		Named("region").
		Complete(r)
}
