package connect

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

func (r *Reconciler) registryLabels(cc *regv1.ClusterConnect, cluster, user string) map[string]string {
	l := map[string]string{managedByLabel: managedBy, regv1.LabelCluster: cluster, Label: cc.Name}
	if user != "" {
		l[regv1.LabelUser] = user
	}
	return l
}

// checkRegistryConflicts refuses to take over a ClusterInfo or ClusterAuthInfo someone else
// registered under the same name.
func (r *Reconciler) checkRegistryConflicts(ctx context.Context, cc *regv1.ClusterConnect, cluster string) error {
	var info regv1.ClusterInfo
	err := r.read().Get(ctx, client.ObjectKey{Name: cluster}, &info)
	if err == nil && (info.Spec.Source.Type != SourceType || info.Spec.Source.Connect != cc.Name) {
		return &conflictError{msg: fmt.Sprintf("ClusterInfo %s is already registered (source %s %s%s)", cluster,
			info.Spec.Source.Type, info.Spec.Source.Connect, info.Spec.Source.Namespace)}
	}
	if client.IgnoreNotFound(err) != nil {
		return err
	}
	var auth regv1.ClusterAuthInfo
	err = r.read().Get(ctx, client.ObjectKey{Name: cluster}, &auth)
	if err == nil && auth.Labels[Label] != cc.Name {
		return &conflictError{msg: fmt.Sprintf("ClusterAuthInfo %s exists and was not made by this ClusterConnect", cluster)}
	}
	return client.IgnoreNotFound(err)
}

// writeSecret creates or updates a Secret of the registry (only one it made). owner, when
// given, is the ClusterUserAuth the Secret is made for: the auth API serves a Secret's
// credentials only through the ClusterUserAuth that owns it.
func (r *Reconciler) writeSecret(ctx context.Context, existing *corev1.Secret, name string, l map[string]string, data map[string][]byte, tok *saToken, owner *metav1.OwnerReference) error {
	var owners []metav1.OwnerReference
	if owner != nil {
		owners = []metav1.OwnerReference{*owner}
	}
	if existing == nil {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: name, Labels: l, OwnerReferences: owners}, Type: corev1.SecretTypeOpaque, Data: data}
		tok.annotate(s)
		return r.Client.Create(ctx, s)
	}
	if existing.Labels[managedByLabel] != managedBy || existing.Labels[Label] != l[Label] {
		return &conflictError{msg: fmt.Sprintf("Secret %s/%s exists and was not made by this ClusterConnect", r.Namespace, name)}
	}
	s := existing.DeepCopy()
	s.Labels = l
	s.Data = data
	s.OwnerReferences = owners
	tok.annotate(s)
	if maps.EqualFunc(s.Data, existing.Data, func(a, b []byte) bool { return string(a) == string(b) }) &&
		maps.Equal(s.Annotations, existing.Annotations) && maps.Equal(s.Labels, existing.Labels) &&
		slices.EqualFunc(s.OwnerReferences, existing.OwnerReferences, func(a, b metav1.OwnerReference) bool { return a.UID == b.UID && a.Name == b.Name && a.Kind == b.Kind }) {
		return nil
	}
	return r.Client.Update(ctx, s)
}

func authSecretData(kubeconfig []byte, token string, ca []byte) (map[string][]byte, []string) {
	data := map[string][]byte{regv1.KeyKubeconfig: kubeconfig, regv1.KeyToken: []byte(token)}
	if len(ca) > 0 {
		data[regv1.KeyCAData] = ca
	}
	keys := slices.Sorted(maps.Keys(data))
	return data, keys
}

// storeAuth keeps the registry's admin token kubeconfig: Secret cluster-<cluster>-auth and the
// ClusterAuthInfo pointing at it.
func (r *Reconciler) storeAuth(ctx context.Context, cc *regv1.ClusterConnect, cluster string, existing *corev1.Secret, kubeconfig []byte, tok *saToken, ca []byte) error {
	name := authSecretName(cluster)
	data, keys := authSecretData(kubeconfig, tok.token, ca)
	l := r.registryLabels(cc, cluster, "")
	if err := r.writeSecret(ctx, existing, name, l, data, tok, nil); err != nil {
		return fmt.Errorf("storing Secret %s/%s: %w", r.Namespace, name, err)
	}
	spec := regv1.ClusterAuthInfoSpec{Cluster: cluster, SecretRef: regv1.SecretReference{Name: name, Namespace: r.Namespace}, Keys: keys,
		Username: "system:serviceaccount:" + managementNamespace(cc) + ":" + AdminServiceAccount}
	var auth regv1.ClusterAuthInfo
	err := r.read().Get(ctx, client.ObjectKey{Name: cluster}, &auth)
	if apierrors.IsNotFound(err) {
		auth = regv1.ClusterAuthInfo{ObjectMeta: metav1.ObjectMeta{Name: cluster, Labels: l}, Spec: spec}
		return r.Client.Create(ctx, &auth)
	}
	if err != nil {
		return err
	}
	if authSpecEqual(auth.Spec, spec) && maps.Equal(auth.Labels, l) {
		return nil
	}
	auth.Spec, auth.Labels = spec, l
	return r.Client.Update(ctx, &auth)
}

