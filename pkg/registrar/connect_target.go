package registrar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// Names in the connected (target) cluster, as loftctl's connect cluster makes them (with our
// prefix instead of loft's).
const (
	ConnectDefaultManagementNamespace = "pco-registry"
	ConnectAdminServiceAccount        = "pco-registry-admin"
	ConnectAdminBinding               = ConnectAdminServiceAccount + "-binding"
	ConnectAdminTokenSecret           = ConnectAdminServiceAccount + "-token"
	// ConnectUserPrefix names a user's ServiceAccount, ClusterRole and ClusterRoleBinding:
	// pco-user-<sanitized user>.
	ConnectUserPrefix = "pco-user-"
)

// connectManagedBy marks what the connect controller made (management and target cluster).
const (
	connectManagedByLabel = "app.kubernetes.io/managed-by"
	connectManagedBy      = "pco-cluster-registrar"
)

// Annotations on the token Secrets (never the token itself): when and for which service
// account a TokenRequest token was issued, so it is renewed in time and after the service
// account was re-created.
//
//nolint:gosec // G101: annotation names, not tokens
const (
	connectAnnTokenIssued  = "registry.pco-mcm.io/token-issued"
	connectAnnTokenExpires = "registry.pco-mcm.io/token-expires"
	connectAnnSAUID        = "registry.pco-mcm.io/serviceaccount-uid"
)

// connectTokenLifetime is what TokenRequest asks for (the target may grant less; the granted
// expiry is recorded and the token renewed when a third of its life is left).
const connectTokenLifetime = 365 * 24 * time.Hour

// connectConflictError is an object in the target (or the registry) that is in the way.
type connectConflictError struct{ msg string }

func (e *connectConflictError) Error() string { return e.msg }

// connectTarget makes and removes the registry's objects in one connected cluster.
type connectTarget struct {
	kc      kubernetes.Interface
	ns      string
	cluster string
	connect string
}

func (t *connectTarget) labels(user string) map[string]string {
	l := map[string]string{connectManagedByLabel: connectManagedBy, regv1.LabelCluster: t.cluster, ConnectLabel: t.connect}
	if user != "" {
		l[regv1.LabelUser] = user
	}
	return l
}

// selector matches everything made for this cluster.
func (t *connectTarget) selector() string {
	return labels.SelectorFromSet(labels.Set{connectManagedByLabel: connectManagedBy, regv1.LabelCluster: t.cluster}).String()
}

func (t *connectTarget) ours(l map[string]string) bool {
	return l[connectManagedByLabel] == connectManagedBy && l[regv1.LabelCluster] == t.cluster
}

func (t *connectTarget) conflict(kind, name string) error {
	return &connectConflictError{msg: fmt.Sprintf("%s %s already exists in the target cluster and was not made by the registry for cluster %s; remove it or choose another managementNamespace", kind, name, t.cluster)}
}

// ensureNamespace creates the management namespace; one that exists without our labels is
// used but never deleted (it may be kube-system or default), one made for another cluster
// name is a conflict (the target is connected already).
func (t *connectTarget) ensureNamespace(ctx context.Context) error {
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
	if ns.Labels[connectManagedByLabel] == connectManagedBy && ns.Labels[regv1.LabelCluster] != t.cluster {
		return &connectConflictError{msg: fmt.Sprintf("namespace %s of the target cluster was made by the registry for cluster %q: the target is connected already", t.ns, ns.Labels[regv1.LabelCluster])}
	}
	if ns.DeletionTimestamp != nil {
		return fmt.Errorf("namespace %s of the target cluster is being deleted; retrying", t.ns)
	}
	return nil
}

func (t *connectTarget) ensureServiceAccount(ctx context.Context, name, user string) (*corev1.ServiceAccount, error) {
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
func (t *connectTarget) ensureTokenSecret(ctx context.Context, name, sa string) (*corev1.Secret, error) {
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

func (t *connectTarget) ensureClusterRole(ctx context.Context, name, user string, rules []rbacv1.PolicyRule) error {
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
	if connectRulesEqual(cr.Rules, rules) {
		return nil
	}
	cr.Rules = rules
	_, err = t.kc.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{})
	return err
}

func connectRulesEqual(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool {
		return slices.Equal(x.Verbs, y.Verbs) && slices.Equal(x.APIGroups, y.APIGroups) && slices.Equal(x.Resources, y.Resources) &&
			slices.Equal(x.ResourceNames, y.ResourceNames) && slices.Equal(x.NonResourceURLs, y.NonResourceURLs)
	})
}

