// Package validation checks what users give this driver: the MachineClass (provider and
// providerSpec) and the user data in the Secret. Every function returns all problems at once,
// each with its field path, so a MachineClass is fixed in one round instead of one error per
// reconcile. Messages may name fields and repeat short non-secret values (a CIDR, a provider
// name); they never repeat Secret values.
package validation

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

// Nova's limits for server metadata (nova/api/validation/parameter_types.py): keys of 1 to 255
// characters from a small set, values of at most 255 characters. Checking them here turns
// Nova's 400 at create time into a field error when the MachineClass is read.
const (
	maxMetadataKeyLen   = 255
	maxMetadataValueLen = 255
)

var metadataKeyPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_:. ]+$`)

// userDataKey is the Secret key MCM puts the machine's bootstrap data under.
const userDataKey = "userData"

// maxEchoLen caps how much of a value a message repeats.
const maxEchoLen = 64

// ValidateMachineClass checks that mc is an OpenStack MachineClass and decodes and validates its
// providerSpec. It returns the decoded providerSpec only when there are no errors. Paths are
// "provider", "providerSpec" (decoding) and "providerSpec.spec...." (validation).
func ValidateMachineClass(mc *mcmv1alpha1.MachineClass) (*api.MachineProviderConfig, field.ErrorList) {
	if mc == nil {
		return nil, field.ErrorList{field.Required(field.NewPath("machineClass"), "the MachineClass is missing")}
	}
	var errs field.ErrorList
	providerPath := field.NewPath("provider")
	switch mc.Provider {
	case api.ProviderName:
	case "":
		errs = append(errs, field.Required(providerPath, "must be "+api.ProviderName))
	default:
		errs = append(errs, field.NotSupported(providerPath, clip(mc.Provider), []string{api.ProviderName}))
	}

	specPath := field.NewPath("providerSpec")
	raw := mc.ProviderSpec.Raw
	if len(raw) == 0 && mc.ProviderSpec.Object != nil {
		// A MachineClass built in Go may carry the object instead of its JSON.
		var err error
		if raw, err = json.Marshal(mc.ProviderSpec.Object); err != nil {
			return nil, append(errs, field.Invalid(specPath, field.OmitValueType{}, "the providerSpec object cannot be encoded"))
		}
	}
	// A providerSpec with decoding errors is still validated when it could be read: a typo such
	// as flavourName then shows next to "flavorName: Required value", which says what to fix.
	config, decodeErrs := api.DecodeAt(raw, specPath)
	errs = append(errs, decodeErrs...)
	if config != nil {
		errs = append(errs, ValidateProviderSpec(&config.Spec, specPath.Child("spec"))...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return config, nil
}

// ValidateProviderSpec checks a providerSpec's spec; fldPath is the path of the spec itself.
//
// It accepts every spec gardener's provider-openstack v0.27.1 accepts and that OpenStack would
// not reject anyway, with these exceptions, each a spec the peer would have turned into a
// surprise at run time: the ownership tags must start with their prefixes (the peer matched them
// anywhere in the key), subnets are refused next to "networks" (the peer ignored them there), and
// empty optional strings (subnetID, rootDiskType, serverGroupID, list entries) are refused
// instead of sent to OpenStack.
func ValidateProviderSpec(spec *api.MachineProviderConfigSpec, fldPath *field.Path) field.ErrorList {
	if spec == nil {
		return field.ErrorList{field.Required(fldPath, "the providerSpec has no spec")}
	}
	var errs field.ErrorList
	if blank(spec.ImageID) && blank(spec.ImageName) {
		errs = append(errs, field.Required(fldPath.Child("imageName"), "imageName or imageID is required"))
	}
	for _, f := range []struct{ name, value, what string }{
		{"region", spec.Region, "the OpenStack region"},
		{"flavorName", spec.FlavorName, "the Nova flavor"},
		{"availabilityZone", spec.AvailabilityZone, "the availability zone"},
		{"keyName", spec.KeyName, "the Nova keypair"},
	} {
		if blank(f.value) {
			errs = append(errs, field.Required(fldPath.Child(f.name), f.what+" is required"))
		}
	}
	errs = append(errs, validateNetworks(spec, fldPath)...)
	errs = append(errs, validateSubnets(spec, fldPath)...)
	errs = append(errs, validatePodCIDRs(spec, fldPath)...)
	errs = append(errs, validateList(spec.SecurityGroups, fldPath.Child("securityGroups"))...)
	errs = append(errs, validateTags(spec.Tags, fldPath.Child("tags"))...)

	if spec.RootDiskSize < 0 {
		errs = append(errs, field.Invalid(fldPath.Child("rootDiskSize"), spec.RootDiskSize, "must not be negative"))
	}
	if spec.RootDiskType != nil && blank(*spec.RootDiskType) {
		errs = append(errs, field.Invalid(fldPath.Child("rootDiskType"), *spec.RootDiskType, "must not be empty when set; leave it out for the default volume type"))
	}
	if spec.ServerGroupID != nil && blank(*spec.ServerGroupID) {
		errs = append(errs, field.Invalid(fldPath.Child("serverGroupID"), *spec.ServerGroupID, "must not be empty when set"))
	}
	return errs
}

// validateNetworks: the server is attached either to networkID or to the networks list, and each
// listed network is named by exactly one of id and name.
func validateNetworks(spec *api.MachineProviderConfigSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	hasID := !blank(spec.NetworkID)
	switch {
	case hasID && len(spec.Networks) > 0:
		errs = append(errs, field.Forbidden(fldPath.Child("networks"), "networkID and networks are mutually exclusive"))
	case !hasID && len(spec.Networks) == 0:
		errs = append(errs, field.Required(fldPath.Child("networkID"), "networkID or networks is required"))
	}
	for i, n := range spec.Networks {
		p := fldPath.Child("networks").Index(i)
		switch {
		case blank(n.Id) && blank(n.Name):
			errs = append(errs, field.Required(p, "id or name is required"))
		case !blank(n.Id) && !blank(n.Name):
			errs = append(errs, field.Forbidden(p, "id and name are mutually exclusive"))
		}
	}
	return errs
}

// validateSubnets: subnets pick the fixed IPs of the networkID port, so they need networkID.
// subnetID may repeat an entry of subnetIDs (Gardener sets both); the driver uses each once.
func validateSubnets(spec *api.MachineProviderConfigSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	noNetworkID := blank(spec.NetworkID)
	if spec.SubnetID != nil {
		p := fldPath.Child("subnetID")
		switch {
		case blank(*spec.SubnetID):
			errs = append(errs, field.Invalid(p, *spec.SubnetID, "must not be empty when set"))
		case noNetworkID:
			errs = append(errs, field.Forbidden(p, "needs networkID: a subnet selects the fixed IP on the networkID port"))
		}
	}
	if len(spec.SubnetIDs) > 0 && noNetworkID {
		errs = append(errs, field.Forbidden(fldPath.Child("subnetIDs"), "needs networkID: subnets select the fixed IPs on the networkID port"))
	}
	return append(errs, validateList(spec.SubnetIDs, fldPath.Child("subnetIDs"))...)
}

// validatePodCIDRs: pod CIDRs become allowed address pairs on the pod-network port, so Neutron
// lets pod traffic through; without them pods on other nodes are unreachable.
func validatePodCIDRs(spec *api.MachineProviderConfigSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if spec.PodNetworkCidr == "" && len(spec.PodNetworkCIDRs) == 0 {
		errs = append(errs, field.Required(fldPath.Child("podNetworkCIDRs"), "podNetworkCIDRs (or the older podNetworkCidr) is required"))
		for i, n := range spec.Networks {
			if n.PodNetwork {
				errs = append(errs, field.Invalid(fldPath.Child("networks").Index(i).Child("podNetwork"), true,
					"a pod network needs podNetworkCIDRs (or podNetworkCidr)"))
			}
		}
	}
	if spec.PodNetworkCidr != "" {
		errs = append(errs, validateCIDR(spec.PodNetworkCidr, fldPath.Child("podNetworkCidr"))...)
	}
	for i, cidr := range spec.PodNetworkCIDRs {
		errs = append(errs, validateCIDR(cidr, fldPath.Child("podNetworkCIDRs").Index(i))...)
	}
	return errs
}

func validateCIDR(cidr string, p *field.Path) field.ErrorList {
	if _, err := netip.ParsePrefix(cidr); err != nil {
		return field.ErrorList{field.Invalid(p, clip(cidr), "must be a CIDR such as 100.96.0.0/11 or fd00::/48")}
	}
	return nil
}

// validateList checks a list of names or IDs: none blank, none twice.
func validateList(values []string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := make(map[string]bool, len(values))
	for i, v := range values {
		switch {
		case blank(v):
			errs = append(errs, field.Invalid(fldPath.Index(i), v, "must not be empty"))
		case seen[v]:
			errs = append(errs, field.Duplicate(fldPath.Index(i), clip(v)))
		}
		seen[v] = true
	}
	return errs
}

// validateTags checks the tags, which become Nova metadata (hence Nova's limits) and mark the
// servers and ports of a cluster: exactly one key kubernetes.io-cluster-<cluster> (two would make
// ownership ambiguous) and at least one kubernetes.io-role-<role>. Unlike the peer, which looked
// for the markers anywhere in a key, they must be prefixes.
func validateTags(tags map[string]string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	var clusterKeys []string
	roleKeys := 0
	for _, key := range slices.Sorted(maps.Keys(tags)) {
		p := fldPath.Key(clip(key))
		switch {
		case key == "":
			errs = append(errs, field.Invalid(p, key, "a key must not be empty"))
		case len(key) > maxMetadataKeyLen:
			errs = append(errs, field.TooLong(p, "", maxMetadataKeyLen))
		case !metadataKeyPattern.MatchString(key):
			errs = append(errs, field.Invalid(p, clip(key), "Nova allows only letters, digits, spaces and - _ : . in metadata keys"))
		}
		if n := utf8.RuneCountInString(tags[key]); n > maxMetadataValueLen {
			errs = append(errs, field.TooLong(p, "", maxMetadataValueLen))
		}
		if name, ok := strings.CutPrefix(key, api.ServerTagClusterPrefix); ok {
			clusterKeys = append(clusterKeys, key)
			if name == "" {
				errs = append(errs, field.Invalid(p, key, "the cluster's name must follow the prefix"))
			}
		}
		if strings.HasPrefix(key, api.ServerTagRolePrefix) {
			roleKeys++
		}
	}
	switch {
	case len(clusterKeys) == 0:
		errs = append(errs, field.Required(fldPath, fmt.Sprintf("a tag %s<cluster name> is required", api.ServerTagClusterPrefix)))
	case len(clusterKeys) > 1:
		errs = append(errs, field.Invalid(fldPath, field.OmitValueType{},
			fmt.Sprintf("exactly one tag may start with %s, found %d", api.ServerTagClusterPrefix, len(clusterKeys))))
	}
	if roleKeys == 0 {
		errs = append(errs, field.Required(fldPath, fmt.Sprintf("a tag %s<role> is required", api.ServerTagRolePrefix)))
	}
	return errs
}

// ValidateUserData checks that the Secret's data carries the machine's user data (MCM puts the
// bootstrap cloud-config there). The value is never repeated.
func ValidateUserData(data map[string][]byte) field.ErrorList {
	if blank(string(data[userDataKey])) {
		return field.ErrorList{field.Required(field.NewPath("data").Key(userDataKey), "the machine's user data is required")}
	}
	return nil
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// clip shortens a value repeated in a message.
func clip(s string) string {
	if len(s) <= maxEchoLen {
		return s
	}
	cut := maxEchoLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
