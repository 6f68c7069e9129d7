package connect

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// Names in the connected (target) cluster, as loftctl's connect cluster makes them (with our
// prefix instead of loft's).
const (
	DefaultManagementNamespace = "pco-registry"
	AdminServiceAccount        = "pco-registry-admin"
	AdminBinding               = AdminServiceAccount + "-binding"
	AdminTokenSecret           = AdminServiceAccount + "-token"
	// UserPrefix names a user's ServiceAccount, ClusterRole and ClusterRoleBinding:
	// pco-user-<sanitized user>.
	UserPrefix = "pco-user-"
)

// managedBy marks what the connect controller made (management and target cluster).
const (
	managedByLabel = "app.kubernetes.io/managed-by"
	managedBy      = "pco-cluster-registrar"
)

// Annotations on the token Secrets (never the token itself): when and for which service
// account a TokenRequest token was issued, so it is renewed in time and after the service
// account was re-created.
//
//nolint:gosec // G101: annotation names, not tokens
const (
	annTokenIssued  = "registry.pco-mcm.io/token-issued"
	annTokenExpires = "registry.pco-mcm.io/token-expires"
	annSAUID        = "registry.pco-mcm.io/serviceaccount-uid"
)

// tokenLifetime is what TokenRequest asks for (the target may grant less; the granted
// expiry is recorded and the token renewed when a third of its life is left).
const tokenLifetime = 365 * 24 * time.Hour

type target struct {
	kc      kubernetes.Interface
	ns      string
	cluster string
	connect string
}

func (t *target) labels(user string) map[string]string {
	l := map[string]string{managedByLabel: managedBy, regv1.LabelCluster: t.cluster, Label: t.connect}
	if user != "" {
		l[regv1.LabelUser] = user
	}
	return l
}

// selector matches everything made for this cluster.
func (t *target) selector() string {
	return labels.SelectorFromSet(labels.Set{managedByLabel: managedBy, regv1.LabelCluster: t.cluster}).String()
}

func (t *target) ours(l map[string]string) bool {
	return l[managedByLabel] == managedBy && l[regv1.LabelCluster] == t.cluster
}

func (t *target) conflict(kind, name string) error {
	return &conflictError{msg: fmt.Sprintf("%s %s already exists in the target cluster and was not made by the registry for cluster %s; remove it or choose another managementNamespace", kind, name, t.cluster)}
}

// ensureNamespace creates the management namespace; one that exists without our labels is
// used but never deleted (it may be kube-system or default), one made for another cluster
// name is a conflict (the target is connected already).
func (t *target) ensureNamespace(ctx context.Context) error {
	ns, err := t.kc.CoreV1().Namespaces().Get(ctx, t.ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = t.kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: t.ns, Labels: t.labels("")}}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	if ns.Labels[managedByLabel] == managedBy && ns.Labels[regv1.LabelCluster] != t.cluster {
		return &conflictError{msg: fmt.Sprintf("namespace %s of the target cluster was made by the registry for cluster %q: the target is connected already", t.ns, ns.Labels[regv1.LabelCluster])}
	}
	if ns.DeletionTimestamp != nil {
		return fmt.Errorf("namespace %s of the target cluster is being deleted; retrying", t.ns)
	}
	return nil
}

func (t *target) ensureServiceAccount(ctx context.Context, name, user string) (*corev1.ServiceAccount, error) {
	sa, err := t.kc.CoreV1().ServiceAccounts(t.ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return t.kc.CoreV1().ServiceAccounts(t.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: t.ns, Labels: t.labels(user)}}, metav1.CreateOptions{})
	}
	if err != nil {
		return nil, err
	}
	if !t.ours(sa.Labels) {
		return nil, t.conflict("ServiceAccount", t.ns+"/"+name)
	}
	return sa, nil
}

// ensureTokenSecret makes the legacy service-account token Secret loftctl makes; the token
// controller of kube-controller-manager fills its data.token.
func (t *target) ensureTokenSecret(ctx context.Context, name, sa string) (*corev1.Secret, error) {
	s, err := t.kc.CoreV1().Secrets(t.ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return t.kc.CoreV1().Secrets(t.ns).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: t.ns, Labels: t.labels(""),
				Annotations: map[string]string{corev1.ServiceAccountNameKey: sa}},
			Type: corev1.SecretTypeServiceAccountToken,
		}, metav1.CreateOptions{})
	}
	if err != nil {
		return nil, err
	}
	if !t.ours(s.Labels) || s.Type != corev1.SecretTypeServiceAccountToken {
		return nil, t.conflict("Secret", t.ns+"/"+name)
	}
	return s, nil
}

func (t *target) ensureClusterRole(ctx context.Context, name, user string, rules []rbacv1.PolicyRule) error {
	cr, err := t.kc.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = t.kc.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: t.labels(user)}, Rules: rules}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if !t.ours(cr.Labels) {
		return t.conflict("ClusterRole", name)
	}
	if rulesEqual(cr.Rules, rules) {
		return nil
	}
	cr.Rules = rules
	_, err = t.kc.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{})
	return err
}

func rulesEqual(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool {
		return slices.Equal(x.Verbs, y.Verbs) && slices.Equal(x.APIGroups, y.APIGroups) && slices.Equal(x.Resources, y.Resources) &&
			slices.Equal(x.ResourceNames, y.ResourceNames) && slices.Equal(x.NonResourceURLs, y.NonResourceURLs)
	})
}

