// Package v1alpha1 is the aggregated API group auth.registry.pco-mcm.io: ClusterUserAuth as its
// owner sees it, with the credentials read from the registry's Secret, and Cluster, the
// registered clusters a user has credentials for.
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the aggregated API group.
const GroupName = "auth.registry.pco-mcm.io"

// SchemeGroupVersion is auth.registry.pco-mcm.io/v1alpha1.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

// Resource is clusteruserauths of this group.
var Resource = SchemeGroupVersion.WithResource("clusteruserauths")

// ClusterUserAuthSpec names the cluster and the user the credentials belong to.
type ClusterUserAuthSpec struct {
	Cluster string `json:"cluster"`
	User    string `json:"user"`
}

// Credentials are the user's auth data for the cluster.
type Credentials struct {
	// Kubeconfig is the Secret's kubeconfig key.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// Token is the Secret's token key.
	Token string `json:"token,omitempty"`
}

// ClusterUserAuth is one user's credentials for one cluster, served only to that user.
type ClusterUserAuth struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec        ClusterUserAuthSpec `json:"spec"`
	Credentials Credentials         `json:"credentials"`
}

// ClusterUserAuthList is a list of ClusterUserAuths.
type ClusterUserAuthList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterUserAuth `json:"items"`
}

// DeepCopyInto copies the receiver into out.
func (in *ClusterUserAuth) DeepCopyInto(out *ClusterUserAuth) {
	*out = *in
	out.TypeMeta = in.TypeMeta
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
}

// DeepCopy copies the receiver.
func (in *ClusterUserAuth) DeepCopy() *ClusterUserAuth {
	if in == nil {
		return nil
	}
	out := new(ClusterUserAuth)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *ClusterUserAuth) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopyInto copies the receiver into out.
func (in *ClusterUserAuthList) DeepCopyInto(out *ClusterUserAuthList) {
	*out = *in
	out.TypeMeta = in.TypeMeta
	in.ListMeta.DeepCopyInto(&out.ListMeta)
	if in.Items != nil {
		out.Items = make([]ClusterUserAuth, len(in.Items))
		for i := range in.Items {
			in.Items[i].DeepCopyInto(&out.Items[i])
		}
	}
}

// DeepCopy copies the receiver.
func (in *ClusterUserAuthList) DeepCopy() *ClusterUserAuthList {
	if in == nil {
		return nil
	}
	out := new(ClusterUserAuthList)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *ClusterUserAuthList) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// AddToScheme registers the kinds under v1alpha1 and under the internal version (the same Go
// types: this group has a single version and no conversions), plus the meta kinds
// (ListOptions, Status, WatchEvent, ...) of the group version.
func AddToScheme(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(SchemeGroupVersion, &ClusterUserAuth{}, &ClusterUserAuthList{}, &Cluster{}, &ClusterList{})
	metav1.AddToGroupVersion(scheme, SchemeGroupVersion)
	internal := schema.GroupVersion{Group: GroupName, Version: runtime.APIVersionInternal}
	scheme.AddKnownTypes(internal, &ClusterUserAuth{}, &ClusterUserAuthList{}, &Cluster{}, &ClusterList{})
	return nil
}

// OpenAPIModelName names the type in OpenAPI.
func (ClusterUserAuth) OpenAPIModelName() string {
	return "io.pco-mcm.registry.auth.v1alpha1.ClusterUserAuth"
}

// OpenAPIModelName names the type in OpenAPI.
func (ClusterUserAuthList) OpenAPIModelName() string {
	return "io.pco-mcm.registry.auth.v1alpha1.ClusterUserAuthList"
}
