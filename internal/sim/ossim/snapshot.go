package ossim

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Server is a snapshot of a simulated server, for assertions.
type Server struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	ProjectID        string            `json:"projectID"`
	Status           string            `json:"status"`    // BUILD, ACTIVE or ERROR
	TaskState        string            `json:"taskState"` // "deleting" while a delete is under way
	Tags             []string          `json:"tags,omitempty"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	Ports            []string          `json:"ports,omitempty"`   // IDs of the ports bound to it
	Volumes          []string          `json:"volumes,omitempty"` // IDs of its attached volumes
	Fault            string            `json:"fault,omitempty"`   // fault message of an ERROR server
	FlavorName       string            `json:"flavorName"`
	FlavorID         string            `json:"flavorID"`
	ImageID          string            `json:"imageID"` // "" when booted from a volume
	KeyName          string            `json:"keyName,omitempty"`
	AvailabilityZone string            `json:"availabilityZone"`
	Host             string            `json:"host,omitempty"`
	UserData         string            `json:"userData,omitempty"` // decoded
	SecurityGroups   []string          `json:"securityGroups,omitempty"`
	ServerGroup      string            `json:"serverGroup,omitempty"`
	Created          time.Time         `json:"created"`
	// BuildTime is how long its build takes (drawn from Options.Latencies), DeleteTime how long
	// its deletion takes once asked for (0 before).
	BuildTime  time.Duration `json:"buildTime"`
	DeleteTime time.Duration `json:"deleteTime,omitempty"`
}

// Port is a snapshot of a simulated Neutron port.
type Port struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	Description         string   `json:"description,omitempty"`
	ProjectID           string   `json:"projectID"`
	NetworkID           string   `json:"networkID"`
	MACAddress          string   `json:"macAddress"`
	DeviceID            string   `json:"deviceID"`
	DeviceOwner         string   `json:"deviceOwner"`
	BindingHost         string   `json:"bindingHost,omitempty"` // admin-only in the API, so only visible here
	Status              string   `json:"status"`
	Tags                []string `json:"tags,omitempty"`
	SecurityGroups      []string `json:"securityGroups,omitempty"` // IDs
	FixedIPs            []string `json:"fixedIPs,omitempty"`
	AllowedAddressPairs []string `json:"allowedAddressPairs,omitempty"`
	PortSecurityEnabled bool     `json:"portSecurityEnabled"`
}

// Volume is a snapshot of a simulated Cinder volume.
type Volume struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	ProjectID        string            `json:"projectID"`
	Status           string            `json:"status"`
	Size             int               `json:"size"`
	VolumeType       string            `json:"volumeType"`
	Attachments      []string          `json:"attachments,omitempty"` // server IDs
	Bootable         bool              `json:"bootable"`
	ImageID          string            `json:"imageID,omitempty"`
	AvailabilityZone string            `json:"availabilityZone"`
	Metadata         map[string]string `json:"metadata,omitempty"`
}

func bySeq[T any](m map[string]T, seq func(T) int) []T {
	list := slices.Collect(maps.Values(m))
	slices.SortFunc(list, func(a, b T) int { return seq(a) - seq(b) })
	return list
}

// Servers returns every server of every project, oldest first.
func (s *Sim) Servers() []Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	out := []Server{}
	for _, srv := range bySeq(s.st.servers, func(v *server) int { return v.seq }) {
		v := Server{ID: srv.id, Name: srv.name, ProjectID: srv.projectID, Status: srv.status, TaskState: srv.taskState,
			Tags: slices.Clone(srv.tags), Metadata: maps.Clone(srv.metadata), Ports: slices.Clone(srv.portIDs),
			FlavorName: srv.flavor.name, FlavorID: srv.flavor.id, ImageID: srv.imageID, KeyName: srv.keyName,
			AvailabilityZone: srv.az, Host: srv.host, UserData: srv.userData, ServerGroup: srv.group, Created: srv.created,
			BuildTime: srv.buildDone.Sub(srv.created), DeleteTime: srv.deleteTime}
		if srv.fault != nil {
			v.Fault = srv.fault.message
		}
		for _, av := range srv.volumes {
			v.Volumes = append(v.Volumes, av.id)
		}
		for _, pid := range srv.portIDs {
			if p := s.st.ports[pid]; p != nil {
				for _, g := range p.secGroups {
					if sg := s.st.secGroups[g]; sg != nil && !slices.Contains(v.SecurityGroups, sg.name) {
						v.SecurityGroups = append(v.SecurityGroups, sg.name)
					}
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// Ports returns every port of every project, oldest first.
func (s *Sim) Ports() []Port {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	out := []Port{}
	for _, p := range bySeq(s.st.ports, func(v *port) int { return v.seq }) {
		v := Port{ID: p.id, Name: p.name, Description: p.description, ProjectID: p.projectID, NetworkID: p.networkID,
			MACAddress: p.mac, DeviceID: p.deviceID, DeviceOwner: p.deviceOwner, BindingHost: p.bindingHost, Status: p.status,
			Tags: slices.Clone(p.tags), SecurityGroups: slices.Clone(p.secGroups), PortSecurityEnabled: p.portSecurity}
		for _, ip := range p.fixedIPs {
			v.FixedIPs = append(v.FixedIPs, ip.address)
		}
		for _, pair := range p.allowedPairs {
			v.AllowedAddressPairs = append(v.AllowedAddressPairs, pair.ip)
		}
		out = append(out, v)
	}
	return out
}

// Volumes returns every volume of every project, oldest first.
func (s *Sim) Volumes() []Volume {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	out := []Volume{}
	for _, v := range bySeq(s.st.volumes, func(v *volume) int { return v.seq }) {
		vv := Volume{ID: v.id, Name: v.name, ProjectID: v.projectID, Status: v.status, Size: v.size, VolumeType: v.volumeType,
			Bootable: v.bootable, ImageID: v.imageID, AvailabilityZone: v.az, Metadata: maps.Clone(v.metadata)}
		if v.attachedTo != "" {
			vv.Attachments = []string{v.attachedTo}
		}
		out = append(out, vv)
	}
	return out
}

// DeleteServerOutOfBand deletes a server at once, as someone deleting it behind the driver's
// back would: its ports are unbound (Nova's own ones deleted) and its volumes deleted or
// detached as their delete_on_termination says.
func (s *Sim) DeleteServerOutOfBand(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if srv := s.st.servers[id]; srv != nil {
		s.removeServer(srv)
		s.forget(srv, time.Now().UTC())
	}
}

// AddServers adds n servers directly to the state (fast, for benchmarks and for servers made
// "by someone else") and returns their IDs. They are ACTIVE at once unless tmpl.Status says
// BUILD (then they build for BuildTime) or ERROR (with tmpl.Fault or the default fault). With
// n == 1 the server is named tmpl.Name, otherwise tmpl.Name-0 ... tmpl.Name-(n-1). From tmpl
// also: ProjectID (default: the seeded project), FlavorName (default SCS-2V-4-20s), ImageID
// (default: the seeded image), KeyName, AvailabilityZone, Tags and Metadata. They have no ports.
func (s *Sim) AddServers(n int, tmpl Server) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	projectID, userID := tmpl.ProjectID, s.seedInfo.UserID
	if projectID == "" {
		projectID = s.seedInfo.ProjectID
	}
	for _, u := range st.users {
		if u.projectID == projectID {
			userID = u.id
		}
	}
	fl := st.flavors[s.seedInfo.Flavors["SCS-2V-4-20s"]]
	if id := s.seedInfo.Flavors[tmpl.FlavorName]; id != "" {
		fl = st.flavors[id]
	}
	imageID := tmpl.ImageID
	if imageID == "" {
		imageID = s.seedInfo.ImageID
	}
	az := tmpl.AvailabilityZone
	if az == "" {
		az = "nova"
	}
	now := time.Now().UTC()
	ids := make([]string, 0, n)
	for i := range n {
		name := tmpl.Name
		if n > 1 {
			name = fmt.Sprintf("%s-%d", tmpl.Name, i)
		}
		srv := &server{seq: st.nextSeq(), id: newID(), name: name, projectID: projectID, userID: userID, status: "ACTIVE",
			flavor: fl, imageID: imageID, keyName: tmpl.KeyName, az: az, host: computeHosts[st.seq%len(computeHosts)],
			metadata: maps.Clone(tmpl.Metadata), tags: dedupe(tmpl.Tags), created: now, updated: now, launched: now,
			buildDone: now, novaPorts: map[string]bool{}}
		if srv.metadata == nil {
			srv.metadata = map[string]string{}
		}
		switch tmpl.Status {
		case "BUILD":
			srv.status, srv.launched, srv.buildDone = "BUILD", time.Time{}, now.Add(s.buildLatency(imageID))
		case "ERROR":
			srv.failMsg = tmpl.Fault
			if srv.failMsg == "" {
				srv.failMsg = DefaultFaultMessage
			}
			srv.launched = time.Time{}
			s.failBuild(srv, now)
		}
		st.servers[srv.id] = srv
		ids = append(ids, srv.id)
	}
	return ids
}

// CloudsYAML is a standard clouds.yaml with one cloud for the seeded user and project
// (password auth), the simulator's region, the public interface and identity v3.
func (s *Sim) CloudsYAML(cloudName string) []byte {
	seed := s.Seed()
	return fmt.Appendf(nil, `clouds:
  %s:
    auth:
      auth_url: %q
      username: %q
      password: %q
      project_name: %q
      project_domain_name: %q
      user_domain_name: %q
    auth_type: password
    region_name: %q
    interface: public
    identity_api_version: 3
`, cloudName, s.AuthURL(), seed.Username, seed.Password, seed.ProjectName, seed.DomainName, seed.DomainName, seed.Region)
}
