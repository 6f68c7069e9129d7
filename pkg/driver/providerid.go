package driver

import (
	"fmt"
	"strings"
)

// providerIDPrefix is the scheme of OpenStack provider IDs, as the OpenStack cloud controller
// manager writes them on Nodes: openstack:///<region>/<serverID>.
const providerIDPrefix = "openstack:///"

func encodeProviderID(region, serverID string) string {
	return providerIDPrefix + region + "/" + serverID
}

// decodeProviderID returns the server ID of a provider ID. It also accepts the older form without
// a region (openstack:///<serverID>) that some clusters still carry.
func decodeProviderID(providerID string) (string, error) {
	rest, ok := strings.CutPrefix(providerID, providerIDPrefix)
	if !ok || rest == "" {
		return "", fmt.Errorf("provider ID %q is not of the form %s<region>/<serverID>", providerID, providerIDPrefix)
	}
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		rest = rest[i+1:]
	}
	if rest == "" {
		return "", fmt.Errorf("provider ID %q has no server ID", providerID)
	}
	return rest, nil
}
