package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RegionSpec says how to reach one pluscloud open region's Reseller API. Give either secretRef
// (preferred; a Secret with the keys endpoint, username and password) or the inline fields,
// which pco-reseller-operator v0.3 used and later deprecated.
//
// +kubebuilder:validation:XValidation:rule="has(self.secretRef) || (has(self.endpoint) && has(self.username) && has(self.password))",message="set secretRef, or endpoint, username and password"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.endpoint) || (has(self.endpoint) && self.endpoint == oldSelf.endpoint)",message="endpoint is immutable"
type RegionSpec struct {
	// Endpoint is the Reseller API's base URL, e.g. https://prod1.api.pco.get-cloud.io:60312/.
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Username of the reseller account.
	// +optional
	Username string `json:"username,omitempty"`
	// Password of the reseller account. Prefer secretRef: this field is readable by everyone who
	// may read Regions.
	// +optional
	Password string `json:"password,omitempty"`
	// SecretRef names a Secret with the keys endpoint, username and password.
	// +optional
	SecretRef *SecretReference `json:"secretRef,omitempty"`

	// IdentityEndpoint is the region's Keystone v3 URL, used for application credentials and
	// written into the credentials Secrets. Default: https://<endpoint host>:5000/v3, as on
	// pluscloud open.
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	IdentityEndpoint string `json:"identityEndpoint,omitempty"`
	// OpenStackRegion is the region name in the Keystone catalog. Default: RegionOne.
	// +optional
	OpenStackRegion string `json:"openstackRegion,omitempty"`
}

// SecretReference points at a Secret.
type SecretReference struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// +kubebuilder:validation:MinLength=1
	Namespace string `json:"namespace"`
}

// RegionStatus is what the controller last saw of the region.
type RegionStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Domain is the reseller's Keystone domain (the prefix of its project names).
	// +optional
	Domain string `json:"domain,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Region is one pluscloud open region (Reseller API endpoint and account).
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="RegionReady")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="RegionReady")].reason`
// +kubebuilder:printcolumn:name="Domain",type=string,JSONPath=`.status.domain`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Region struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RegionSpec   `json:"spec,omitempty"`
	Status RegionStatus `json:"status,omitempty"`
}

// RegionList is a list of Regions.
//
// +kubebuilder:object:root=true
type RegionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Region `json:"items"`
}

func init() { register(&Region{}, &RegionList{}) }
