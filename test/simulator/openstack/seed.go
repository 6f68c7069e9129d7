package ossim

import (
	"fmt"
	"net/netip"
	"time"
)

// Seed names what the simulator starts with: a pluscloud open-like project with SCS flavors.
type Seed struct {
	DomainName, DomainID   string
	ProjectName, ProjectID string
	Username, UserID       string
	Password               string
	AppCredID, AppCredName string
	AppCredSecret          string
	Region                 string

	NetworkID, NetworkName string
	SubnetID, SubnetCIDR   string
	ExternalNetworkID      string
	SecurityGroupName      string
	SecurityGroupID        string
	KeyName                string

	// ImageName/ImageID is an image without min_disk; ImageWithMinDisk has min_disk ImageMinDisk.
	ImageName, ImageID string
	ImageWithMinDisk   string
	ImageWithMinDiskID string
	ImageMinDisk       int

	// OtherProjectName/ID and OtherUsername/OtherPassword are a second tenant, for isolation tests.
	OtherProjectName, OtherProjectID string
	OtherUsername, OtherPassword     string
}

// Seed returns what the simulator was seeded with.
func (s *Sim) Seed() Seed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seedInfo
}

// Quota limits a project; -1 means unlimited.
type Quota struct {
	Instances, Cores, RAMMB, Ports, Volumes, Gigabytes int
}

// Unlimited is a quota without limits.
var Unlimited = Quota{Instances: -1, Cores: -1, RAMMB: -1, Ports: -1, Volumes: -1, Gigabytes: -1}

// SetQuota sets a project's quota.
func (s *Sim) SetQuota(projectID string, q Quota) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.quotas[projectID] = q
}

func (s *Sim) quota(projectID string) Quota {
	if q, ok := s.st.quotas[projectID]; ok {
		return q
	}
	return Unlimited
}

// scsFlavors are pluscloud open's SCS flavors: most are diskless (boot from volume).
var scsFlavors = []struct {
	name             string
	vcpus, ram, disk int
}{
	{"SCS-1V-2", 1, 2048, 0}, {"SCS-2V-4", 2, 4096, 0}, {"SCS-4V-8", 4, 8192, 0}, {"SCS-8V-16", 8, 16384, 0},
	{"SCS-2V-4-20s", 2, 4096, 20}, {"SCS-4V-16-50s", 4, 16384, 50},
}

func (s *Sim) seed() {
	st := s.st
	now := time.Now()
	d := &domain{id: "default", name: "Default"}
	st.domains[d.id] = d

	mkProject := func(name, userName, password string) (*project, *user) {
		p := &project{id: newID(), name: name, domainID: d.id}
		u := &user{id: newID(), name: userName, domainID: d.id, password: password, projectID: p.id}
		st.projects[p.id], st.users[u.id] = p, u
		sg := &secGroup{seq: st.nextSeq(), id: newID(), name: "default", description: "Default security group", projectID: p.id}
		st.secGroups[sg.id] = sg
		return p, u
	}
	p, u := mkProject("pco-demo", "pco-user@example.com", "pco-demo-password-0")
	other, otherUser := mkProject("pco-other", "other-user@example.com", "pco-other-password-0")
	ac := &appCred{id: newID(), name: "pco-appcred", secret: "pco-appcred-secret-0", userID: u.id, projectID: p.id}
	st.appCreds[ac.id] = ac

	for i, f := range scsFlavors {
		fl := &flavor{id: fmt.Sprint(100 + i), name: f.name, vcpus: f.vcpus, ramMB: f.ram, diskGB: f.disk, public: true,
			extraSpecs: map[string]string{"scs:name-v2": f.name}}
		st.flavors[fl.id] = fl
	}
	plain := &image{id: newID(), name: "Ubuntu 24.04", size: 600 << 20, created: now, visibility: "public"}
	withMin := &image{id: newID(), name: "Flatcar Container Linux", minDisk: 25, minRAM: 1024, size: 900 << 20, created: now, visibility: "public"}
	debian := &image{id: newID(), name: "Debian 12", size: 500 << 20, created: now, visibility: "public"}
	for _, img := range []*image{plain, withMin, debian} {
		st.images[img.id] = img
	}

	ext := &network{id: newID(), name: "ext01", external: true, shared: true, created: now, seq: st.nextSeq()}
	net := &network{id: newID(), name: "pco-demo-net", projectID: p.id, created: now, seq: st.nextSeq()}
	st.networks[ext.id], st.networks[net.id] = ext, net
	prefix := netip.MustParsePrefix("10.250.0.0/16")
	sub := &subnet{id: newID(), name: "pco-demo-subnet", networkID: net.id, projectID: p.id, cidr: prefix,
		gateway: prefix.Addr().Next(), seq: st.nextSeq()}
	sub.next = sub.gateway.Next()
	st.subnets[sub.id] = sub
	nodes := &secGroup{seq: st.nextSeq(), id: newID(), name: "pco-nodes", description: "worker nodes", projectID: p.id}
	st.secGroups[nodes.id] = nodes
	kp := &keypair{name: "pco-demo", projectID: p.id, publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPcoSimulatorKey pco", fingerprint: "b4:2e:17:9c:00:11:22:33:44:55:66:77:88:99:aa:bb"}
	st.keypairs[p.id+"/"+kp.name] = kp
	st.volumeTypes = []string{"__DEFAULT__", "ssd"}

	s.seedInfo = Seed{
		DomainName: d.name, DomainID: d.id, ProjectName: p.name, ProjectID: p.id,
		Username: u.name, UserID: u.id, Password: u.password,
		AppCredID: ac.id, AppCredName: ac.name, AppCredSecret: ac.secret, Region: s.opts.Region,
		NetworkID: net.id, NetworkName: net.name, SubnetID: sub.id, SubnetCIDR: prefix.String(), ExternalNetworkID: ext.id,
		SecurityGroupName: nodes.name, SecurityGroupID: nodes.id, KeyName: kp.name,
		ImageName: plain.name, ImageID: plain.id, ImageWithMinDisk: withMin.name, ImageWithMinDiskID: withMin.id, ImageMinDisk: withMin.minDisk,
		OtherProjectName: other.name, OtherProjectID: other.id, OtherUsername: otherUser.name, OtherPassword: otherUser.password,
	}
}