func authSpecEqual(a, b regv1.ClusterAuthInfoSpec) bool {
	return a.Cluster == b.Cluster && a.SecretRef == b.SecretRef && a.Username == b.Username && slices.Equal(a.Keys, b.Keys)
}

// ensureUsers gives every user of the access rules its service account, ClusterRole,
// ClusterRoleBinding and token in the target, and its Secret and ClusterUserAuth in the
// registry; users no longer in the rules lose theirs.
func (r *Reconciler) ensureUsers(ctx context.Context, cc *regv1.ClusterConnect, t *target, users []*userAccess, server string, base *rest.Config) error {
	keep := map[string]bool{}
	for _, u := range users {
		keep[u.slug] = true
		name := UserPrefix + u.slug
		sa, err := t.ensureServiceAccount(ctx, name, u.slug)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.user, err)
		}
		if err := t.ensureClusterRole(ctx, name, u.slug, u.rules); err != nil {
			return fmt.Errorf("user %s: %w", u.user, err)
		}
		if err := t.ensureBinding(ctx, name, u.slug, name, name); err != nil {
			return fmt.Errorf("user %s: %w", u.user, err)
		}
		secretName := userSecretName(t.cluster, u.slug)
		existing, err := r.getSecret(ctx, r.Namespace, secretName)
		if err != nil {
			return err
		}
		tok := storedToken(existing, sa)
		if tok == nil {
			if tok, err = t.requestToken(ctx, sa); err != nil {
				return fmt.Errorf("user %s: %w", u.user, err)
			}
		}
		kubeconfig, err := kubeconfigForToken(base, server, tok.token, t.cluster)
		if err != nil {
			return err
		}
		data, keys := authSecretData(kubeconfig, tok.token, base.CAData)
		l := r.registryLabels(cc, t.cluster, u.slug)
		if existing != nil && (existing.Labels[managedByLabel] != managedBy || existing.Labels[Label] != l[Label]) {
			return &conflictError{msg: fmt.Sprintf("Secret %s/%s exists and was not made by this ClusterConnect", r.Namespace, secretName)}
		}
		// The ClusterUserAuth first: its Secret is then written owned by it.
		spec := regv1.ClusterUserAuthSpec{Cluster: t.cluster, User: u.user, SecretRef: regv1.SecretReference{Name: secretName, Namespace: r.Namespace},
			Keys: keys, Verbs: u.verbs, Subresources: u.subresources}
		ua, err := r.writeUserAuth(ctx, userAuthName(t.cluster, u.slug), l, spec)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.user, err)
		}
		owner := &metav1.OwnerReference{APIVersion: regv1.GroupVersion.String(), Kind: "ClusterUserAuth", Name: ua.Name, UID: ua.UID}
		if err := r.writeSecret(ctx, existing, secretName, l, data, tok, owner); err != nil {
			return fmt.Errorf("user %s: storing Secret %s/%s: %w", u.user, r.Namespace, secretName, err)
		}
	}
	if err := t.removeStaleUsers(ctx, keep); err != nil {
		return fmt.Errorf("removing users no longer in the access rules: %w", err)
	}
	var list regv1.ClusterUserAuthList
	if err := r.read().List(ctx, &list, client.MatchingLabels{Label: cc.Name}); err != nil {
		return err
	}
	for i := range list.Items {
		ua := &list.Items[i]
		if slug := ua.Labels[regv1.LabelUser]; keep[slug] {
			continue
		}
		if err := r.deleteRegistryObject(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ua.Spec.SecretRef.Namespace, Name: ua.Spec.SecretRef.Name}}, cc.Name); err != nil {
			return err
		}
		if err := client.IgnoreNotFound(r.Client.Delete(ctx, ua)); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reconciler) writeUserAuth(ctx context.Context, name string, l map[string]string, spec regv1.ClusterUserAuthSpec) (*regv1.ClusterUserAuth, error) {
	var ua regv1.ClusterUserAuth
	err := r.read().Get(ctx, client.ObjectKey{Name: name}, &ua)
	if apierrors.IsNotFound(err) {
		ua = regv1.ClusterUserAuth{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}, Spec: spec}
		return &ua, r.Client.Create(ctx, &ua)
	}
	if err != nil {
		return nil, err
	}
	if ua.Labels[Label] != l[Label] {
		return nil, &conflictError{msg: fmt.Sprintf("ClusterUserAuth %s exists and was not made by this ClusterConnect", name)}
	}
	s := ua.Spec
	if s.Cluster == spec.Cluster && s.User == spec.User && s.SecretRef == spec.SecretRef && slices.Equal(s.Keys, spec.Keys) &&
		slices.Equal(s.Verbs, spec.Verbs) && slices.Equal(s.Subresources, spec.Subresources) && maps.Equal(ua.Labels, l) {
		return &ua, nil
	}
	ua.Spec, ua.Labels = spec, l
	return &ua, r.Client.Update(ctx, &ua)
}

