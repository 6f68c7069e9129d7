package controllers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

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
	"github.com/pco-mcm/mcm-provider-pco/pkg/credentials"
	"github.com/pco-mcm/mcm-provider-pco/pkg/openstack"
	"github.com/pco-mcm/mcm-provider-pco/pkg/reseller"
)

// Secret keys of <binding>-appcred, as the peer writes them.
const (
	appCredIDKey     = "application-credential-id"
	appCredSecretKey = "application-credential-secret"
)

// BindingReconciler makes the OpenStack user in the project's region, adds it to the project,
// makes or removes the application credential and writes the credentials Secrets.
type BindingReconciler struct {
	client.Client
	conns        *connections
	recorder     events.EventRecorder
	controllerID string
	// adoptUnrecorded: see ProjectReconciler.
	adoptUnrecorded bool
	// appCreds makes and deletes Keystone application credentials (replaceable in tests).
	appCreds appCredentials
	secrets  secretScope
}

// appCredentials is the Keystone side of a binding.
type appCredentials interface {
	Ensure(ctx context.Context, ku reseller.KeystoneUser, name, description, knownSecret string) (id, secret string, err error)
	Delete(ctx context.Context, ku reseller.KeystoneUser, name string) error
}

type keystoneAppCreds struct{}

func (keystoneAppCreds) Ensure(ctx context.Context, ku reseller.KeystoneUser, name, description, knownSecret string) (string, string, error) {
	id, secret, _, err := reseller.EnsureApplicationCredential(ctx, ku, name, description, reseller.WithKnownSecret(knownSecret))
	return id, secret, err
}

func (keystoneAppCreds) Delete(ctx context.Context, ku reseller.KeystoneUser, name string) error {
	return reseller.DeleteApplicationCredential(ctx, ku, name)
}

func appCredSecretName(binding string) string     { return binding + "-appcred" }
func credentialsSecretName(binding string) string { return binding + "-credentials" }

// bindingParts is everything a binding needs from its Project, User and Region.
type bindingParts struct {
	project  *pcov1.Project
	user     *pcov1.User
	secret   *corev1.Secret // the user's <user>-openstack
	conn     *conn
	username string
	password string
}

func (p *bindingParts) keystoneUser() reseller.KeystoneUser {
	return reseller.KeystoneUser{AuthURL: p.conn.authURL, DomainName: p.conn.domain, Username: p.username, Password: p.password, ProjectID: p.project.Status.ProjectID}
}

// appCredName is the peer's: <OpenStack project name>-<user name>.
func (p *bindingParts) appCredName() string {
	return p.project.Status.OpenStackName + "-" + p.username
}

// Reconcile brings the OpenStack side of the UserProjectBinding req names in line with it, or
// tears it down when the binding is being deleted.
func (r *BindingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconcileObject(ctx, r.Client, r.recorder, req, &pcov1.UserProjectBinding{}, pcov1.UserProjectBindingReady, 0, r.ensure, r.delete)
}

