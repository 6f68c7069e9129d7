// Package v1alpha1 is the cluster registry of group registry.pco-mcm.io: ClusterInfo (a
// cluster the machines form, or one connected by kubeconfig), ClusterAuthInfo (its auth data),
// ClusterUserAuth (one user's auth data) and ClusterConnect (connect a cluster from a
// kubeconfig, as Loft's ClusterConnect does). The shapes follow ByteBuilders' resource-model
// (cluster.appscode.com/v1alpha1; its module is not served here, so the types are ours, in our
// own group). All are cluster-scoped. Credentials never appear in these objects: they live in
// Secrets the objects reference, in the registrar's namespace.
//
// +kubebuilder:object:generate=true
// +groupName=registry.pco-mcm.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is registry.pco-mcm.io/v1alpha1.
	GroupVersion = schema.GroupVersion{Group: "registry.pco-mcm.io", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this group.
	SchemeBuilder = &runtime.SchemeBuilder{}

	// AddToScheme adds the kinds of this group to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// register adds objects to the kinds of this group that AddToScheme adds (what
// controller-runtime's deprecated scheme.Builder did, without its dependency in an API package).
func register(objects ...runtime.Object) {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(GroupVersion, objects...)
		metav1.AddToGroupVersion(s, GroupVersion)
		return nil
	})
}

// ProviderPlusCloudOpen is ClusterInfo.spec.provider for clusters on pluscloud open.
const ProviderPlusCloudOpen = "pluscloud-open"

// Phases of a cluster (resource-model's ClusterPhase).
const (
	PhaseActive       = "Active"
	PhaseInactive     = "Inactive"
	PhaseNotReady     = "NotReady"
	PhaseNotConnected = "NotConnected"
	PhaseRegistered   = "Registered"
	PhaseLost         = "Lost"
)

// Reasons for a phase (resource-model's ClusterPhaseReason).
const (
	ReasonUnknown          = "Unknown"
	ReasonClusterNotFound  = "ClusterNotFound"
	ReasonAuthIssue        = "AuthIssue"
	ReasonMissingComponent = "MissingComponent"
)

// Labels on registry objects and their Secrets.
const (
	LabelCluster = "registry.pco-mcm.io/cluster"
	LabelUser    = "registry.pco-mcm.io/user"
)
