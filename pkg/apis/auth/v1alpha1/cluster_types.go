package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterResource is clusters of this group: the registered clusters a user has credentials
// for, read-only.
var ClusterResource = SchemeGroupVersion.WithResource("clusters")

// ClusterSpec is what a user needs to know about a registered cluster (the registry's
// ClusterInfo without its references to auth data).
type ClusterSpec struct {
	// Name is the cluster's name (the ClusterInfo's spec.name).
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	// Provider is pluscloud-open for clusters of our machines, Generic for connected ones.
	Provider string `json:"provider,omitempty"`
	// Endpoint is the cluster's API server URL.
	Endpoint          string `json:"endpoint,omitempty"`
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	NodeCount         int32  `json:"nodeCount,omitempty"`
	// Region is the OpenStack region (the ClusterInfo's spec.location).
	Region string `json:"region,omitempty"`
	// Project is the OpenStack project the machines run in.
	Project string `json:"project,omitempty"`
}

// ClusterStatus is the cluster's state as the registrar last saw it.
type ClusterStatus struct {
	// Phase is Active, NotReady, NotConnected, Registered or Lost.
	Phase  string `json:"phase,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Cluster is a registered cluster as a user of it sees it.
//
// +kubebuilder:object:root=true
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterSpec   `json:"spec"`
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
//
// +kubebuilder:object:root=true
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}

// OpenAPIModelName names the type in OpenAPI.
func (Cluster) OpenAPIModelName() string { return "io.pco-mcm.registry.auth.v1alpha1.Cluster" }

// OpenAPIModelName names the type in OpenAPI.
func (ClusterList) OpenAPIModelName() string { return "io.pco-mcm.registry.auth.v1alpha1.ClusterList" }