// registerCluster creates or updates the ClusterInfo and marks it Active.
func (r *Reconciler) registerCluster(ctx context.Context, cc *regv1.ClusterConnect, cluster, server string, info *targetInfo) error {
	tmpl := cc.Spec.ClusterTemplate
	owner := ""
	if tmpl.Owner != nil {
		owner = tmpl.Owner.User
		if owner == "" && tmpl.Owner.Team != "" {
			owner = "team:" + tmpl.Owner.Team
		}
	}
	spec := regv1.ClusterInfoSpec{
		DisplayName: tmpl.DisplayName, Name: cluster, UID: info.uid, Owner: owner, Provider: Provider, Endpoint: server,
		KubernetesVersion: info.version, NodeCount: info.readyNodes, AuthInfo: cluster,
		Source: regv1.ClusterSource{Type: SourceType, Connect: cc.Name},
	}
	l := r.registryLabels(cc, cluster, "")
	var ci regv1.ClusterInfo
	err := r.read().Get(ctx, client.ObjectKey{Name: cluster}, &ci)
	switch {
	case apierrors.IsNotFound(err):
		spec.CreatedAt = time.Now().Unix()
		ci = regv1.ClusterInfo{ObjectMeta: metav1.ObjectMeta{Name: cluster, Labels: l}, Spec: spec}
		if err := r.Client.Create(ctx, &ci); err != nil {
			return fmt.Errorf("creating ClusterInfo %s: %w", cluster, err)
		}
	case err != nil:
		return err
	default:
		spec.CreatedAt = ci.Spec.CreatedAt
		if !infoSpecEqual(ci.Spec, spec) || !maps.Equal(ci.Labels, l) {
			ci.Spec, ci.Labels = spec, l
			if err := r.Client.Update(ctx, &ci); err != nil {
				return fmt.Errorf("updating ClusterInfo %s: %w", cluster, err)
			}
		}
	}
	ci.Status = regv1.ClusterInfoStatus{Phase: regv1.PhaseActive, Message: fmt.Sprintf("connected by ClusterConnect %s; %d Ready nodes", cc.Name, info.readyNodes),
		ReadyNodes: info.readyNodes, LastSeen: metav1.Now(), ObservedGeneration: ci.Generation}
	if err := r.Client.Status().Update(ctx, &ci); err != nil {
		return fmt.Errorf("status of ClusterInfo %s: %w", cluster, err)
	}
	return nil
}

func infoSpecEqual(a, b regv1.ClusterInfoSpec) bool {
	return a.DisplayName == b.DisplayName && a.Name == b.Name && a.UID == b.UID && a.Owner == b.Owner && a.Provider == b.Provider &&
		a.Endpoint == b.Endpoint && a.KubernetesVersion == b.KubernetesVersion && a.NodeCount == b.NodeCount && a.AuthInfo == b.AuthInfo &&
		a.CreatedAt == b.CreatedAt && a.Source.Type == b.Source.Type && a.Source.Connect == b.Source.Connect &&
		a.Source.Namespace == b.Source.Namespace && len(a.Source.MachineDeployments) == 0 && a.ExternalID == b.ExternalID &&
		a.Location == b.Location && a.Project == b.Project
}

// deleteRegistryObject deletes an object of the registry if this ClusterConnect made it.
func (r *Reconciler) deleteRegistryObject(ctx context.Context, obj client.Object, connect string) error {
	if err := r.read().Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return client.IgnoreNotFound(err)
	}
	if obj.GetLabels()[Label] != connect || obj.GetLabels()[managedByLabel] != managedBy {
		return nil
	}
	return client.IgnoreNotFound(r.Client.Delete(ctx, obj))
}

// cleanupRegistry deletes the Secrets, ClusterUserAuths, ClusterAuthInfo and ClusterInfo the
// ClusterConnect made.
func (r *Reconciler) cleanupRegistry(ctx context.Context, cc *regv1.ClusterConnect, cluster string) error {
	mine := client.MatchingLabels{Label: cc.Name, managedByLabel: managedBy}
	var secrets corev1.SecretList
	if err := r.read().List(ctx, &secrets, client.InNamespace(r.Namespace), mine); err != nil {
		return err
	}
	for i := range secrets.Items {
		if err := client.IgnoreNotFound(r.Client.Delete(ctx, &secrets.Items[i])); err != nil {
			return err
		}
	}
	var uas regv1.ClusterUserAuthList
	if err := r.read().List(ctx, &uas, mine); err != nil {
		return err
	}
	for i := range uas.Items {
		if err := client.IgnoreNotFound(r.Client.Delete(ctx, &uas.Items[i])); err != nil {
			return err
		}
	}
	if err := r.deleteRegistryObject(ctx, &regv1.ClusterAuthInfo{ObjectMeta: metav1.ObjectMeta{Name: cluster}}, cc.Name); err != nil {
		return err
	}
	var ci regv1.ClusterInfo
	if err := r.read().Get(ctx, client.ObjectKey{Name: cluster}, &ci); err == nil {
		if ci.Spec.Source.Type == SourceType && ci.Spec.Source.Connect == cc.Name {
			if err := client.IgnoreNotFound(r.Client.Delete(ctx, &ci)); err != nil {
				return err
			}
		}
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