func (t *connectTarget) ensureBinding(ctx context.Context, name, user, clusterRole, sa string) error {
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

// connectToken is a service-account token with what is known about it.
type connectToken struct {
	token   string
	issued  time.Time
	expires time.Time // zero: does not expire (token controller)
	saUID   types.UID
	stored  bool // read back from the registry's Secret
}

// requestToken asks the TokenRequest API for a token of the service account.
func (t *connectTarget) requestToken(ctx context.Context, sa *corev1.ServiceAccount) (*connectToken, error) {
	secs := int64(connectTokenLifetime / time.Second)
	tr, err := t.kc.CoreV1().ServiceAccounts(t.ns).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("requesting a token for service account %s/%s: %w", t.ns, sa.Name, err)
	}
	if tr.Status.Token == "" {
		return nil, fmt.Errorf("the target cluster returned an empty token for service account %s/%s", t.ns, sa.Name)
	}
	return &connectToken{token: tr.Status.Token, issued: time.Now(), expires: tr.Status.ExpirationTimestamp.Time, saUID: sa.UID}, nil
}

// storedToken reads a token the registry stored earlier (from its Secret's data and
// annotations); it is reused while it belongs to the same service account and has more than a
// third of its life left.
func connectStoredToken(s *corev1.Secret, sa *corev1.ServiceAccount) *connectToken {
	if s == nil || len(s.Data[regv1.KeyToken]) == 0 || s.Annotations[connectAnnSAUID] != string(sa.UID) {
		return nil
	}
	tok := &connectToken{token: string(s.Data[regv1.KeyToken]), saUID: sa.UID, stored: true}
	if exp := s.Annotations[connectAnnTokenExpires]; exp != "" {
		e, err1 := time.Parse(time.RFC3339, exp)
		i, err2 := time.Parse(time.RFC3339, s.Annotations[connectAnnTokenIssued])
		if err1 != nil || err2 != nil {
			return nil
		}
		if time.Until(e) < e.Sub(i)/3 {
			return nil
		}
		tok.issued, tok.expires = i, e
	}
	return tok
}

func (tok *connectToken) annotate(s *corev1.Secret) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[connectAnnSAUID] = string(tok.saUID)
	if tok.expires.IsZero() {
		delete(s.Annotations, connectAnnTokenExpires)
		delete(s.Annotations, connectAnnTokenIssued)
		return
	}
	s.Annotations[connectAnnTokenIssued] = tok.issued.UTC().Format(time.RFC3339)
	s.Annotations[connectAnnTokenExpires] = tok.expires.UTC().Format(time.RFC3339)
}

// connectUser is one user (or team) of the access rules, with its merged rules.
type connectUser struct {
	user         string // as in the spec; teams as team:<team>
	slug         string // sanitized, used in object names
	rules        []rbacv1.PolicyRule
	verbs        []string
	subresources []string
}

// connectSlug turns a user name into a DNS label part: lower case letters, digits and '-';
// when that changed the name (or it was long) a hash of the original keeps it unique, so
// "a.b" and "a-b" do not share credentials.
func connectSlug(user string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(user) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == user && len(out) <= 40 {
		return out
	}
	if len(out) > 40 {
		out = strings.TrimRight(out[:40], "-")
	}
	sum := sha256.Sum256([]byte(user))
	if out == "" {
		return "u-" + hex.EncodeToString(sum[:4])
	}
	return out + "-" + hex.EncodeToString(sum[:4])
}

// connectRule turns an access rule into RBAC: the verbs on the subresources, treated as
// resources of every API group ("*" when none are listed); a rule for "*" resources also
// allows the verbs on every non-resource URL, so verbs and subresources "*" is cluster-admin.
func connectRule(verbs, subresources []string) []rbacv1.PolicyRule {
	resources := slices.Clone(subresources)
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	rules := []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: resources, Verbs: slices.Clone(verbs)}}
	if slices.Contains(resources, "*") {
		rules = append(rules, rbacv1.PolicyRule{NonResourceURLs: []string{"*"}, Verbs: slices.Clone(verbs)})
	}
	return rules
}