// parts collects the binding's Project, User, the user's password and the region's client,
// or says what to wait for. For a deletion the Project, User and Region need not be ready
// (they are typically being deleted too, waiting for this binding): what they already made is
// enough.
func (r *BindingReconciler) parts(ctx context.Context, b *pcov1.UserProjectBinding, deleting bool) (*bindingParts, *outcome) {
	wait := func(o outcome) (*bindingParts, *outcome) { return nil, &o }
	if !r.secrets.allows(b.Namespace) {
		// A deletion waits too: the user's password, needed to reach the cloud, is out of reach.
		return wait(waiting(pcov1.ReasonNamespaceNotWatched, r.secrets.refusal("binding "+b.Name, b.Namespace)))
	}
	p := &bindingParts{project: &pcov1.Project{}, user: &pcov1.User{}, secret: &corev1.Secret{}}
	if err := r.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: b.Spec.Project}, p.project); err != nil {
		if apierrors.IsNotFound(err) {
			return wait(waiting(pcov1.ReasonProjectNotFound, fmt.Sprintf("project %q not found in namespace %s", b.Spec.Project, b.Namespace)))
		}
		return wait(failed(pcov1.ReasonUnknownError, err))
	}
	if err := r.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: b.Spec.User}, p.user); err != nil {
		if apierrors.IsNotFound(err) {
			return wait(waiting(pcov1.ReasonUserNotFound, fmt.Sprintf("user %q not found in namespace %s", b.Spec.User, b.Namespace)))
		}
		return wait(failed(pcov1.ReasonUnknownError, err))
	}
	if (!deleting && !isReady(p.project.Status.Conditions, pcov1.ProjectReady)) || p.project.Status.ProjectID == "" {
		return wait(waiting(pcov1.ReasonWaitingForProject, fmt.Sprintf("project %q is not ready", b.Spec.Project)))
	}
	if !deleting && !isReady(p.user.Status.Conditions, pcov1.UserReady) {
		return wait(waiting(pcov1.ReasonWaitingForUser, fmt.Sprintf("user %q is not ready", b.Spec.User)))
	}
	if err := r.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: userSecretName(b.Spec.User)}, p.secret); err != nil {
		if apierrors.IsNotFound(err) {
			return wait(waiting(pcov1.ReasonWaitingForUser, fmt.Sprintf("secret %s of user %q not found", userSecretName(b.Spec.User), b.Spec.User)))
		}
		return wait(failed(pcov1.ReasonUnknownError, err))
	}
	// The OpenStack user name comes from the User object alone, never from its Secret: the
	// Secret is the tenant's to edit, and a name written there could be anybody's user.
	p.username, p.password = openstackUserName(r.controllerID, p.user), string(p.secret.Data["password"])
	if p.password == "" {
		return wait(waiting(pcov1.ReasonWaitingForUser, fmt.Sprintf("secret %s lacks a password", p.secret.Name)))
	}
	cn, o := regionConn(ctx, r.Client, r.conns, p.project.Spec.Region, !deleting)
	if o != nil {
		return nil, o
	}
	p.conn = cn
	return p, nil
}

func (r *BindingReconciler) ensure(ctx context.Context, b *pcov1.UserProjectBinding) outcome {
	if dup, err := r.duplicateOf(ctx, b); err != nil {
		return failed(pcov1.ReasonUnknownError, err)
	} else if dup != "" {
		return waiting(pcov1.ReasonConflict, fmt.Sprintf("binding %q already binds user %q to project %q; delete one of them", dup, b.Spec.User, b.Spec.Project))
	}
	p, wait := r.parts(ctx, b, false)
	if wait != nil {
		return *wait
	}
	api := p.conn.client
	osUser, err := r.ensureUser(ctx, b, p)
	if err != nil {
		return ownerRefusal(pcov1.ReasonBindingIsUnready, err)
	}
	b.Status.UserID = osUser.ID
	members, err := api.ListProjectMembers(ctx, p.project.Status.ProjectID)
	if err != nil {
		return failed(pcov1.ReasonBindingIsUnready, fmt.Errorf("listing the members of project %s: %w", p.project.Status.OpenStackName, err))
	}
	member := false
	for _, m := range members {
		member = member || m.User == osUser.ID
	}
	if !member {
		// The Project controller checked the project's owner record before it wrote the ID
		// into the status; checked again here, where a user gets a role on it.
		if err := r.checkProject(ctx, p); err != nil {
			return ownerRefusal(pcov1.ReasonBindingIsUnready, err)
		}
		if err := api.AddProjectMember(ctx, p.project.Status.ProjectID, osUser.ID); err != nil {
			return failed(pcov1.ReasonBindingIsUnready, fmt.Errorf("adding user %s to project %s: %w", p.username, p.project.Status.OpenStackName, err))
		}
		r.recorder.Eventf(b, nil, corev1.EventTypeNormal, "Bound", "Bind", "user %s added to project %s", p.username, p.project.Status.OpenStackName)
	}

	var appCredID, appCredSecret string
	if b.Spec.ApplicationCredential {
		appCredID, appCredSecret, err = r.ensureAppCred(ctx, b, p)
		if err != nil {
			return failed(pcov1.ReasonBindingIsUnready, fmt.Errorf("application credential: %w", err))
		}
		b.Status.ApplicationCredentialID = appCredID
	} else if err := r.removeAppCred(ctx, b, p); err != nil {
		return failed(pcov1.ReasonBindingIsUnready, fmt.Errorf("removing the application credential: %w", err))
	}
	data, err := credentials.SecretData(machineCredentials(p, appCredID, appCredSecret))
	if err != nil {
		return failed(pcov1.ReasonBindingIsUnready, fmt.Errorf("rendering secret %s: %w", credentialsSecretName(b.Name), err))
	}
	if err := r.writeSecret(ctx, b, credentialsSecretName(b.Name), data); err != nil {
		return failed(pcov1.ReasonBindingIsUnready, err)
	}
	b.Status.CredentialsSecret = credentialsSecretName(b.Name)
	return ready(pcov1.ReasonBindingIsReady, fmt.Sprintf("user %s is a member of project %s; credentials in secret %s", p.username, p.project.Status.OpenStackName, b.Status.CredentialsSecret))
}

