package authapi

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/auth/v1alpha1"
	regv1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/registry/v1alpha1"
)

// ClusterStore serves auth.registry.pco-mcm.io Clusters: the registry's ClusterInfos with
// what a user needs to reach the cluster (endpoint, version, phase, node count, region,
// project) and nothing about its auth data.
//
// Ownership: a caller sees the clusters that one of their ClusterUserAuths (spec.user is
// them) names in spec.cluster; cluster admins (system:masters, or allowed to get
// registry.pco-mcm.io clusterinfos cluster-wide) see all. Others' clusters are left out of
// lists and watches and are NotFound on Get, so their names and count do not leak.
type ClusterStore struct {
	view[*authv1alpha1.Cluster, *authv1alpha1.ClusterList]
}

var _ WatchStore[*authv1alpha1.Cluster, *authv1alpha1.ClusterList] = &ClusterStore{}

// NewClusterStore serves Clusters from src.
func NewClusterStore(src *Source) *ClusterStore {
	return &ClusterStore{view: view[*authv1alpha1.Cluster, *authv1alpha1.ClusterList]{
		src:           src,
		adminResource: "clusterinfos",
		names: func(st *state, who caller, admin bool) []string {
			if admin {
				return keys(st.clusters)
			}
			var out []string
			for _, k := range who.keys() {
				for n := range st.byUser[k] {
					out = append(out, st.userAuths[n].Spec.Cluster)
				}
			}
			return out
		},
		object: func(st *state, who caller, admin bool, name string) (*authv1alpha1.Cluster, bool) {
			ci := st.clusters[name]
			if ci == nil || (!admin && !hasUserAuth(st, who, name)) {
				return nil, false
			}
			return clusterView(ci), true
		},
		affected: func(_ *state, ch change) []string {
			switch ch.kind {
			case clusterInfoChange:
				return []string{objName(ch)}
			case userAuthChange:
				// Giving a user credentials for a cluster (or taking them) shows (or hides)
				// the cluster.
				var out []string
				for _, o := range []any{ch.old, ch.new} {
					if cua, ok := o.(*regv1.ClusterUserAuth); ok {
						out = append(out, cua.Spec.Cluster)
					}
				}
				return out
			}
			return nil
		},
		newObj: func() *authv1alpha1.Cluster {
			return &authv1alpha1.Cluster{TypeMeta: metav1.TypeMeta{APIVersion: authv1alpha1.SchemeGroupVersion.String(), Kind: "Cluster"}}
		},
		newList: func(items []*authv1alpha1.Cluster, rv string) *authv1alpha1.ClusterList {
			out := &authv1alpha1.ClusterList{
				TypeMeta: metav1.TypeMeta{APIVersion: authv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterList"},
				ListMeta: metav1.ListMeta{ResourceVersion: rv},
				Items:    make([]authv1alpha1.Cluster, 0, len(items)),
			}
			for _, it := range items {
				out.Items = append(out.Items, *it)
			}
			return out
		},
	}}
}

// hasUserAuth says whether one of the caller's ClusterUserAuths names cluster.
func hasUserAuth(st *state, who caller, cluster string) bool {
	for _, k := range who.keys() {
		for n := range st.byUser[k] {
			if st.userAuths[n].Spec.Cluster == cluster {
				return true
			}
		}
	}
	return false
}

func clusterView(ci *regv1.ClusterInfo) *authv1alpha1.Cluster {
	return &authv1alpha1.Cluster{
		TypeMeta: metav1.TypeMeta{APIVersion: authv1alpha1.SchemeGroupVersion.String(), Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              ci.Name,
			UID:               ci.UID,
			ResourceVersion:   ci.ResourceVersion,
			CreationTimestamp: ci.CreationTimestamp,
			Labels:            maps.Clone(ci.Labels),
		},
		Spec: authv1alpha1.ClusterSpec{
			Name:              ci.Spec.Name,
			DisplayName:       ci.Spec.DisplayName,
			Provider:          ci.Spec.Provider,
			Endpoint:          ci.Spec.Endpoint,
			KubernetesVersion: ci.Spec.KubernetesVersion,
			NodeCount:         ci.Spec.NodeCount,
			Region:            ci.Spec.Location,
			Project:           ci.Spec.Project,
		},
		Status: authv1alpha1.ClusterStatus{Phase: ci.Status.Phase, Reason: ci.Status.Reason},
	}
}
