package v1alpha1

// Hand-written in the shape deepcopy-gen produces (the project does not run code generators);
// deepcopy_test.go checks that every pointer, slice and map is copied, so a field added to the
// types without a line here fails the tests.

import "k8s.io/apimachinery/pkg/runtime"

// DeepCopyInto copies the receiver into out. in must be non-nil.
func (in *MachineProviderConfig) DeepCopyInto(out *MachineProviderConfig) {
	*out = *in
	out.TypeMeta = in.TypeMeta
	in.Spec.DeepCopyInto(&out.Spec)
}

// DeepCopy returns a deep copy of the receiver, or nil for nil.
func (in *MachineProviderConfig) DeepCopy() *MachineProviderConfig {
	if in == nil {
		return nil
	}
	out := new(MachineProviderConfig)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyObject makes MachineProviderConfig a runtime.Object, so it can be registered in a scheme.
func (in *MachineProviderConfig) DeepCopyObject() runtime.Object {
	if c := in.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DeepCopyInto copies the receiver into out. in must be non-nil.
func (in *MachineProviderConfigSpec) DeepCopyInto(out *MachineProviderConfigSpec) {
	*out = *in
	if in.SecurityGroups != nil {
		out.SecurityGroups = make([]string, len(in.SecurityGroups))
		copy(out.SecurityGroups, in.SecurityGroups)
	}
	if in.Tags != nil {
		out.Tags = make(map[string]string, len(in.Tags))
		for k, v := range in.Tags {
			out.Tags[k] = v
		}
	}
	if in.SubnetID != nil {
		out.SubnetID = new(string)
		*out.SubnetID = *in.SubnetID
	}
	if in.SubnetIDs != nil {
		out.SubnetIDs = make([]string, len(in.SubnetIDs))
		copy(out.SubnetIDs, in.SubnetIDs)
	}
	if in.PodNetworkCIDRs != nil {
		out.PodNetworkCIDRs = make([]string, len(in.PodNetworkCIDRs))
		copy(out.PodNetworkCIDRs, in.PodNetworkCIDRs)
	}
	if in.RootDiskType != nil {
		out.RootDiskType = new(string)
		*out.RootDiskType = *in.RootDiskType
	}
	if in.UseConfigDrive != nil {
		out.UseConfigDrive = new(bool)
		*out.UseConfigDrive = *in.UseConfigDrive
	}
	if in.ServerGroupID != nil {
		out.ServerGroupID = new(string)
		*out.ServerGroupID = *in.ServerGroupID
	}
	if in.Networks != nil {
		out.Networks = make([]OpenStackNetwork, len(in.Networks))
		for i := range in.Networks {
			in.Networks[i].DeepCopyInto(&out.Networks[i])
		}
	}
}

// DeepCopy returns a deep copy of the receiver, or nil for nil.
func (in *MachineProviderConfigSpec) DeepCopy() *MachineProviderConfigSpec {
	if in == nil {
		return nil
	}
	out := new(MachineProviderConfigSpec)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyInto copies the receiver into out. in must be non-nil.
func (in *OpenStackNetwork) DeepCopyInto(out *OpenStackNetwork) {
	*out = *in
}

// DeepCopy returns a deep copy of the receiver, or nil for nil.
func (in *OpenStackNetwork) DeepCopy() *OpenStackNetwork {
	if in == nil {
		return nil
	}
	out := new(OpenStackNetwork)
	in.DeepCopyInto(out)
	return out
}
