package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterInfoSpec describes a registered cluster.
type ClusterInfoSpec struct {
	DisplayName string `json:"displayName,omitempty"`
	// Name is the cluster's name: the cluster tag of its MachineClasses
	// (kubernetes.io-cluster-<name>), or the connected cluster's name.
	Name string `json:"name"`
	// UID is stable for the cluster's lifetime (the kube-system namespace's UID when the
	// cluster can be reached, else derived from the name).
	UID        string `json:"uid,omitempty"`
	Owner      string `json:"owner,omitempty"`
	ExternalID string `json:"externalID,omitempty"`
	// Provider is pluscloud-open for clusters of our machines, Generic for connected ones.
	Provider string `json:"provider,omitempty"`
	// Endpoint is the cluster's API server URL.
	Endpoint string `json:"endpoint,omitempty"`
	// Location is the OpenStack region.
	Location string `json:"location,omitempty"`
	// Project is the OpenStack (reseller) project the machines run in.
	Project           string `json:"project,omitempty"`
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	NodeCount         int32  `json:"nodeCount,omitempty"`
	// CreatedAt is when the cluster was first registered (Unix seconds).
	CreatedAt int64 `json:"createdAt,omitempty"`
	// Source says where the registration comes from.
	Source ClusterSource `json:"source"`
	// AuthInfo names the ClusterAuthInfo with the cluster's auth data, if any was given.
	// +optional
	AuthInfo string `json:"authInfo,omitempty"`
}

// ClusterSource is what a registration was made from.
type ClusterSource struct {
	// Type is MachineDeployments (found through MCM's objects) or Connect (a ClusterConnect).
	// +kubebuilder:validation:Enum=MachineDeployments;Connect
	Type string `json:"type"`
	// Namespace is MCM's control namespace (MachineDeployments).
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// MachineDeployments of the cluster (MachineDeployments).
	// +optional
	MachineDeployments []string `json:"machineDeployments,omitempty"`
	// Connect is the ClusterConnect's name (Connect).
	// +optional
	Connect string `json:"connect,omitempty"`
}

// ClusterInfoStatus is the cluster's state as last seen.
type ClusterInfoStatus struct {
	// +kubebuilder:validation:Enum=Active;Inactive;NotReady;NotConnected;Registered;Lost
	Phase   string `json:"phase,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// RunningMachines and ReadyNodes are what the node count is made of.
	RunningMachines    int32       `json:"runningMachines,omitempty"`
	ReadyNodes         int32       `json:"readyNodes,omitempty"`
	LastSeen           metav1.Time `json:"lastSeen,omitempty"`
	ObservedGeneration int64       `json:"observedGeneration,omitempty"`
}

// ClusterInfo is a registered cluster.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=cinfo,path=clusterinfos
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.kubernetesVersion`
// +kubebuilder:printcolumn:name="Nodes",type=integer,JSONPath=`.spec.nodeCount`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.spec.endpoint`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterInfo struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterInfoSpec   `json:"spec,omitempty"`
	Status ClusterInfoStatus `json:"status,omitempty"`
}

// ClusterInfoList is a list of ClusterInfos.
//
// +kubebuilder:object:root=true
type ClusterInfoList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterInfo `json:"items"`
}

// SecretReference points at a Secret holding credentials.
type SecretReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// Secret keys of auth data, as in a kubeconfig.
const (
	KeyKubeconfig    = "kubeconfig"
	KeyCAData        = "certificate-authority-data"
	KeyClientCert    = "client-certificate-data"
	KeyClientKey     = "client-key-data"
	KeyToken         = "token"
	KeyUsername      = "username"
	KeyPassword      = "password"
	KeyImpersonate   = "impersonate"
	KeyAuthProviders = "auth-provider"
)

// ClusterAuthInfoSpec says where a cluster's auth data is (resource-model's
// ClusterAuthInfoTemplate, with the payload in a Secret instead of the object).
type ClusterAuthInfoSpec struct {
	// Cluster is the ClusterInfo's name.
	Cluster string `json:"cluster"`
	// SecretRef holds the auth data under the Key* names (kubeconfig, certificate-authority-data,
	// client-certificate-data, client-key-data, token, username, password).
	SecretRef SecretReference `json:"secretRef"`
	// Keys lists which of them the Secret has (names only).
	// +optional
	Keys []string `json:"keys,omitempty"`
	// Username is who the auth data authenticates as (not secret).
	// +optional
	Username string `json:"username,omitempty"`
}

// ClusterAuthInfoStatus is the last check of the auth data.
type ClusterAuthInfoStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// ClusterAuthInfo is a cluster's auth data (by reference).
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=cauth,path=clusterauthinfos
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.cluster`
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.username`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterAuthInfo struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterAuthInfoSpec   `json:"spec,omitempty"`
	Status ClusterAuthInfoStatus `json:"status,omitempty"`
}

