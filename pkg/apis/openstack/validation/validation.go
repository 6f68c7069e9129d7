// Package validation checks MachineClasses of this driver. Every check returns all problems at
// once, each with its field path, so a user fixes a MachineClass in one go.
package validation

import (
	"fmt"
	"net/netip"
	"strings"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

// Nova's limits for metadata items.
const (
	maxMetadataKeyLen   = 255
	maxMetadataValueLen = 255
)

// ValidateMachineClass checks the MachineClass's provider and decodes and validates its providerSpec.
func ValidateMachineClass(mc *mcmv1alpha1.MachineClass) (*api.MachineProviderConfig, field.ErrorList) {
	if mc == nil {
		return nil, field.ErrorList{field.Required(field.NewPath("machineClass"), "the MachineClass is missing")}
	}
	var errs field.ErrorList
	if mc.Provider != api.ProviderName {
		errs = append(errs, field.NotSupported(field.NewPath("provider"), mc.Provider, []string{api.ProviderName}))
	}
	specPath := field.NewPath("providerSpec")
	config, err := api.Decode(mc.ProviderSpec.Raw)
	if err != nil {
		return nil, append(errs, field.Invalid(specPath, "", err.Error()))
	}
	errs = append(errs, ValidateProviderSpec(&config.Spec, specPath.Child("spec"))...)
	if len(errs) > 0 {
		return nil, errs
	}
	return config, nil
}

// ValidateProviderSpec checks a providerSpec's spec.
func ValidateProviderSpec(spec *api.MachineProviderConfigSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	required := func(value, name, what string) {
		if strings.TrimSpace(value) == "" {
			errs = append(errs, field.Required(fldPath.Child(name), what+" is required"))
		}
	}
	if spec.ImageID == "" && spec.ImageName == "" {
		errs = append(errs, field.Required(fldPath.Child("imageName"), "imageName or imageID is required"))
	}
	required(spec.Region, "region", "the OpenStack region")
	required(spec.FlavorName, "flavorName", "the Nova flavor")
	required(spec.AvailabilityZone, "availabilityZone", "the availability zone")
	required(spec.KeyName, "keyName", "the Nova keypair")

	errs = append(errs, validateNetworks(spec, fldPath)...)
	errs = append(errs, validatePodCIDRs(spec, fldPath)...)
	errs = append(errs, validateNames(spec.SecurityGroups, fldPath.Child("securityGroups"))...)
	errs = append(errs, validateTags(spec.Tags, fldPath.Child("tags"))...)

	if spec.RootDiskSize < 0 {
		errs = append(errs, field.Invalid(fldPath.Child("rootDiskSize"), spec.RootDiskSize, "must not be negative"))
	}
	if spec.RootDiskType != nil && strings.TrimSpace(*spec.RootDiskType) == "" {
		errs = append(errs, field.Invalid(fldPath.Child("rootDiskType"), "", "must not be empty when set"))
	}
	if spec.ServerGroupID != nil && strings.TrimSpace(*spec.ServerGroupID) == "" {
		errs = append(errs, field.Invalid(fldPath.Child("serverGroupID"), "", "must not be empty when set"))
	}
	return errs
}

func validateNetworks(spec *api.MachineProviderConfigSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case spec.NetworkID != "" && len(spec.Networks) > 0:
		errs = append(errs, field.Forbidden(fldPath.Child("networks"), "networks and networkID are mutually exclusive"))
	case spec.NetworkID == "" && len(spec.Networks) == 0:
		errs = append(errs, field.Required(fldPath.Child("networkID"), "networkID or networks is required"))
	}
	subnets := spec.SubnetIDs
	if spec.SubnetID != nil {
		if *spec.SubnetID == "" {
			errs = append(errs, field.Invalid(fldPath.Child("subnetID"), "", "must not be empty when set"))
		}
		subnets = append([]string{*spec.SubnetID}, subnets...)
	}
	if len(subnets) > 0 && spec.NetworkID == "" {
		errs = append(errs, field.Forbidden(fldPath.Child("subnetIDs"), "subnets need networkID"))
	}
	errs = append(errs, validateNames(spec.SubnetIDs, fldPath.Child("subnetIDs"))...)
	for i, n := range spec.Networks {
		p := fldPath.Child("networks").Index(i)
		switch {
		case n.Id == "" && n.Name == "":
			errs = append(errs, field.Required(p, "id or name is required"))
		case n.Id != "" && n.Name != "":
			errs = append(errs, field.Forbidden(p, "id and name are mutually exclusive"))
		}
	}
	return errs
}

