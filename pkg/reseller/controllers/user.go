package controllers

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	pcov1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/pco/v1alpha1"
)

// UserReconciler keeps a User's Secret <name>-openstack (username and password). The OpenStack
// user itself is made by its bindings, once a region is known.
type UserReconciler struct {
	client.Client
	recorder     events.EventRecorder
	controllerID string
	secrets      secretScope
}

// openstackUserName is the user's e-mail shaped name: <user>-<namespace>@<id>.k8s.
func openstackUserName(controllerID string, u *pcov1.User) string {
	return fmt.Sprintf("%s-%s@%s.k8s", u.Name, u.Namespace, controllerID)
}

func userSecretName(user string) string { return user + "-openstack" }

// Reconcile keeps the Secret with the username and password of the User req names.
func (r *UserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileObject(ctx, r.Client, r.recorder, req, &pcov1.User{}, pcov1.UserReady, 0, r.ensure, r.delete)
}

func (r *UserReconciler) ensure(ctx context.Context, user *pcov1.User) outcome {
	if !r.secrets.allows(user.Namespace) {
		return waiting(pcov1.ReasonNamespaceNotWatched, r.secrets.refusal("user "+user.Name, user.Namespace))
	}
	name := openstackUserName(r.controllerID, user)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: user.Namespace, Name: userSecretName(user.Name)}}
	err := r.Get(ctx, client.ObjectKeyFromObject(secret), secret)
	switch {
	case apierrors.IsNotFound(err):
		password, perr := newPassword()
		if perr != nil {
			return failed(pcov1.ReasonUserIsUnready, perr)
		}
		secret.Labels = managedLabels()
		secret.Type = corev1.SecretTypeOpaque
		secret.Data = map[string][]byte{"username": []byte(name), "password": []byte(password)}
		if err := controllerutil.SetOwnerReference(user, secret, r.Scheme()); err != nil {
			return failed(pcov1.ReasonUserIsUnready, err)
		}
		if err := r.Create(ctx, secret); err != nil {
			return failed(pcov1.ReasonUserIsUnready, fmt.Errorf("creating secret %s: %w", secret.Name, err))
		}
		user.Status.RotatedFor = user.Annotations[pcov1.RotatePasswordAnnotation]
	case err != nil:
		return failed(pcov1.ReasonUserIsUnready, err)
	default:
		if string(secret.Data["username"]) != name && secret.Labels["app.kubernetes.io/managed-by"] != ManagerName {
			return waiting(pcov1.ReasonConflict, fmt.Sprintf("secret %s exists and was not made for this user; delete or rename it", secret.Name))
		}
		if want := user.Annotations[pcov1.RotatePasswordAnnotation]; want != user.Status.RotatedFor || len(secret.Data["password"]) == 0 {
			password, perr := newPassword()
			if perr != nil {
				return failed(pcov1.ReasonUserIsUnready, perr)
			}
			if secret.Data == nil {
				secret.Data = map[string][]byte{}
			}
			secret.Data["username"], secret.Data["password"] = []byte(name), []byte(password)
			if err := r.Update(ctx, secret); err != nil {
				return failed(pcov1.ReasonUserIsUnready, fmt.Errorf("rotating the password in secret %s: %w", secret.Name, err))
			}
			user.Status.RotatedFor = want
			r.recorder.Eventf(user, nil, corev1.EventTypeNormal, "PasswordRotated", "Rotate", "new password in secret %s; bindings push it to OpenStack", secret.Name)
		} else if string(secret.Data["username"]) != name && secret.Labels["app.kubernetes.io/managed-by"] == ManagerName {
			// The username key is informational (bindings take the name from the User):
			// put back what an edit changed, so the Secret does not mislead.
			secret.Data["username"] = []byte(name)
			if err := r.Update(ctx, secret); err != nil {
				return failed(pcov1.ReasonUserIsUnready, fmt.Errorf("restoring the username in secret %s: %w", secret.Name, err))
			}
		}
	}
	user.Status.OpenStackName, user.Status.SecretName = name, secret.Name
	return ready(pcov1.ReasonUserIsReady, fmt.Sprintf("credentials in secret %s", secret.Name))
}

// delete waits until no binding uses the user (the bindings remove it from OpenStack), then
// deletes its Secret. Unlike the peer it never deletes bindings itself: they are the user's
// own objects.
func (r *UserReconciler) delete(ctx context.Context, user *pcov1.User) (ctrl.Result, error) {
	var bindings pcov1.UserProjectBindingList
	if err := r.List(ctx, &bindings, client.InNamespace(user.Namespace)); err != nil {
		return ctrl.Result{}, err
	}
	var names []string
	for _, b := range bindings.Items {
		if b.Spec.User == user.Name {
			names = append(names, b.Name)
		}
	}
	if len(names) > 0 {
		o := waiting(pcov1.ReasonDeletionBlocked, fmt.Sprintf("user project bindings still use this user: %v; delete them first", names))
		res, err := o.apply(&user.Status.Conditions, pcov1.UserReady, user.Generation)
		return res, errors.Join(err, client.IgnoreNotFound(r.Status().Update(ctx, user)))
	}
	if r.secrets.allows(user.Namespace) { // else it never made one (and the Secret's owner reference would take it)
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: user.Namespace, Name: userSecretName(user.Name)}}
		if err := deleteIfOurs(ctx, r.Client, secret); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{}, removeFinalizer(ctx, r.Client, user, pcov1.Finalizer)
}

// usersForBinding wakes a deleting User when a binding goes.
func usersForBinding(_ context.Context, obj client.Object) []reconcile.Request {
	b, ok := obj.(*pcov1.UserProjectBinding)
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: b.Namespace, Name: b.Spec.User}}}
}

func (r *UserReconciler) setup(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&pcov1.User{}, builder.WithPredicates(relevantChange)).
		Watches(&pcov1.UserProjectBinding{}, handler.EnqueueRequestsFromMapFunc(usersForBinding), builder.WithPredicates(deleted)).
		Named("user").
		Complete(r)
}