// duplicateOf names an older binding of the same user and project: two bindings would fight
// over one membership and one application credential.
func (r *BindingReconciler) duplicateOf(ctx context.Context, b *pcov1.UserProjectBinding) (string, error) {
	var list pcov1.UserProjectBindingList
	if err := r.List(ctx, &list, client.InNamespace(b.Namespace)); err != nil {
		return "", err
	}
	for _, o := range list.Items {
		if o.Name == b.Name || o.Spec.User != b.Spec.User || o.Spec.Project != b.Spec.Project || o.DeletionTimestamp != nil {
			continue
		}
		if o.CreationTimestamp.Before(&b.CreationTimestamp) || (o.CreationTimestamp.Equal(&b.CreationTimestamp) && o.Name < b.Name) {
			return o.Name, nil
		}
	}
	return "", nil
}

func (r *BindingReconciler) userOwner(p *bindingParts) owner {
	return owner{id: r.controllerID, namespace: p.user.Namespace, name: p.user.Name}
}

// claimUser checks the owner record of an OpenStack user: it must name the binding's User.
func (r *BindingReconciler) claimUser(ctx context.Context, p *bindingParts, u *reseller.User) (claim, error) {
	chk := ownerCheck{adoptUnrecorded: r.adoptUnrecorded, sameName: userOwners(r.Client, r.controllerID, p.username)}
	return chk.check(ctx, r.userOwner(p), "user", u.Name, u.Description)
}

// checkProject reads the binding's project and checks its owner record.
func (r *BindingReconciler) checkProject(ctx context.Context, p *bindingParts) error {
	got, err := p.conn.client.GetProject(ctx, p.project.Status.ProjectID)
	if err != nil {
		return fmt.Errorf("reading project %s: %w", p.project.Status.OpenStackName, err)
	}
	name := projectName(r.controllerID, p.project)
	chk := ownerCheck{adoptUnrecorded: r.adoptUnrecorded, sameName: projectOwners(r.Client, r.controllerID, name)}
	_, err = chk.check(ctx, owner{id: r.controllerID, namespace: p.project.Namespace, name: p.project.Name}, "project", got.Name, got.Description)
	return err
}

