package ossim

import (
	"fmt"
	"net/netip"
	"time"
)

// Seed names what a simulator starts with: a pluscloud open-like project with SCS flavors, a
// tenant network, security groups, a keypair and public images, plus a second project and user
// for isolation tests, a shared network, and a reseller account with its (empty) domain.
type Seed struct {
	DomainName, DomainID   string // "Default", "default"
	ProjectName, ProjectID string
	Username, UserID       string
	Password               string
	AppCredID, AppCredName string // an application credential of the user on the project
	AppCredSecret          string
	Region                 string

	NetworkID, NetworkName string // the project's network
	SubnetID, SubnetCIDR   string
	ExternalNetworkID      string // router:external, visible to every project
	ExternalNetworkName    string
	SecurityGroupName      string // "pco-nodes"; each project also has its "default" group
	SecurityGroupID        string
	DefaultSecurityGroupID string
	KeyName                string // a keypair of the user

	// ImageName/ImageID is an image without min_disk; ImageWithMinDisk/ID has min_disk
	// ImageMinDisk (GiB).
	ImageName, ImageID string
	ImageWithMinDisk   string
	ImageWithMinDiskID string
	ImageMinDisk       int

	// Flavors maps flavor names (SCS-1V-2, SCS-2V-4, SCS-4V-8, SCS-8V-16 without a root disk;
	// SCS-2V-4-20s, SCS-4V-16-50s with one) to their IDs.
	Flavors map[string]string

	VolumeTypes []string // "__DEFAULT__", "ssd"

	// A second tenant: its own project, user and network.
	OtherProjectName, OtherProjectID string
	OtherUsername, OtherUserID       string
	OtherPassword                    string
	OtherNetworkID                   string

	// A network every project may put ports and servers on (Neutron "shared"), with one subnet:
	// projects made through the Reseller API have no network of their own.
	SharedNetworkName, SharedNetworkID string // "pco-shared"
	SharedSubnetID, SharedSubnetCIDR   string

	// The reseller account of the Reseller API (ResellerEndpoint): its login, which is no
	// Keystone user, and the Keystone domain that holds every project and user made through it.
	// Project names there are "<ResellerDomain>-<name as given>".
	ResellerUsername, ResellerPassword string
	ResellerDomain, ResellerDomainID   string // "d1ab2c" (no '-'), 32 hex digits
}

// Seed returns what the simulator was seeded with.
func (s *Sim) Seed() Seed {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.seedInfo
	out.Flavors = map[string]string{}
	for k, v := range s.seedInfo.Flavors {
		out.Flavors[k] = v
	}
	out.VolumeTypes = append([]string(nil), s.seedInfo.VolumeTypes...)
	return out
}

// Quota limits a project. -1 is unlimited; every project starts unlimited.
type Quota struct {
	Instances int `json:"instances"`
	Cores     int `json:"cores"`
	RAMMB     int `json:"ram"`
	Ports     int `json:"ports"`
	Volumes   int `json:"volumes"`
	Gigabytes int `json:"gigabytes"`
}

// Unlimited is a quota without limits.
var Unlimited = Quota{Instances: -1, Cores: -1, RAMMB: -1, Ports: -1, Volumes: -1, Gigabytes: -1}

// SetQuota sets a project's quota.
func (s *Sim) SetQuota(projectID string, q Quota) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.quotas[projectID] = q
}

func (st *state) quota(projectID string) Quota {
	if q, ok := st.quotas[projectID]; ok {
		return q
	}
	return Unlimited
}

// scsFlavors are pluscloud open's SCS flavors: the plain ones have no root disk (disk 0), so
// servers of those flavors must boot from a volume.
var scsFlavors = []struct {
	name             string
	vcpus, ram, disk int
}{
	{"SCS-1V-2", 1, 2048, 0}, {"SCS-2V-4", 2, 4096, 0}, {"SCS-4V-8", 4, 8192, 0}, {"SCS-8V-16", 8, 16384, 0},
	{"SCS-2V-4-20s", 2, 4096, 20}, {"SCS-4V-16-50s", 4, 16384, 50},
}

