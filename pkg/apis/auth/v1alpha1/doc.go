// Package v1alpha1 is the aggregated API group auth.registry.pco-mcm.io: ClusterUserAuth as its
// owner sees it, with the credentials read from the registry's Secret, and Cluster, the
// registered clusters a user has credentials for. pkg/authapi serves it; it has no CRDs (the
// registrar serves it behind the kube-apiserver's aggregation layer), so make generate makes
// only its deepcopy functions.
//
// +k8s:deepcopy-gen=package
// +kubebuilder:object:generate=true
// +groupName=auth.registry.pco-mcm.io
package v1alpha1
