package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// GroupName is the API group of the providerSpec.
	GroupName = "openstack.machine.gardener.cloud"
	// Version is the API version of the providerSpec.
	Version = "v1alpha1"
	// APIVersion is GroupName/Version, as written in a providerSpec.
	APIVersion = GroupName + "/" + Version
	// Kind is the kind of the providerSpec object.
	Kind = "MachineProviderConfig"

	// ProviderName is the value MachineClass.provider must have.
	ProviderName = "OpenStack"

	// ServerTagClusterPrefix marks the tag key naming the cluster a server belongs to.
	ServerTagClusterPrefix = "kubernetes.io-cluster-"
	// ServerTagRolePrefix marks the tag key naming the role of a server in its cluster.
	ServerTagRolePrefix = "kubernetes.io-role-"
)

// MachineProviderConfig contains OpenStack specific configuration for a machine.
//
// +kubebuilder:object:root=true
type MachineProviderConfig struct {
	metav1.TypeMeta `json:",inline"`

	Spec MachineProviderConfigSpec `json:"spec,omitempty"`
}

// MachineProviderConfigSpec describes the server to create for a machine.
type MachineProviderConfigSpec struct {
	// ImageID is the Glance ID of the image. It takes priority over ImageName.
	ImageID string `json:"imageID"`
	// ImageName is the Glance name of the image; it must match exactly one image.
	ImageName string `json:"imageName"`
	// Region is the OpenStack region (catalog region) the server lives in.
	Region string `json:"region"`
	// AvailabilityZone is the Nova availability zone of the server (and of its root volume).
	AvailabilityZone string `json:"availabilityZone"`
	// FlavorName is the Nova flavor name, for example SCS-2V-4.
	FlavorName string `json:"flavorName"`
	// KeyName is the name of the Nova keypair injected into the server.
	KeyName string `json:"keyName"`
	// SecurityGroups are Neutron security group names applied to the server's ports.
	SecurityGroups []string `json:"securityGroups"`
	// Tags are written as Nova server metadata; the keys starting with kubernetes.io-cluster- and
	// kubernetes.io-role- mark the server as owned by a cluster and role.
	Tags map[string]string `json:"tags,omitempty"`
	// NetworkID is the Neutron network the server is attached to. Mutually exclusive with Networks.
	NetworkID string `json:"networkID"`
	// SubnetID is the subnet to take the fixed IP from. Deprecated: use SubnetIDs.
	SubnetID *string `json:"subnetID,omitempty"`
	// SubnetIDs are the subnets (of NetworkID) to take fixed IPs from.
	SubnetIDs []string `json:"subnetIDs,omitempty"`
	// PodNetworkCidr is the pod CIDR allowed on the server's pod-network ports. Deprecated: use PodNetworkCIDRs.
	PodNetworkCidr string `json:"podNetworkCidr"`
	// PodNetworkCIDRs are the pod CIDRs allowed (allowed_address_pairs) on the server's pod-network ports.
	PodNetworkCIDRs []string `json:"podNetworkCIDRs"`
	// RootDiskSize is the root disk size in GiB. When > 0 (or when the flavor has no disk) the server
	// boots from a Cinder volume of this size.
	RootDiskSize int `json:"rootDiskSize,omitempty"`
	// RootDiskType is the Cinder volume type of the root volume.
	RootDiskType *string `json:"rootDiskType,omitempty"`
	// UseConfigDrive makes Nova attach a config drive.
	UseConfigDrive *bool `json:"useConfigDrive,omitempty"`
	// ServerGroupID is the Nova server group the server is scheduled into.
	ServerGroupID *string `json:"serverGroupID,omitempty"`
	// Networks are the networks the server is attached to. Mutually exclusive with NetworkID.
	Networks []OpenStackNetwork `json:"networks,omitempty"`
}

// OpenStackNetwork describes a network the server is attached to.
type OpenStackNetwork struct {
	// Id is the ID of the network. It takes priority over Name.
	Id string `json:"id,omitempty"` //nolint:revive // field name kept for wire compatibility
	// Name is the name of the network; it must match exactly one network.
	Name string `json:"name,omitempty"`
	// PodNetwork marks the network that carries pod traffic (pod CIDRs are allowed on its port).
	PodNetwork bool `json:"podNetwork,omitempty"`
}
