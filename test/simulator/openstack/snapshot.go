package ossim

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"
)

// Server is a snapshot of a simulated server, for assertions.
type Server struct {
	ID, Name, ProjectID string
	Status, TaskState   string
	Tags                []string
	Metadata            map[string]string
	Ports               []string
	Volumes             []string
	Fault               string
	FlavorName          string
	ImageID             string
	KeyName             string
	AvailabilityZone    string
	UserData            string
	ServerGroup         string
	Created             time.Time
}

// Port is a snapshot of a simulated Neutron port.
type Port struct {
	ID, Name, Description, ProjectID string
	NetworkID                        string
	DeviceID, DeviceOwner            string
	Status                           string
	Tags                             []string
	SecurityGroups                   []string
	FixedIPs                         []string
	AllowedAddressPairs              []string
}

// Volume is a snapshot of a simulated Cinder volume.
type Volume struct {
	ID, Name, ProjectID string
	Status              string
	Size                int
	VolumeType          string
	Attachments         []string
	Bootable            bool
}

// Servers returns every server of every project, oldest first.
func (s *Sim) Servers() []Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	list := slices.Collect(maps.Values(s.st.servers))
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]Server, 0, len(list))
	for _, srv := range list {
		v := Server{ID: srv.id, Name: srv.name, ProjectID: srv.projectID, Status: srv.status, TaskState: srv.taskState,
			Tags: slices.Clone(srv.tags), Metadata: maps.Clone(srv.metadata), Ports: slices.Clone(srv.portIDs),
			FlavorName: srv.flavor.name, ImageID: srv.imageID, KeyName: srv.keyName, AvailabilityZone: srv.az,
			UserData: srv.userData, ServerGroup: srv.group, Created: srv.created}
		if srv.fault != nil {
			v.Fault = srv.fault.message
		}
		for _, av := range srv.volumes {
			v.Volumes = append(v.Volumes, av.id)
		}
		out = append(out, v)
	}
	return out
}

// Ports returns every port, oldest first.
func (s *Sim) Ports() []Port {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	list := slices.Collect(maps.Values(s.st.ports))
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]Port, 0, len(list))
	for _, p := range list {
		v := Port{ID: p.id, Name: p.name, Description: p.description, ProjectID: p.projectID, NetworkID: p.networkID,
			DeviceID: p.deviceID, DeviceOwner: p.deviceOwner, Status: p.status, Tags: slices.Clone(p.tags),
			SecurityGroups: slices.Clone(p.secGroups)}
		for _, ip := range p.fixedIPs {
			v.FixedIPs = append(v.FixedIPs, ip.IPAddress)
		}
		for _, pair := range p.allowedPairs {
			v.AllowedAddressPairs = append(v.AllowedAddressPairs, pair.IPAddress)
		}
		out = append(out, v)
	}
	return out
}

// Volumes returns every volume, oldest first.
func (s *Sim) Volumes() []Volume {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	list := slices.Collect(maps.Values(s.st.volumes))
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]Volume, 0, len(list))
	for _, v := range list {
		vv := Volume{ID: v.id, Name: v.name, ProjectID: v.projectID, Status: v.status, Size: v.size, VolumeType: v.volumeType, Bootable: v.bootable}
		if v.attachedTo != "" {
			vv.Attachments = []string{v.attachedTo}
		}
		out = append(out, vv)
	}
	return out
}

// DeleteServerOutOfBand deletes a server at once, as someone deleting it behind the driver's
// back would (its ports unbound, Nova-made ports and delete-on-termination volumes gone).
func (s *Sim) DeleteServerOutOfBand(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if srv := s.st.servers[id]; srv != nil {
		s.removeServer(srv)
		delete(s.st.servers, id)
	}
}

// AddServers adds n ACTIVE servers to the default project without going through the API (for
// benchmarks and for servers made "by someone else"). With n == 1 the server is named tmpl.Name,
// otherwise tmpl.Name-0 ... tmpl.Name-(n-1). tmpl.Tags and tmpl.Metadata are copied.
func (s *Sim) AddServers(n int, tmpl Server) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	projectID := tmpl.ProjectID
	if projectID == "" {
		projectID = s.seedInfo.ProjectID
	}
	fl := s.st.flavors["104"] // SCS-2V-4-20s
	now := time.Now()
	ids := make([]string, 0, n)
	for i := range n {
		name := tmpl.Name
		if n > 1 {
			name = fmt.Sprintf("%s-%d", tmpl.Name, i)
		}
		srv := &server{seq: s.st.nextSeq(), id: newID(), name: name, projectID: projectID, userID: s.seedInfo.UserID,
			status: "ACTIVE", flavor: fl, imageID: s.seedInfo.ImageID, az: "nova", metadata: maps.Clone(tmpl.Metadata),
			tags: slices.Clone(tmpl.Tags), created: now, updated: now, buildDone: now, novaPorts: map[string]bool{}}
		if srv.metadata == nil {
			srv.metadata = map[string]string{}
		}
		s.st.servers[srv.id] = srv
		ids = append(ids, srv.id)
	}
	return ids
}

// CloudsYAML is a clouds.yaml with one cloud for the default user and project (password auth).
func (s *Sim) CloudsYAML(cloudName string) []byte {
	seed := s.Seed()
	return []byte(fmt.Sprintf(`clouds:
  %s:
    auth:
      auth_url: %s
      username: %q
      password: %q
      project_name: %q
      project_domain_name: %q
      user_domain_name: %q
    auth_type: password
    region_name: %q
    interface: public
    identity_api_version: 3
`, cloudName, s.AuthURL(), seed.Username, seed.Password, seed.ProjectName, seed.DomainName, seed.DomainName, seed.Region))
}
