package openstack

import (
	"fmt"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// Server is a Nova server as the driver reads it: gophercloud's view plus its attached volumes
// with delete_on_termination (microversion 2.3+), which gophercloud drops. That flag tells a
// volume the driver must delete itself (the peer driver's pre-created root volume) from one Nova
// deletes with the server.
type Server struct {
	servers.Server
	Volumes []AttachedVolume
}

// AttachedVolume is a volume attached to a server.
type AttachedVolume struct {
	ID                  string `json:"id"`
	DeleteOnTermination bool   `json:"delete_on_termination"`
}

type volumesAttached struct {
	Volumes []AttachedVolume `json:"os-extended-volumes:volumes_attached"`
}

// extractServer reads a server and its kept volumes from a Nova response.
func extractServer(r servers.GetResult) (*Server, error) {
	s, err := r.Extract()
	if err != nil {
		return nil, err
	}
	var vols volumesAttached
	if err := r.ExtractInto(&vols); err != nil {
		return nil, fmt.Errorf("decoding the volumes of server %s: %w", s.ID, err)
	}
	return &Server{Server: *s, Volumes: vols.Volumes}, nil
}

// extractServers reads a server list page with each server's kept volumes.
func extractServers(page pagination.Page) ([]Server, error) {
	list, err := servers.ExtractServers(page)
	if err != nil {
		return nil, err
	}
	var vols []volumesAttached
	if err := servers.ExtractServersInto(page, &vols); err != nil {
		return nil, fmt.Errorf("decoding the servers' volumes: %w", err)
	}
	out := make([]Server, len(list))
	for i := range list {
		out[i].Server = list[i]
		if i < len(vols) {
			out[i].Volumes = vols[i].Volumes
		}
	}
	return out, nil
}