// connectUsers collects the users of the access rules and the admin user; a user in several
// rules gets all of them (one ClusterRole, one RBAC rule per access rule).
func connectUsers(adminUser string, access []regv1.Access) ([]*connectUser, error) {
	byName := map[string]*connectUser{}
	var order []string
	add := func(name string, verbs, subresources []string) {
		u := byName[name]
		if u == nil {
			u = &connectUser{user: name, slug: connectSlug(name)}
			byName[name] = u
			order = append(order, name)
		}
		u.rules = append(u.rules, connectRule(verbs, subresources)...)
		u.verbs = connectUnion(u.verbs, verbs)
		if len(subresources) == 0 {
			subresources = []string{"*"}
		}
		u.subresources = connectUnion(u.subresources, subresources)
	}
	for i, a := range access {
		verbs := slices.DeleteFunc(slices.Clone(a.Verbs), func(s string) bool { return strings.TrimSpace(s) == "" })
		if len(verbs) == 0 {
			return nil, fmt.Errorf("clusterTemplate.access[%d] has no verbs", i)
		}
		for _, u := range a.Users {
			if u = strings.TrimSpace(u); u != "" {
				add(u, verbs, a.Subresources)
			}
		}
		for _, team := range a.Teams {
			if team = strings.TrimSpace(team); team != "" {
				add("team:"+team, verbs, a.Subresources)
			}
		}
	}
	if u := strings.TrimSpace(adminUser); u != "" {
		add(u, []string{"*"}, []string{"*"})
	}
	slugs := map[string]string{}
	out := make([]*connectUser, 0, len(order))
	for _, name := range order {
		u := byName[name]
		if other, dup := slugs[u.slug]; dup {
			return nil, fmt.Errorf("users %q and %q map to the same object name %s", other, name, u.slug)
		}
		slugs[u.slug] = name
		out = append(out, u)
	}
	return out, nil
}

func connectUnion(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// removeStaleUsers deletes the user objects of users no longer in the access rules.
func (t *connectTarget) removeStaleUsers(ctx context.Context, keep map[string]bool) error {
	stale := func(l map[string]string) bool {
		u := l[regv1.LabelUser]
		return u != "" && !keep[u]
	}
	return t.deleteUsers(ctx, stale)
}

// deleteUsers deletes the user ClusterRoleBindings, ClusterRoles and ServiceAccounts (made for
// this cluster) that match.
func (t *connectTarget) deleteUsers(ctx context.Context, match func(map[string]string) bool) error {
	opts := metav1.ListOptions{LabelSelector: t.selector()}
	crbs, err := t.kc.RbacV1().ClusterRoleBindings().List(ctx, opts)
	if err != nil {
		return err
	}
	for _, b := range crbs.Items {
		if b.Name != ConnectAdminBinding && match(b.Labels) {
			if err := connectIgnoreNotFound(t.kc.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{})); err != nil {
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
			if err := connectIgnoreNotFound(t.kc.RbacV1().ClusterRoles().Delete(ctx, cr.Name, metav1.DeleteOptions{})); err != nil {
				return err
			}
		}
	}
	sas, err := t.kc.CoreV1().ServiceAccounts(t.ns).List(ctx, opts)
	if err != nil {
		return err
	}
	for _, sa := range sas.Items {
		if sa.Name != ConnectAdminServiceAccount && match(sa.Labels) {
			if err := connectIgnoreNotFound(t.kc.CoreV1().ServiceAccounts(t.ns).Delete(ctx, sa.Name, metav1.DeleteOptions{})); err != nil {
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
func (t *connectTarget) cleanup(ctx context.Context, ownCredentials bool) error {
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
		b, err := t.kc.RbacV1().ClusterRoleBindings().Get(ctx, ConnectAdminBinding, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if !t.ours(b.Labels) {
			return nil
		}
		return connectIgnoreNotFound(t.kc.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{}))
	}
	deleteAdminAccount := func() error {
		if err := t.deleteIfOurs(ctx, "Secret", ConnectAdminTokenSecret); err != nil {
			return err
		}
		return t.deleteIfOurs(ctx, "ServiceAccount", ConnectAdminServiceAccount)
	}
	deleteNamespace := func() error {
		if !nsOurs {
			return nil
		}
		return connectIgnoreNotFound(t.kc.CoreV1().Namespaces().Delete(ctx, t.ns, metav1.DeleteOptions{}))
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

func (t *connectTarget) deleteIfOurs(ctx context.Context, kind, name string) error {
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
	return connectIgnoreNotFound(err)
}

// leftovers says what may be left in the target when a disconnect gave up.
func (t *connectTarget) leftovers() string {
	return fmt.Sprintf("namespace %s (if the registry made it) with service account %s, ClusterRoleBinding %s (cluster-admin), and the ServiceAccounts, ClusterRoles and ClusterRoleBindings named %s* labelled %s=%s",
		t.ns, ConnectAdminServiceAccount, ConnectAdminBinding, ConnectUserPrefix, regv1.LabelCluster, t.cluster)
}

func connectIgnoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// connectIsAuthError tells whether the target refused the credentials.
func connectIsAuthError(err error) bool {
	return apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err)
}

// connectIsUnreachable tells whether err means the target's API server could not be reached
// or did not answer: network and TLS errors, timeouts, and a gateway's 502/503/504.
func connectIsUnreachable(err error) bool {
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
