package authapi

import (
	"maps"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/auth/v1alpha1"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// ClusterUserAuthStore serves auth.registry.pco-mcm.io ClusterUserAuths from the registry's
// ClusterUserAuths (registry.pco-mcm.io) and their Secrets, as a Source has them.
//
// Ownership: a caller sees only the objects whose spec.user is their username. Cluster admins
// (group system:masters, or allowed to get registry.pco-mcm.io clusteruserauths cluster-wide)
// see all. Other users' objects are left out of lists and watches and are NotFound on Get.
//
// An object's resourceVersion is the newer of its ClusterUserAuth's and its Secret's, so a
// changed credential is a new version.
type ClusterUserAuthStore struct {
	view[*authv1alpha1.ClusterUserAuth, *authv1alpha1.ClusterUserAuthList]
}

var _ WatchStore[*authv1alpha1.ClusterUserAuth, *authv1alpha1.ClusterUserAuthList] = &ClusterUserAuthStore{}

// NewClusterUserAuthStore serves ClusterUserAuths from src.
func NewClusterUserAuthStore(src *Source) *ClusterUserAuthStore {
	return &ClusterUserAuthStore{view: view[*authv1alpha1.ClusterUserAuth, *authv1alpha1.ClusterUserAuthList]{
		src:           src,
		adminResource: "clusteruserauths",
		adminSecrets:  true,
		names: func(st *state, who caller, admin bool) []string {
			if admin {
				return keys(st.userAuths)
			}
			var out []string
			for _, k := range who.keys() {
				out = append(out, keys(st.byUser[k])...)
			}
			return out
		},
		object: func(st *state, who caller, admin bool, name string) (*authv1alpha1.ClusterUserAuth, bool) {
			src := st.userAuths[name]
			if src == nil || (!admin && !who.owns(src.Spec.User)) {
				return nil, false
			}
			return userAuthView(st, src), true
		},
		affected: func(st *state, ch change) []string {
			switch ch.kind {
			case userAuthChange:
				return []string{objName(ch)}
			case secretChange:
				o := ch.new
				if o == nil {
					o = ch.old
				}
				return keys(st.bySecret[secretKey(o.GetNamespace(), o.GetName())])
			}
			return nil
		},
		newObj: func() *authv1alpha1.ClusterUserAuth {
			return &authv1alpha1.ClusterUserAuth{TypeMeta: metav1.TypeMeta{APIVersion: authv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterUserAuth"}}
		},
		newList: func(items []*authv1alpha1.ClusterUserAuth, rv string) *authv1alpha1.ClusterUserAuthList {
			out := &authv1alpha1.ClusterUserAuthList{
				TypeMeta: metav1.TypeMeta{APIVersion: authv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterUserAuthList"},
				ListMeta: metav1.ListMeta{ResourceVersion: rv},
				Items:    make([]authv1alpha1.ClusterUserAuth, 0, len(items)),
			}
			for _, it := range items {
				out.Items = append(out.Items, *it)
			}
			return out
		},
	}}
}

// userAuthView is the served object: the ClusterUserAuth's cluster and user, and the
// credentials of its Secret (none while the registrar has not written it yet).
func userAuthView(st *state, src *regv1.ClusterUserAuth) *authv1alpha1.ClusterUserAuth {
	rv := resourceVersion(src)
	obj := &authv1alpha1.ClusterUserAuth{
		TypeMeta: metav1.TypeMeta{APIVersion: authv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterUserAuth"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              src.Name,
			UID:               src.UID,
			CreationTimestamp: src.CreationTimestamp,
			Labels:            maps.Clone(src.Labels),
		},
		Spec: authv1alpha1.ClusterUserAuthSpec{Cluster: src.Spec.Cluster, User: src.Spec.User},
	}
	if ref := src.Spec.SecretRef; ref.Name != "" {
		if secret := st.secrets[secretKey(ref.Namespace, ref.Name)]; secret != nil && madeFor(secret, src) {
			obj.Credentials.Kubeconfig = string(secret.Data[regv1.KeyKubeconfig])
			obj.Credentials.Token = string(secret.Data[regv1.KeyToken])
			rv = max(rv, resourceVersion(secret))
		}
	}
	obj.ResourceVersion = strconv.FormatUint(rv, 10)
	return obj
}

// madeFor says whether the registrar made secret for this ClusterUserAuth: the Secret is owned
// by it (an owner reference with its UID, which nobody can give a ClusterUserAuth they create
// later). A ClusterUserAuth pointing at any other Secret of the registry namespace (another
// user's, a cluster's admin token) shows no credentials.
func madeFor(secret *corev1.Secret, cua *regv1.ClusterUserAuth) bool {
	for _, ref := range secret.OwnerReferences {
		if ref.Kind == "ClusterUserAuth" && ref.UID == cua.UID && ref.Name == cua.Name &&
			strings.HasPrefix(ref.APIVersion, regv1.GroupVersion.Group+"/") {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