// ClusterAuthInfoList is a list of ClusterAuthInfos.
//
// +kubebuilder:object:root=true
type ClusterAuthInfoList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterAuthInfo `json:"items"`
}

// ClusterUserAuthSpec is one user's access to one cluster.
type ClusterUserAuthSpec struct {
	// Cluster is the ClusterInfo's name.
	Cluster string `json:"cluster"`
	// User is the Kubernetes user (of the management cluster) this auth data belongs to.
	User string `json:"user"`
	// SecretRef holds the user's auth data (Key* names).
	SecretRef SecretReference `json:"secretRef"`
	// +optional
	Keys []string `json:"keys,omitempty"`
	// Verbs and Subresources the credentials allow in the target (from the access rule).
	// +optional
	Verbs []string `json:"verbs,omitempty"`
	// +optional
	Subresources []string `json:"subresources,omitempty"`
}

// ClusterUserAuthStatus is the last check of the auth data.
type ClusterUserAuthStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// ClusterUserAuth is one user's auth data for one cluster (by reference).
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=uauth
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.cluster`
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.user`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterUserAuth struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterUserAuthSpec   `json:"spec,omitempty"`
	Status ClusterUserAuthStatus `json:"status,omitempty"`
}

// ClusterUserAuthList is a list of ClusterUserAuths.
//
// +kubebuilder:object:root=true
type ClusterUserAuthList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterUserAuth `json:"items"`
}

// ClusterConnectSpec connects a cluster from a kubeconfig (Loft's ClusterConnect: config,
// adminUser, clusterTemplate). The kubeconfig is read from a Secret, never from this object.
type ClusterConnectSpec struct {
	// ConfigSecretRef names a Secret whose key (default "kubeconfig") holds an admin kubeconfig
	// of the cluster to connect. It is only used to set the cluster up; afterwards the
	// registry keeps the service-account token it made instead.
	ConfigSecretRef SecretKeyReference `json:"configSecretRef"`
	// AdminUser gets full access (an access rule of verbs and subresources "*").
	// +optional
	AdminUser string `json:"adminUser,omitempty"`
	// ClusterTemplate describes the cluster to register.
	ClusterTemplate ClusterTemplate `json:"clusterTemplate"`
}

// SecretKeyReference is one key of a Secret.
type SecretKeyReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// +optional
	Key string `json:"key,omitempty"`
}

// ClusterTemplate is Loft's Cluster spec, the parts that matter here.
type ClusterTemplate struct {
	// Name of the ClusterInfo to create (default: the ClusterConnect's name).
	// +optional
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Description string `json:"description,omitempty"`
	// +optional
	Owner *UserOrTeam `json:"owner,omitempty"`
	// ManagementNamespace is created in the target for the service account (default
	// pco-registry).
	// +optional
	ManagementNamespace string `json:"managementNamespace,omitempty"`
	// Access rules: each user (and each team member) gets a ClusterUserAuth whose credentials
	// may do these verbs on these subresources in the target.
	// +optional
	Access []Access `json:"access,omitempty"`
}

// UserOrTeam names a user or a team.
type UserOrTeam struct {
	User string `json:"user,omitempty"`
	Team string `json:"team,omitempty"`
}

// Access is Loft's access rule.
type Access struct {
	// Verbs allowed, e.g. get, list, watch; "*" for all.
	Verbs []string `json:"verbs"`
	// Subresources (resources) allowed, e.g. pods, pods/log; "*" for all.
	// +optional
	Subresources []string `json:"subresources,omitempty"`
	// +optional
	Users []string `json:"users,omitempty"`
	// Teams are Kubernetes groups; their members are resolved by the platform, so a team rule
	// gets one ClusterUserAuth named after the team.
	// +optional
	Teams []string `json:"teams,omitempty"`
}

// ClusterConnectStatus is Loft's: failed, reason, message; plus what was made.
type ClusterConnectStatus struct {
	Failed  bool   `json:"failed,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Phase: "", Initialized or Failed (Loft's Cluster phases).
	Phase string `json:"phase,omitempty"`
	// ClusterInfo is the registered cluster.
	ClusterInfo        string `json:"clusterInfo,omitempty"`
	ObservedGeneration int64  `json:"observedGeneration,omitempty"`
}

// ClusterConnect connects a cluster by kubeconfig; deleting it disconnects the cluster.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.reason`
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.status.clusterInfo`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterConnect struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterConnectSpec   `json:"spec,omitempty"`
	Status ClusterConnectStatus `json:"status,omitempty"`
}

// ClusterConnectList is a list of ClusterConnects.
//
// +kubebuilder:object:root=true
type ClusterConnectList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterConnect `json:"items"`
}

func init() {
	register(&ClusterInfo{}, &ClusterInfoList{}, &ClusterAuthInfo{}, &ClusterAuthInfoList{},
		&ClusterUserAuth{}, &ClusterUserAuthList{}, &ClusterConnect{}, &ClusterConnectList{})
}
