package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UserProjectBindingSpec gives a User access to a Project of the same namespace.
type UserProjectBindingSpec struct {
	// Project is the name of a Project in this namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="project is immutable"
	Project string `json:"project"`
	// User is the name of a User in this namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="user is immutable"
	User string `json:"user"`
	// ApplicationCredential also makes a Keystone application credential for the user on the
	// project (Secret <name>-appcred); the credentials Secret then uses it instead of the
	// password.
	// +optional
	ApplicationCredential bool `json:"applicationCredential,omitempty"`
}

// UserProjectBindingStatus is what the controller made.
type UserProjectBindingStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// UserID is the OpenStack user's ID in the project's region.
	// +optional
	UserID string `json:"userID,omitempty"`
	// CredentialsSecret is the Secret a MachineClass's credentialsSecretRef can point at:
	// provider-openstack keys and a clouds.yaml for this project and region.
	// +optional
	CredentialsSecret string `json:"credentialsSecret,omitempty"`
	// ApplicationCredentialID is the Keystone application credential, when asked for.
	// +optional
	ApplicationCredentialID string `json:"applicationCredentialID,omitempty"`
	// PasswordVersion is the resourceVersion of the user's Secret whose password was last
	// pushed to OpenStack; a change there (rotation) is pushed again.
	// +optional
	PasswordVersion string `json:"passwordVersion,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// UserProjectBinding adds a User to a Project in OpenStack and produces credentials for it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=upb
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.user`
// +kubebuilder:printcolumn:name="Project",type=string,JSONPath=`.spec.project`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="UserProjectBindingReady")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="UserProjectBindingReady")].reason`
// +kubebuilder:printcolumn:name="Credentials",type=string,JSONPath=`.status.credentialsSecret`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type UserProjectBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   UserProjectBindingSpec   `json:"spec,omitempty"`
	Status UserProjectBindingStatus `json:"status,omitempty"`
}

// UserProjectBindingList is a list of UserProjectBindings.
//
// +kubebuilder:object:root=true
type UserProjectBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []UserProjectBinding `json:"items"`
}

func init() { register(&UserProjectBinding{}, &UserProjectBindingList{}) }