// ensureUser finds or makes the OpenStack user in the region and keeps its password, state and
// description as the User and its Secret say. A user whose owner record names another User
// is refused (a *conflictError): its password, membership and existence are not ours to touch.
func (r *BindingReconciler) ensureUser(ctx context.Context, b *pcov1.UserProjectBinding, p *bindingParts) (*reseller.User, error) {
	api := p.conn.client
	var found *reseller.User
	if id := b.Status.UserID; id != "" {
		u, err := api.GetUser(ctx, id)
		if err != nil && !reseller.IsNotFound(err) {
			return nil, fmt.Errorf("reading user %s: %w", p.username, err)
		}
		if u != nil && u.Name == p.username {
			found = u
		}
	}
	if found == nil {
		u, err := api.FindUserByName(ctx, p.username)
		if err != nil {
			return nil, fmt.Errorf("looking up user %s: %w", p.username, err)
		}
		found = u
	}
	desc := p.user.Spec.Description
	if desc == "" {
		desc = pcov1.DefaultDescription
	}
	desc, err := r.userOwner(p).describe(desc)
	if err != nil {
		return nil, err
	}
	enabled := p.user.Spec.Enabled == nil || *p.user.Spec.Enabled
	if found == nil {
		u, err := api.CreateUser(ctx, reseller.UserCreate{Name: p.username, Description: desc, Password: p.password, DefaultProject: p.project.Status.ProjectID, Enabled: &enabled})
		if reseller.IsConflict(err) {
			if again, ferr := api.FindUserByName(ctx, p.username); ferr == nil && again != nil {
				// Made by an earlier attempt (its password may not be the current one), or
				// taken by another User whose name collides: the owner record tells.
				if _, cerr := r.claimUser(ctx, p, again); cerr != nil {
					return nil, cerr
				}
				b.Status.PasswordVersion = ""
				return r.updateUser(ctx, b, p, again, desc, enabled)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("creating user %s: %w", p.username, err)
		}
		b.Status.PasswordVersion = p.secret.ResourceVersion
		r.recorder.Eventf(b, nil, corev1.EventTypeNormal, "Created", "Create", "created OpenStack user %s (%s)", u.Name, u.ID)
		return u, nil
	}
	c, err := r.claimUser(ctx, p, found)
	if err != nil {
		return nil, err
	}
	if c == claimAdoptable && b.Status.UserID != found.ID {
		// Taken over (pco-reseller-operator's): push the password once, whatever the
		// status says was pushed.
		b.Status.PasswordVersion = ""
	}
	return r.updateUser(ctx, b, p, found, desc, enabled)
}

// updateUser pushes what differs; the password whenever the user's Secret changed since it was
// last pushed (the API never shows a password, so the Secret's version is the record).
func (r *BindingReconciler) updateUser(ctx context.Context, b *pcov1.UserProjectBinding, p *bindingParts, u *reseller.User, desc string, enabled bool) (*reseller.User, error) {
	var upd reseller.UserUpdate
	changed := false
	if u.Description != desc {
		upd.Description, changed = &desc, true
	}
	if u.Enabled != enabled {
		upd.Enabled, changed = &enabled, true
	}
	if b.Status.PasswordVersion != p.secret.ResourceVersion {
		upd.Password, changed = &p.password, true
	}
	if !changed {
		return u, nil
	}
	nu, err := p.conn.client.UpdateUser(ctx, u.ID, upd)
	if err != nil {
		return nil, fmt.Errorf("updating user %s: %w", p.username, err)
	}
	b.Status.PasswordVersion = p.secret.ResourceVersion
	if nu == nil || nu.ID == "" {
		nu = u
	}
	return nu, nil
}

// ensureAppCred keeps <binding>-appcred; the secret in it is handed to Keystone so a working
// credential is kept rather than replaced.
func (r *BindingReconciler) ensureAppCred(ctx context.Context, b *pcov1.UserProjectBinding, p *bindingParts) (string, string, error) {
	var existing corev1.Secret
	known := ""
	if err := r.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: appCredSecretName(b.Name)}, &existing); err == nil {
		known = string(existing.Data[appCredSecretKey])
	} else if !apierrors.IsNotFound(err) {
		return "", "", err
	}
	id, secret, err := r.appCreds.Ensure(ctx, p.keystoneUser(), p.appCredName(), pcov1.DefaultDescription, known)
	if err != nil {
		return "", "", err
	}
	return id, secret, r.writeSecret(ctx, b, appCredSecretName(b.Name), map[string][]byte{appCredIDKey: []byte(id), appCredSecretKey: []byte(secret)})
}