func validatePodCIDRs(spec *api.MachineProviderConfigSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if spec.PodNetworkCidr == "" && len(spec.PodNetworkCIDRs) == 0 {
		errs = append(errs, field.Required(fldPath.Child("podNetworkCIDRs"), "podNetworkCIDRs (or podNetworkCidr) is required"))
		for i, n := range spec.Networks {
			if n.PodNetwork {
				errs = append(errs, field.Forbidden(fldPath.Child("networks").Index(i).Child("podNetwork"), "needs pod CIDRs"))
			}
		}
	}
	if spec.PodNetworkCidr != "" {
		if _, err := netip.ParsePrefix(spec.PodNetworkCidr); err != nil {
			errs = append(errs, field.Invalid(fldPath.Child("podNetworkCidr"), spec.PodNetworkCidr, "not a CIDR"))
		}
	}
	for i, cidr := range spec.PodNetworkCIDRs {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs = append(errs, field.Invalid(fldPath.Child("podNetworkCIDRs").Index(i), cidr, "not a CIDR"))
		}
	}
	return errs
}

// validateNames checks a list of names or IDs: none empty, none twice.
func validateNames(names []string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, n := range names {
		switch {
		case strings.TrimSpace(n) == "":
			errs = append(errs, field.Invalid(fldPath.Index(i), n, "must not be empty"))
		case seen[n]:
			errs = append(errs, field.Duplicate(fldPath.Index(i), n))
		}
		seen[n] = true
	}
	return errs
}

// validateTags checks the ownership tags: exactly one cluster key and at least one role key, by
// prefix (the peer matched anywhere in the key), within Nova's metadata limits.
func validateTags(tags map[string]string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	var clusterKeys, roleKeys int
	for key, value := range tags {
		p := fldPath.Key(key)
		switch {
		case key == "" || len(key) > maxMetadataKeyLen:
			errs = append(errs, field.Invalid(p, key, fmt.Sprintf("keys must be 1 to %d characters", maxMetadataKeyLen)))
		case len(value) > maxMetadataValueLen:
			errs = append(errs, field.TooLong(p, "", maxMetadataValueLen))
		}
		if suffix, ok := strings.CutPrefix(key, api.ServerTagClusterPrefix); ok {
			clusterKeys++
			if suffix == "" {
				errs = append(errs, field.Invalid(p, key, "the cluster tag needs the cluster's name after the prefix"))
			}
		}
		if strings.HasPrefix(key, api.ServerTagRolePrefix) {
			roleKeys++
		}
	}
	switch {
	case clusterKeys == 0:
		errs = append(errs, field.Required(fldPath, fmt.Sprintf("a tag %s<cluster> is required", api.ServerTagClusterPrefix)))
	case clusterKeys > 1:
		errs = append(errs, field.Invalid(fldPath, "", fmt.Sprintf("only one tag may start with %s", api.ServerTagClusterPrefix)))
	}
	if roleKeys == 0 {
		errs = append(errs, field.Required(fldPath, fmt.Sprintf("a tag %s<role> is required", api.ServerTagRolePrefix)))
	}
	return errs
}

// ValidateUserData checks that the Secret carries the machines' user data.
func ValidateUserData(data map[string][]byte) field.ErrorList {
	if strings.TrimSpace(string(data["userData"])) == "" {
		return field.ErrorList{field.Required(field.NewPath("data").Key("userData"), "the machines' user data is required")}
	}
	return nil
}
