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
