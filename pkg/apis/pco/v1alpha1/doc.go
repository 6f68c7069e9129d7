// Package v1alpha1 holds the reseller resources of group pco.plusserver.com: Region, Project,
// User and UserProjectBinding. They are manifest-compatible with plusserver's
// pco-reseller-operator (v0.3.1 up to v0.6.0): the same group, kinds and spec fields, so its
// sample manifests apply unchanged. What this project adds is optional (Region.identityEndpoint,
// Region.openstackRegion, status fields) and the binding's credentials Secret for MachineClasses.
//
// +kubebuilder:object:generate=true
// +groupName=pco.plusserver.com
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is pco.plusserver.com/v1alpha1.
	GroupVersion = schema.GroupVersion{Group: "pco.plusserver.com", Version: "v1alpha1"}

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

// Finalizer keeps an object until what it made in the cloud is gone (the peer's name, so a
// cluster can switch controllers).
const Finalizer = "pco.plusserver.com/finalizer"

// Condition types, one per kind, as the peer names them.
const (
	RegionReady             = "RegionReady"
	ProjectReady            = "ProjectReady"
	UserReady               = "UserReady"
	UserProjectBindingReady = "UserProjectBindingReady"
)

// Condition reasons. The peer's (<Kind>IsReady, <Kind>IsUnready, <Kind>NotFound, UnknownError)
// plus ones that say what to do.
const (
	ReasonRegionIsReady    = "RegionIsReady"
	ReasonRegionIsUnready  = "RegionIsUnready"
	ReasonRegionNotFound   = "RegionNotFound"
	ReasonProjectIsReady   = "ProjectIsReady"
	ReasonProjectIsUnready = "ProjectIsUnready"
	ReasonProjectNotFound  = "ProjectNotFound"
	ReasonUserIsReady      = "UserIsReady"
	ReasonUserIsUnready    = "UserIsUnready"
	ReasonUserNotFound     = "UserNotFound"
	ReasonBindingIsReady   = "UserProjectBindingIsReady"
	ReasonBindingIsUnready = "UserProjectBindingIsUnready"
	ReasonUnknownError     = "UnknownError"
	ReasonSecretNotFound   = "SecretNotFound"
	// ReasonNamespaceNotWatched: the object needs Secrets in a namespace outside the
	// controller's --secret-namespaces.
	ReasonNamespaceNotWatched = "NamespaceNotWatched"
	ReasonInvalidSecret       = "InvalidSecret"
	ReasonLoginFailed         = "LoginFailed"
	ReasonAPIRejected         = "ResellerAPIRejected"    // 4xx: the request must change
	ReasonAPIUnavailable      = "ResellerAPIUnavailable" // 5xx, 429, network: retried with backoff
	ReasonConflict            = "Conflict"
	ReasonWaitingForRegion    = "WaitingForRegion"
	ReasonWaitingForProject   = "WaitingForProject"
	ReasonWaitingForUser      = "WaitingForUser"
	ReasonDeletionBlocked     = "DeletionBlocked"
	ReasonDeleting            = "Deleting"
)