func (r *BindingReconciler) removeAppCred(ctx context.Context, b *pcov1.UserProjectBinding, p *bindingParts) error {
	if b.Status.ApplicationCredentialID == "" {
		return nil
	}
	if err := r.appCreds.Delete(ctx, p.keystoneUser(), p.appCredName()); err != nil {
		return err
	}
	b.Status.ApplicationCredentialID = ""
	return deleteIfOurs(ctx, r.Client, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: b.Namespace, Name: appCredSecretName(b.Name)}})
}

// writeSecret creates or updates one of the binding's Secrets (owned by the binding, labelled
// as ours); a Secret of that name that someone else made is left alone and reported.
func (r *BindingReconciler) writeSecret(ctx context.Context, b *pcov1.UserProjectBinding, name string, data map[string][]byte) error {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: b.Namespace, Name: name}}
	err := r.Get(ctx, client.ObjectKeyFromObject(s), s)
	switch {
	case apierrors.IsNotFound(err):
		s.Labels = managedLabels()
		s.Type = corev1.SecretTypeOpaque
		s.Data = data
		if err := controllerutil.SetOwnerReference(b, s, r.Scheme()); err != nil {
			return err
		}
		return r.Create(ctx, s)
	case err != nil:
		return err
	case s.Labels["app.kubernetes.io/managed-by"] != ManagerName:
		return fmt.Errorf("secret %s exists and was not made by this controller; delete or rename it", name)
	case maps.EqualFunc(s.Data, data, bytes.Equal):
		return nil
	}
	s.Data = data
	return r.Update(ctx, s)
}

// delete removes the application credential, the membership, and the OpenStack user unless
// another binding of it in the same region still needs it; then the binding's Secrets.
func (r *BindingReconciler) delete(ctx context.Context, b *pcov1.UserProjectBinding) (ctrl.Result, error) {
	if b.Status.UserID != "" {
		p, wait := r.parts(ctx, b, true)
		if wait != nil {
			// Without project, user or region the cloud side cannot be reached; keep the
			// binding (and say why) rather than leak a user with a role on the project.
			res, err := wait.apply(&b.Status.Conditions, pcov1.UserProjectBindingReady, b.Generation)
			return res, errors.Join(err, client.IgnoreNotFound(r.Status().Update(ctx, b)))
		}
		if err := r.deleteInCloud(ctx, b, p); err != nil {
			o := failed(pcov1.ReasonDeleting, err)
			res, rerr := o.apply(&b.Status.Conditions, pcov1.UserProjectBindingReady, b.Generation)
			return res, errors.Join(rerr, client.IgnoreNotFound(r.Status().Update(ctx, b)))
		}
	}
	// A binding whose namespace is out of reach waited from the start and made no Secrets.
	if r.secrets.allows(b.Namespace) {
		for _, name := range []string{appCredSecretName(b.Name), credentialsSecretName(b.Name)} {
			if err := deleteIfOurs(ctx, r.Client, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: b.Namespace, Name: name}}); err != nil {
				return ctrl.Result{}, err
			}
		}
	}
	return ctrl.Result{}, removeFinalizer(ctx, r.Client, b, pcov1.Finalizer)
}

