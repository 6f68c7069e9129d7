package driver

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

// portDescription marks ports this driver made, so a port whose tagging was interrupted is still
// recognised (the description is set in the same request that creates the port).
const portDescriptionPrefix = "mcm-provider-pco "

// novaTagMaxLen is Nova's limit for one server tag.
const novaTagMaxLen = 60

// initializedTag is the Nova tag of a server whose initialization is complete: the pod CIDRs are
// on its ports and it carries our tags. GetMachineStatus reports a server without it as
// Uninitialized, so MCM calls InitializeMachine until it has run to the end.
//
// CreateMachine sets it in the create request itself, at no cost: MCM learns the provider ID of
// a server this driver creates only from a CreateMachine that returned, after the pod network is
// set (GetMachineStatus never hands out the provider ID of a server found by name; an
// interrupted create is finished by the next CreateMachine). Every other server MCM may know by
// provider ID without the tag (the peer driver's, one whose InitializeMachine was interrupted)
// gets it from InitializeMachine, last of all.
const initializedTag = "mcm-provider-pco-initialized"

// ownership identifies the servers and ports of one MachineClass's cluster and role. It keeps the
// peer driver's markers (spec.tags as Nova metadata, the cluster and role keys as port tags) so
// servers made by either driver are recognised, and adds Nova server tags so lists can be
// filtered by Nova instead of by us.
type ownership struct {
	clusterKey string
	roleKey    string
	metadata   map[string]string
}

func ownershipOf(spec *api.MachineProviderConfigSpec) ownership {
	o := ownership{metadata: spec.Tags}
	for _, key := range slices.Sorted(maps.Keys(spec.Tags)) {
		switch {
		case strings.HasPrefix(key, api.ServerTagClusterPrefix) && o.clusterKey == "":
			o.clusterKey = key
		case strings.HasPrefix(key, api.ServerTagRolePrefix) && o.roleKey == "":
			o.roleKey = key
		}
	}
	return o
}

// serverTags are the Nova tags that mark a server as ours.
func (o ownership) serverTags() []string {
	return []string{novaTag(o.clusterKey), novaTag(o.roleKey)}
}

// initializedTags are our tags of a server whose initialization is complete.
func (o ownership) initializedTags() []string {
	return append(o.serverTags(), initializedTag)
}

// portTags are the Neutron tags that mark a port as ours (the peer's markers, verbatim).
func (o ownership) portTags() []string {
	return []string{o.clusterKey, o.roleKey}
}

func (o ownership) portDescription() string {
	return portDescriptionPrefix + o.clusterKey
}

// ownsServer tells whether a server belongs to this cluster and role, by Nova tags (ours) or by
// metadata (the peer's).
func (o ownership) ownsServer(s *servers.Server) bool {
	if hasTags(s, o.serverTags()) {
		return true
	}
	_, hasCluster := s.Metadata[o.clusterKey]
	_, hasRole := s.Metadata[o.roleKey]
	return hasCluster && hasRole
}

// hasTags tells whether the server carries all of tags.
func hasTags(s *servers.Server, tags []string) bool {
	if s.Tags == nil {
		return false
	}
	for _, t := range tags {
		if !slices.Contains(*s.Tags, t) {
			return false
		}
	}
	return true
}

// initialized tells whether the server carries our tags and the initialized mark.
func (o ownership) initialized(s *servers.Server) bool {
	return hasTags(s, o.initializedTags())
}

// leftoverKey marks, in a volume's metadata, a volume Nova made for a failed build and left
// behind, that could not be deleted yet (still being created): ListMachines deletes it later.
const leftoverKey = "mcm-provider-pco-leftover"

// leftoverMetadata is the metadata a left-behind volume of this cluster gets.
func (o ownership) leftoverMetadata() map[string]string {
	md := maps.Clone(o.metadata)
	md[leftoverKey] = "true"
	return md
}

// leftoverFilter finds this cluster's left-behind volumes.
func (o ownership) leftoverFilter() map[string]string {
	return map[string]string{leftoverKey: "true", o.clusterKey: o.metadata[o.clusterKey]}
}

// ownsVolume tells whether a volume is the peer driver's pre-created root volume of a machine of
// this cluster: named after the machine, with the MachineClass's tags as metadata.
func (o ownership) ownsVolume(v *volumes.Volume, machineName string) bool {
	_, hasCluster := v.Metadata[o.clusterKey]
	return v.Name == machineName && hasCluster
}

// ownsPort tells whether a port belongs to this cluster: by the peer's tag, or by our description
// (which survives a crash between creating and tagging the port).
func (o ownership) ownsPort(p *ports.Port) bool {
	return slices.Contains(p.Tags, o.clusterKey) || p.Description == o.portDescription()
}

// novaTag turns a tag key into a valid Nova server tag: at most 60 characters, no "/" or ",".
// Long keys keep a readable prefix and end in a hash of the whole key, so they stay unique.
func novaTag(key string) string {
	tag := strings.NewReplacer("/", "_", ",", "_").Replace(key)
	if len(tag) <= novaTagMaxLen {
		return tag
	}
	sum := sha256.Sum256([]byte(key))
	suffix := "-" + hex.EncodeToString(sum[:])[:16]
	return tag[:novaTagMaxLen-len(suffix)] + suffix
}