func (s *Sim) seed() {
	st := s.st
	now := time.Now().UTC()
	d := &domain{id: "default", name: "Default"}
	st.domains[d.id] = d

	type tenant struct {
		p   *project
		u   *user
		sg  *secGroup
		net *network
		sub *subnet
	}
	mkTenant := func(name, userName, password, cidr string) tenant {
		p := &project{seq: st.nextSeq(), id: newID(), name: name, domainID: d.id}
		u := &user{seq: st.nextSeq(), id: newID(), name: userName, domainID: d.id, password: password, projectID: p.id,
			roles: map[string]bool{p.id: true}}
		st.projects[p.id], st.users[u.id] = p, u
		// Neutron gives every project a "default" security group.
		sg := s.newSecGroup(p.id, "default", "Default security group")
		net := &network{seq: st.nextSeq(), id: newID(), name: name + "-net", projectID: p.id, adminUp: true, created: now, updated: now, revision: 1}
		st.networks[net.id] = net
		sub := s.newSubnet(p.id, net.id, name+"-subnet", netip.MustParsePrefix(cidr), netip.Addr{})
		return tenant{p, u, sg, net, sub}
	}
	main := mkTenant("pco-demo", "pco-user@example.com", "pco-demo-password-0", "10.250.0.0/16")
	other := mkTenant("pco-other", "other-user@example.com", "pco-other-password-0", "10.251.0.0/16")
	ac := &appCred{id: newID(), name: "pco-appcred", secret: "pco-appcred-secret-0", userID: main.u.id, projectID: main.p.id}
	st.appCreds[ac.id] = ac

	flavorIDs := map[string]string{}
	for i, f := range scsFlavors {
		fl := &flavor{id: fmt.Sprint(100 + i), name: f.name, vcpus: f.vcpus, ramMB: f.ram, diskGB: f.disk,
			extraSpecs: map[string]string{"scs:name-v2": f.name, "scs:cpu-type": "shared-core"}}
		st.flavors[fl.id] = fl
		flavorIDs[fl.name] = fl.id
	}

	// Public images belong to the provider's image project, as on pluscloud open.
	owner := newID()
	mkImage := func(name string, minDisk, minRAM int, size int64, distro, version string, age time.Duration) *image {
		img := &image{id: newID(), name: name, owner: owner, minDisk: minDisk, minRAM: minRAM, size: size, visibility: "public",
			properties: map[string]string{"os_distro": distro, "os_version": version, "hw_disk_bus": "scsi", "hw_scsi_model": "virtio-scsi"},
			created:    now.Add(-age)}
		st.images[img.id] = img
		return img
	}
	plain := mkImage("Ubuntu 24.04", 0, 0, 600<<20, "ubuntu", "24.04", 72*time.Hour)
	withMin := mkImage("Flatcar Container Linux", 25, 1024, 900<<20, "flatcar", "stable", 48*time.Hour)
	mkImage("Debian 12", 0, 0, 500<<20, "debian", "12", 24*time.Hour)

	ext := &network{seq: st.nextSeq(), id: newID(), name: "ext01", projectID: owner, external: true, adminUp: true, created: now, updated: now, revision: 1}
	st.networks[ext.id] = ext
	shared := &network{seq: st.nextSeq(), id: newID(), name: "pco-shared", projectID: owner, shared: true, adminUp: true, created: now, updated: now, revision: 1}
	st.networks[shared.id] = shared
	sharedSub := s.newSubnet(owner, shared.id, "pco-shared-subnet", netip.MustParsePrefix("10.252.0.0/16"), netip.Addr{})
	rd := &domain{id: newHexID(), name: "d1ab2c"}
	st.domains[rd.id] = rd
	nodes := s.newSecGroup(main.p.id, "pco-nodes", "worker nodes")
	kp := &keypair{id: 1, name: "pco-demo", userID: main.u.id, keyType: "ssh", created: now,
		publicKey: ed25519PublicKey([]byte("pco-sim-demo-keypair-seed-000000"), "pco-demo")}
	kp.fingerprint, _ = fingerprint(kp.publicKey)
	st.keypairs[kp.userID+"/"+kp.name] = kp
	for _, name := range []string{"__DEFAULT__", "ssd"} {
		st.volumeTypes = append(st.volumeTypes, &volumeType{id: newID(), name: name})
	}
	st.volumeTypes[0].description = "Default Volume Type"

	s.seedInfo = Seed{
		DomainName: d.name, DomainID: d.id, ProjectName: main.p.name, ProjectID: main.p.id,
		Username: main.u.name, UserID: main.u.id, Password: main.u.password,
		AppCredID: ac.id, AppCredName: ac.name, AppCredSecret: ac.secret, Region: s.opts.Region,
		NetworkID: main.net.id, NetworkName: main.net.name, SubnetID: main.sub.id, SubnetCIDR: main.sub.cidr.String(),
		ExternalNetworkID: ext.id, ExternalNetworkName: ext.name,
		SecurityGroupName: nodes.name, SecurityGroupID: nodes.id, DefaultSecurityGroupID: main.sg.id, KeyName: kp.name,
		ImageName: plain.name, ImageID: plain.id, ImageWithMinDisk: withMin.name, ImageWithMinDiskID: withMin.id, ImageMinDisk: withMin.minDisk,
		Flavors: flavorIDs, VolumeTypes: []string{"__DEFAULT__", "ssd"},
		OtherProjectName: other.p.name, OtherProjectID: other.p.id, OtherUsername: other.u.name, OtherUserID: other.u.id,
		OtherPassword: other.u.password, OtherNetworkID: other.net.id,
		SharedNetworkName: shared.name, SharedNetworkID: shared.id, SharedSubnetID: sharedSub.id, SharedSubnetCIDR: sharedSub.cidr.String(),
		ResellerUsername: "pco-reseller", ResellerPassword: "pco-reseller-password-0", ResellerDomain: rd.name, ResellerDomainID: rd.id,
	}
}