func (r *BindingReconciler) deleteInCloud(ctx context.Context, b *pcov1.UserProjectBinding, p *bindingParts) error {
	api := p.conn.client
	// Only a user whose owner record names this binding's User is removed from the project
	// and deleted; another's is left alone (a status written before owner records existed
	// may name one).
	u, err := api.GetUser(ctx, b.Status.UserID)
	if reseller.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading user %s: %w", p.username, err)
	}
	if _, err := r.claimUser(ctx, p, u); err != nil {
		var conflict *conflictError
		if !errors.As(err, &conflict) {
			return err
		}
		r.recorder.Eventf(b, nil, corev1.EventTypeWarning, pcov1.ReasonConflict, "Delete", "left OpenStack user %s alone: %s", u.Name, conflict.msg)
		return nil
	}
	if b.Status.ApplicationCredentialID != "" || b.Spec.ApplicationCredential {
		// A user who can no longer log in (password changed, user disabled) cannot delete its
		// application credentials; Keystone deletes them with the user below.
		if err := r.appCreds.Delete(ctx, p.keystoneUser(), p.appCredName()); err != nil && !loginRefused(err) {
			return fmt.Errorf("deleting the application credential: %w", err)
		}
	}
	if err := api.RemoveProjectMember(ctx, p.project.Status.ProjectID, b.Status.UserID); err != nil && !reseller.IsNotFound(err) {
		return fmt.Errorf("removing user %s from project %s: %w", p.username, p.project.Status.OpenStackName, err)
	}
	shared, err := r.userStillBoundInRegion(ctx, b, p.project.Spec.Region)
	if err != nil {
		return err
	}
	if !shared {
		if err := api.DeleteUser(ctx, b.Status.UserID); err != nil && !reseller.IsNotFound(err) {
			return fmt.Errorf("deleting user %s: %w", p.username, err)
		}
		r.recorder.Eventf(b, nil, corev1.EventTypeNormal, "Deleted", "Delete", "deleted OpenStack user %s", p.username)
	}
	return nil
}

// loginRefused tells whether Keystone or the Reseller API answered 401.
func loginRefused(err error) bool {
	return reseller.IsUnauthorized(err) || openstack.StatusCode(err) == http.StatusUnauthorized
}

// userStillBoundInRegion tells whether another binding of the same user has a project in the
// same region (users are per region: that binding still needs it).
func (r *BindingReconciler) userStillBoundInRegion(ctx context.Context, b *pcov1.UserProjectBinding, region string) (bool, error) {
	var list pcov1.UserProjectBindingList
	if err := r.List(ctx, &list, client.InNamespace(b.Namespace)); err != nil {
		return false, err
	}
	for _, o := range list.Items {
		if o.Name == b.Name || o.Spec.User != b.Spec.User || o.DeletionTimestamp != nil {
			continue
		}
		var proj pcov1.Project
		if err := r.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: o.Spec.Project}, &proj); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return false, err
		}
		if proj.Spec.Region == region {
			return true, nil
		}
	}
	return false, nil
}

// bindingsFor maps a Project, a User or the user's Secret to the bindings that use it.
func (r *BindingReconciler) bindingsFor(ctx context.Context, obj client.Object) []reconcile.Request {
	var list pcov1.UserProjectBindingList
	if err := r.List(ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, b := range list.Items {
		match := false
		switch obj.(type) {
		case *pcov1.Project:
			match = b.Spec.Project == obj.GetName()
		case *pcov1.User:
			match = b.Spec.User == obj.GetName()
		case *corev1.Secret:
			match = userSecretName(b.Spec.User) == obj.GetName()
		}
		if match {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&b)})
		}
	}
	return out
}

func (r *BindingReconciler) setup(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&pcov1.UserProjectBinding{}, builder.WithPredicates(relevantChange)).
		Watches(&pcov1.Project{}, handler.EnqueueRequestsFromMapFunc(r.bindingsFor), builder.WithPredicates(readinessChange)).
		Watches(&pcov1.User{}, handler.EnqueueRequestsFromMapFunc(r.bindingsFor), builder.WithPredicates(readinessChange)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.bindingsFor)).
		Named("userprojectbinding").
		Complete(r)
}
