// Package v1alpha1 holds the MachineClass providerSpec of this driver. It is wire-compatible with
// gardener's machine-controller-manager-provider-openstack v0.27.1 (same apiVersion, kind and field
// names), so existing Gardener OpenStack MachineClasses work unchanged.
//
// The deepcopy functions are generated (make generate); the types are no CRD, so no groupName
// marker: hack/generate.sh runs only the object generator on this package.
//
// +kubebuilder:object:generate=true
package v1alpha1
