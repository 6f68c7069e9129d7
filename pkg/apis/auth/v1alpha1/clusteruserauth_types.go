package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
//
// +kubebuilder:object:root=true
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type ClusterUserAuth struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec        ClusterUserAuthSpec `json:"spec"`
	Credentials Credentials         `json:"credentials"`
}

// ClusterUserAuthList is a list of ClusterUserAuths.
//
// +kubebuilder:object:root=true
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type ClusterUserAuthList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterUserAuth `json:"items"`
}

// OpenAPIModelName names the type in OpenAPI.
func (ClusterUserAuth) OpenAPIModelName() string {
	return "io.pco-mcm.registry.auth.v1alpha1.ClusterUserAuth"
}

// OpenAPIModelName names the type in OpenAPI.
func (ClusterUserAuthList) OpenAPIModelName() string {
	return "io.pco-mcm.registry.auth.v1alpha1.ClusterUserAuthList"
}