func (t *target) ensureBinding(ctx context.Context, name, user, clusterRole, sa string) error {
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: t.ns}}
	roleRef := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole}
	b, err := t.kc.RbacV1().ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = t.kc.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: t.labels(user)}, RoleRef: roleRef, Subjects: subjects,
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if !t.ours(b.Labels) {
		return t.conflict("ClusterRoleBinding", name)
	}
	if b.RoleRef != roleRef { // immutable: replace
		if err := t.kc.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return t.ensureBinding(ctx, name, user, clusterRole, sa)
	}
	if slices.Equal(b.Subjects, subjects) {
		return nil
	}
	b.Subjects = subjects
	_, err = t.kc.RbacV1().ClusterRoleBindings().Update(ctx, b, metav1.UpdateOptions{})
	return err
}

func (t *target) removeStaleUsers(ctx context.Context, keep map[string]bool) error {
	stale := func(l map[string]string) bool {
		u := l[regv1.LabelUser]
		return u != "" && !keep[u]
	}
	return t.deleteUsers(ctx, stale)
}

// deleteUsers deletes the user ClusterRoleBindings, ClusterRoles and ServiceAccounts (made for
// this cluster) that match.
func (t *target) deleteUsers(ctx context.Context, match func(map[string]string) bool) error {
	opts := metav1.ListOptions{LabelSelector: t.selector()}
	crbs, err := t.kc.RbacV1().ClusterRoleBindings().List(ctx, opts)
	if err != nil {
		return err
	}
	for _, b := range crbs.Items {
		if b.Name != AdminBinding && match(b.Labels) {
			if err := ignoreNotFound(t.kc.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{})); err != nil {
				return err
			}
		}
	}
	crs, err := t.kc.RbacV1().ClusterRoles().List(ctx, opts)
	if err != nil {
		return err
	}
	for _, cr := range crs.Items {
		if match(cr.Labels) {
			if err := ignoreNotFound(t.kc.RbacV1().ClusterRoles().Delete(ctx, cr.Name, metav1.DeleteOptions{})); err != nil {
				return err
			}
		}
	}
	sas, err := t.kc.CoreV1().ServiceAccounts(t.ns).List(ctx, opts)
	if err != nil {
		return err
	}
	for _, sa := range sas.Items {
		if sa.Name != AdminServiceAccount && match(sa.Labels) {
			if err := ignoreNotFound(t.kc.CoreV1().ServiceAccounts(t.ns).Delete(ctx, sa.Name, metav1.DeleteOptions{})); err != nil {
				return err
			}
		}
	}
	return nil
}

// cleanup removes everything the registry made in the target. With the admin kubeconfig
// (ownCredentials false) the order does not matter; with the registry's own token it must
// keep its permission until the end: the namespace (which takes the service account with
// it) is deleted before the admin binding, and a pre-existing namespace keeps the (then
// powerless) admin service account.
func (t *target) cleanup(ctx context.Context, ownCredentials bool) error {
	all := func(map[string]string) bool { return true }
	if err := t.deleteUsers(ctx, all); err != nil {
		return err
	}
	ns, err := t.kc.CoreV1().Namespaces().Get(ctx, t.ns, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	nsOurs := err == nil && t.ours(ns.Labels)
	deleteAdminBinding := func() error {
		b, err := t.kc.RbacV1().ClusterRoleBindings().Get(ctx, AdminBinding, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if !t.ours(b.Labels) {
			return nil
		}
		return ignoreNotFound(t.kc.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{}))
	}
	deleteAdminAccount := func() error {
		if err := t.deleteIfOurs(ctx, "Secret", AdminTokenSecret); err != nil {
			return err
		}
		return t.deleteIfOurs(ctx, "ServiceAccount", AdminServiceAccount)
	}
	deleteNamespace := func() error {
		if !nsOurs {
			return nil
		}
		return ignoreNotFound(t.kc.CoreV1().Namespaces().Delete(ctx, t.ns, metav1.DeleteOptions{}))
	}
	steps := []func() error{deleteAdminBinding, deleteAdminAccount, deleteNamespace}
	if ownCredentials {
		steps = []func() error{deleteNamespace, deleteAdminBinding}
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (t *target) deleteIfOurs(ctx context.Context, kind, name string) error {
	var l map[string]string
	var err error
	switch kind {
	case "Secret":
		var s *corev1.Secret
		if s, err = t.kc.CoreV1().Secrets(t.ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
			l = s.Labels
		}
	case "ServiceAccount":
		var sa *corev1.ServiceAccount
		if sa, err = t.kc.CoreV1().ServiceAccounts(t.ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
			l = sa.Labels
		}
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || !t.ours(l) {
		return err
	}
	switch kind {
	case "Secret":
		err = t.kc.CoreV1().Secrets(t.ns).Delete(ctx, name, metav1.DeleteOptions{})
	case "ServiceAccount":
		err = t.kc.CoreV1().ServiceAccounts(t.ns).Delete(ctx, name, metav1.DeleteOptions{})
	}
	return ignoreNotFound(err)
}

// leftovers says what may be left in the target when a disconnect gave up.
func (t *target) leftovers() string {
	return fmt.Sprintf("namespace %s (if the registry made it) with service account %s, ClusterRoleBinding %s (cluster-admin), and the ServiceAccounts, ClusterRoles and ClusterRoleBindings named %s* labelled %s=%s",
		t.ns, AdminServiceAccount, AdminBinding, UserPrefix, regv1.LabelCluster, t.cluster)
}
