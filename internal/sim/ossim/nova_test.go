package ossim_test

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/limits"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servergroups"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/tags"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/pagination"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("Nova", func() {
	var (
		sim   *ossim.Sim
		seed  ossim.Seed
		token string
		c     *services
	)
	BeforeEach(func(ctx SpecContext) {
		sim = startSim(nil)
		seed = sim.Seed()
		token = tokenOf(ctx, sim)
		c = newServices(ctx, sim, passwordAuth(sim), "2.67")
	})
	serverBody := func(mod func(map[string]any)) map[string]any {
		s := map[string]any{"name": "raw", "flavorRef": seed.Flavors["SCS-2V-4-20s"], "imageRef": seed.ImageID,
			"networks": []map[string]any{{"uuid": seed.NetworkID}}}
		if mod != nil {
			mod(s)
		}
		return map[string]any{"server": s}
	}
	boot := func(ctx context.Context, opts servers.CreateOpts) string {
		GinkgoHelper()
		if opts.FlavorRef == "" {
			opts.FlavorRef = seed.Flavors["SCS-2V-4-20s"]
		}
		if opts.ImageRef == "" && opts.BlockDevice == nil {
			opts.ImageRef = seed.ImageID
		}
		if opts.Networks == nil {
			opts.Networks = []servers.Network{{UUID: seed.NetworkID}}
		}
		s, err := servers.Create(ctx, c.compute, opts, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		return s.ID
	}

	It("negotiates microversions like Nova: default 2.1, latest 2.93, 406 out of range, 400 malformed", func() {
		r := rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil, compute("2.99")...)
		Expect(r.code).To(Equal(http.StatusNotAcceptable))
		Expect(r.body).To(MatchJSON(`{"computeFault":{"code":406,"message":"Version 2.99 is not supported by the API. Minimum is 2.1 and maximum is 2.93."}}`))
		r = rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil, compute("two")...)
		Expect(r.code).To(Equal(http.StatusBadRequest))

		r = rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil, compute("2.67")...)
		Expect(r.header.Get("OpenStack-API-Version")).To(Equal("compute 2.67"))
		Expect(r.header.Get("X-OpenStack-Nova-API-Version")).To(Equal("2.67"))
		Expect(r.header.Values("Vary")).To(ContainElement("OpenStack-API-Version, X-OpenStack-Nova-API-Version"))
		Expect(r.header.Get("X-Openstack-Request-Id")).To(HavePrefix("req-"))

		r = rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil, "X-OpenStack-Nova-API-Version", "latest")
		Expect(r.header.Get("X-OpenStack-Nova-API-Version")).To(Equal("2.93"))
		r = rawRequest(sim, "GET", "/compute/v2.1/servers", token, nil)
		Expect(r.header.Get("X-OpenStack-Nova-API-Version")).To(Equal("2.1"))

		r = rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(func(s map[string]any) { s["tags"] = []string{"a"} }), compute("2.51")...)
		Expect(r.code).To(Equal(http.StatusBadRequest))
		Expect(r.body).To(ContainSubstring("Additional properties are not allowed ('tags' was unexpected)"))
	})

	It("renders servers as the microversion says", func(ctx SpecContext) {
		created, err := servers.Create(ctx, c.compute, keypairs.CreateOptsExt{KeyName: seed.KeyName, CreateOptsBuilder: servers.CreateOpts{
			Name: "shape", FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID, Networks: []servers.Network{{UUID: seed.NetworkID}}}}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		id := created.ID
		var old, cur struct{ Server map[string]any }
		rawRequest(sim, "GET", "/compute/v2.1/servers/"+id, token, nil).decode(&old)
		Expect(old.Server["flavor"]).To(HaveKey("links"))
		Expect(old.Server).NotTo(HaveKey("tags"))
		Expect(old.Server).NotTo(HaveKey("description"))
		rawRequest(sim, "GET", "/compute/v2.1/servers/"+id, token, nil, compute("2.93")...).decode(&cur)
		Expect(cur.Server["flavor"]).To(HaveKeyWithValue("original_name", "SCS-2V-4-20s"))
		Expect(cur.Server["flavor"]).To(HaveKeyWithValue("extra_specs", HaveKey("scs:name-v2")))
		Expect(cur.Server).To(HaveKeyWithValue("tags", BeEmpty()))
		Expect(cur.Server).To(HaveKeyWithValue("locked", false))
		Expect(cur.Server).To(HaveKeyWithValue("OS-EXT-SRV-ATTR:hostname", "shape"))
		Expect(cur.Server).To(HaveKeyWithValue("key_name", seed.KeyName))
		Expect(cur.Server).To(HaveKeyWithValue("OS-EXT-STS:vm_state", "building"))
		Expect(cur.Server).To(HaveKeyWithValue("OS-EXT-AZ:availability_zone", "nova"))
		Expect(cur.Server["hostId"]).To(HaveLen(56))
		Expect(cur.Server["addresses"]).To(HaveKeyWithValue(seed.NetworkName, ContainElement(SatisfyAll(
			HaveKeyWithValue("OS-EXT-IPS:type", "fixed"), HaveKeyWithValue("version", BeNumerically("==", 4)),
			HaveKey("OS-EXT-IPS-MAC:mac_addr"), HaveKey("addr")))))
	})

	It("validates server creates with Nova's codes and messages", func() {
		cases := []struct {
			mod  func(map[string]any)
			code int
			msg  string
		}{
			{func(s map[string]any) { s["flavorRef"] = "nope" }, 400, "Invalid flavorRef provided."},
			{func(s map[string]any) { s["imageRef"] = "nope" }, 400, "Invalid imageRef provided."},
			{func(s map[string]any) { s["imageRef"] = "0b7a1c8e-5a3f-4d7c-9d1e-2f3a4b5c6d7e" }, 400, "Can not find requested image"},
			{func(s map[string]any) { s["key_name"] = "nope" }, 400, "Invalid key_name provided."},
			{func(s map[string]any) { s["user_data"] = "not base64!" }, 400, "is not a 'base64'"},
			{func(s map[string]any) { s["availability_zone"] = "az9" }, 400, "The requested availability zone is not available"},
			{func(s map[string]any) { s["flavorRef"] = seed.Flavors["SCS-2V-4"] }, 403, "Only volume-backed servers are allowed for flavors with zero disk."},
			{func(s map[string]any) { s["imageRef"] = seed.ImageWithMinDiskID }, 400, "Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is 21474836480 bytes, minimum size is 26843545600 bytes."},
			{func(s map[string]any) { s["tags"] = []string{"a/b"} }, 400, "'a/b' does not match '^[^,/]*$'"},
			{func(s map[string]any) { s["metadata"] = map[string]string{"kubernetes.io/role": "node"} }, 400, "Additional properties are not allowed ('kubernetes.io/role' was unexpected)"},
			{func(s map[string]any) { delete(s, "networks") }, 400, "'networks' is a required property"},
			{func(s map[string]any) { s["networks"] = []map[string]any{{"uuid": "not-a-uuid"}} }, 400, "Bad networks format: network uuid is not in proper format (not-a-uuid)"},
			{func(s map[string]any) { s["networks"] = []map[string]any{{"uuid": seed.OtherNetworkID}} }, 400, "Network " + seed.OtherNetworkID + " could not be found."},
			{func(s map[string]any) { s["networks"] = []map[string]any{{"uuid": seed.ExternalNetworkID}} }, 403, "It is not allowed to create an interface on external network"},
			{func(s map[string]any) { s["security_groups"] = []map[string]any{{"name": "nope"}} }, 400, "Security group nope not found."},
			{func(s map[string]any) { s["name"] = "" }, 400, "'' is too short"},
			{func(s map[string]any) { s["bogus"] = 1 }, 400, "Additional properties are not allowed ('bogus' was unexpected)"},
		}
		for _, tc := range cases {
			r := rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(tc.mod), compute("2.67")...)
			Expect(r.code).To(Equal(tc.code), r.body)
			Expect(r.body).To(ContainSubstring(tc.msg))
		}
		Expect(sim.Servers()).To(BeEmpty())
		Expect(sim.Ports()).To(BeEmpty(), "nothing is left behind by a refused create")
	})

	It("uses the project's only network for \"auto\" and makes no port for \"none\"", func(ctx SpecContext) {
		r := rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(func(s map[string]any) { s["networks"] = "auto" }), compute("2.67")...)
		Expect(r.code).To(Equal(http.StatusAccepted), r.body)
		r = rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(func(s map[string]any) { s["networks"] = "none" }), compute("2.67")...)
		Expect(r.code).To(Equal(http.StatusAccepted), r.body)
		Expect(sim.Ports()).To(HaveLen(1))
		Expect(sim.Ports()[0].NetworkID).To(Equal(seed.NetworkID))
		Expect(sim.Ports()[0].SecurityGroups).To(ConsistOf(seed.DefaultSecurityGroupID), "Nova puts its ports in \"default\"")
	})

	It("puts the ports it makes into the requested security groups", func(ctx SpecContext) {
		id := boot(ctx, servers.CreateOpts{Name: "sg", SecurityGroups: []string{seed.SecurityGroupName, seed.DefaultSecurityGroupID}})
		Expect(sim.Ports()[0].SecurityGroups).To(ConsistOf(seed.SecurityGroupID, seed.DefaultSecurityGroupID))
		Expect(sim.Ports()[0].DeviceID).To(Equal(id))
		waitServer(ctx, c.compute, id, "ACTIVE")
		s, err := servers.Get(ctx, c.compute, id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.SecurityGroups).To(ConsistOf(map[string]any{"name": "pco-nodes"}, map[string]any{"name": "default"}))
	})

	It("refuses a port that is bound already", func(ctx SpecContext) {
		p, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID}).Extract()
		Expect(err).NotTo(HaveOccurred())
		boot(ctx, servers.CreateOpts{Name: "first", Networks: []servers.Network{{Port: p.ID}}})
		_, err = servers.Create(ctx, c.compute, servers.CreateOpts{Name: "second", FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID,
			Networks: []servers.Network{{Port: p.ID}}}, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusConflict)).To(BeTrue())
		Expect(errorBody(err)).To(ContainSubstring("Port " + p.ID + " is still in use."))
	})

	It("filters names as a case-insensitive regular expression searched anywhere, as Nova's REGEXP does", func(ctx SpecContext) {
		for _, n := range []string{"node-1", "node-10", "xnode-1", "Node-2"} {
			sim.AddServers(1, ossim.Server{Name: n})
		}
		names := func(re string) []string { return serverNames(ctx, c.compute, servers.ListOpts{Name: re}) }
		Expect(names("node-1")).To(ConsistOf("node-1", "node-10", "xnode-1"))
		Expect(names("^node-1$")).To(ConsistOf("node-1"))
		Expect(names("^node-")).To(ConsistOf("node-1", "node-10", "Node-2"))
		Expect(names("node-1.")).To(ConsistOf("node-10"), "a dot is any character")
		r := rawRequest(sim, "GET", "/compute/v2.1/servers?name="+url.QueryEscape("(unclosed"), token, nil)
		Expect(r.code).To(Equal(http.StatusInternalServerError), "the database rejects a broken pattern")
	})

	It("filters by status, tags, tags-any and not-tags, newest first", func(ctx SpecContext) {
		sim.AddServers(1, ossim.Server{Name: "a", Tags: []string{"x", "y"}})
		sim.AddServers(1, ossim.Server{Name: "b", Tags: []string{"x"}})
		sim.AddServers(1, ossim.Server{Name: "c", Status: "ERROR"})
		Expect(serverNames(ctx, c.compute, servers.ListOpts{})).To(Equal([]string{"c", "b", "a"}))
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Tags: "x,y"})).To(Equal([]string{"a"}))
		Expect(serverNames(ctx, c.compute, servers.ListOpts{TagsAny: "y,z"})).To(Equal([]string{"a"}))
		Expect(serverNames(ctx, c.compute, servers.ListOpts{NotTags: "y"})).To(Equal([]string{"c", "b"}))
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Status: "error"})).To(Equal([]string{"c"}))
		Expect(serverNames(ctx, c.compute, servers.ListOpts{Status: "SHELVED"})).To(BeEmpty())
		r := rawRequest(sim, "GET", "/compute/v2.1/servers?all_tenants=1", token, nil)
		Expect(r.code).To(Equal(http.StatusForbidden))
	})

	It("paginates with limit and marker, giving a next link whenever a page is full", func(ctx SpecContext) {
		ids := sim.AddServers(4, ossim.Server{Name: "p"})
		sim.ResetCounts()
		var seen []string
		err := servers.List(c.compute, servers.ListOpts{Limit: 2}).EachPage(ctx, func(_ context.Context, p pagination.Page) (bool, error) {
			list, err := servers.ExtractServers(p)
			for _, s := range list {
				seen = append(seen, s.ID)
			}
			return true, err
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(seen).To(Equal([]string{ids[3], ids[2], ids[1], ids[0]}))
		Expect(sim.Counts().Get("compute GET /servers/detail")).To(Equal(3), "the second page is full, so Nova links a third, empty one")

		var page struct {
			Servers      []struct{ ID string }
			ServersLinks []struct{ Rel, Href string } `json:"servers_links"`
		}
		rawRequest(sim, "GET", "/compute/v2.1/servers?limit=1&marker="+ids[3], token, nil).decode(&page)
		Expect(page.Servers).To(HaveLen(1))
		Expect(page.Servers[0].ID).To(Equal(ids[2]))
		Expect(page.ServersLinks[0].Href).To(Equal(sim.URL() + "/compute/v2.1/servers?limit=1&marker=" + ids[2]))

		r := rawRequest(sim, "GET", "/compute/v2.1/servers?marker=nope", token, nil)
		Expect(r.code).To(Equal(http.StatusBadRequest))
		Expect(r.body).To(MatchJSON(`{"badRequest":{"code":400,"message":"marker [nope] not found"}}`))
		Expect(rawRequest(sim, "GET", "/compute/v2.1/servers?limit=-1", token, nil).code).To(Equal(http.StatusBadRequest))
	})

	It("keeps a deleted server visible while it is deleting, and counts it against the quota till it is gone", func(ctx SpecContext) {
		sim.Close()
		sim = startSim(func(o *ossim.Options) { o.DeleteTime = 300 * time.Millisecond })
		seed, token = sim.Seed(), tokenOf(ctx, sim)
		c = newServices(ctx, sim, passwordAuth(sim), "2.67")
		q := ossim.Unlimited
		q.Instances = 1
		sim.SetQuota(seed.ProjectID, q)
		id := boot(ctx, servers.CreateOpts{Name: "del"})
		Expect(servers.Delete(ctx, c.compute, id).ExtractErr()).To(Succeed())
		s, err := servers.Get(ctx, c.compute, id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.TaskState).To(Equal("deleting"))
		r := rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(nil), compute("2.67")...)
		Expect(r.code).To(Equal(http.StatusForbidden))
		waitServerGone(ctx, c.compute, id)
		Expect(sim.Ports()).To(BeEmpty(), "Nova's own port goes with the server")
		r = rawRequest(sim, "GET", "/compute/v2.1/servers/"+id, token, nil)
		Expect(r.body).To(MatchJSON(`{"itemNotFound":{"code":404,"message":"Instance ` + id + ` could not be found."}}`))
	})

	It("allows tag and metadata changes only once the server is active", func(ctx SpecContext) {
		id := boot(ctx, servers.CreateOpts{Name: "tags", Tags: []string{"a"}})
		_, err := tags.ReplaceAll(ctx, c.compute, id, tags.ReplaceAllOpts{Tags: []string{"b"}}).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusConflict)).To(BeTrue())
		Expect(errorBody(err)).To(ContainSubstring("Cannot 'update tags' instance " + id + " while it is in vm_state building"))
		_, err = servers.UpdateMetadata(ctx, c.compute, id, servers.MetadataOpts{"k": "v"}).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusConflict)).To(BeTrue())

		waitServer(ctx, c.compute, id, "ACTIVE")
		got, err := tags.ReplaceAll(ctx, c.compute, id, tags.ReplaceAllOpts{Tags: []string{"b", "c", "b"}}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal([]string{"b", "c"}))
		Expect(tags.Add(ctx, c.compute, id, "d").ExtractErr()).To(Succeed())
		exists, err := tags.Check(ctx, c.compute, id, "d").Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(exists).To(BeTrue())
		Expect(tags.Delete(ctx, c.compute, id, "b").ExtractErr()).To(Succeed())
		list, err := tags.List(ctx, c.compute, id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(list).To(ConsistOf("c", "d"))

		md, err := servers.UpdateMetadata(ctx, c.compute, id, servers.MetadataOpts{"k": "v"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(md).To(Equal(map[string]string{"k": "v"}))
		md, err = servers.ResetMetadata(ctx, c.compute, id, servers.MetadataOpts{"x": "y"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(md).To(Equal(map[string]string{"x": "y"}))

		r := rawRequest(sim, "GET", "/compute/v2.1/servers/"+id+"/tags", token, nil, compute("2.25")...)
		Expect(r.code).To(Equal(http.StatusNotFound), "no tags API before 2.26")
	})

	It("boots from a new volume that is in-use, bootable, and deleted with the server", func(ctx SpecContext) {
		id := boot(ctx, servers.CreateOpts{Name: "bfv", FlavorRef: seed.Flavors["SCS-2V-4"],
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: seed.ImageWithMinDiskID, DestinationType: servers.DestinationVolume,
				VolumeSize: seed.ImageMinDisk, VolumeType: "ssd", DeleteOnTermination: true, BootIndex: 0}}})
		vols := sim.Volumes()
		Expect(vols).To(HaveLen(1))
		Expect(vols[0]).To(MatchFields(IgnoreExtras, Fields{"Status": Equal("in-use"), "Bootable": BeTrue(), "Size": Equal(seed.ImageMinDisk),
			"VolumeType": Equal("ssd"), "Attachments": ConsistOf(id), "ImageID": Equal(seed.ImageWithMinDiskID)}))
		v, err := volumes.Get(ctx, c.block, vols[0].ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(v.Bootable).To(Equal("true"))
		Expect(v.Attachments).To(ConsistOf(HaveField("ServerID", id)))
		s, err := servers.Get(ctx, c.compute, id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Image).To(BeEmpty(), "no image for a volume-backed server")
		Expect(s.AttachedVolumes).To(ConsistOf(HaveField("ID", vols[0].ID)))

		Expect(servers.Delete(ctx, c.compute, id).ExtractErr()).To(Succeed())
		eventually(sim.Volumes).Should(BeEmpty())

		_, err = servers.Create(ctx, c.compute, servers.CreateOpts{Name: "too-small", FlavorRef: seed.Flavors["SCS-2V-4"], Networks: []servers.Network{{UUID: seed.NetworkID}},
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: seed.ImageWithMinDiskID, DestinationType: servers.DestinationVolume,
				VolumeSize: 5, DeleteOnTermination: true}}}, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 400)).To(BeTrue())
		Expect(errorBody(err)).To(ContainSubstring("Volume is smaller than the minimum size specified in image metadata."))
	})

	It("boots from an existing volume and leaves it available after the server is gone", func(ctx SpecContext) {
		vol, err := volumes.Create(ctx, c.block, volumes.CreateOpts{Size: 10, ImageID: seed.ImageID}, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		_, err = servers.Create(ctx, c.compute, servers.CreateOpts{Name: "early", FlavorRef: seed.Flavors["SCS-2V-4"], Networks: []servers.Network{{UUID: seed.NetworkID}},
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceVolume, UUID: vol.ID, DestinationType: servers.DestinationVolume}}}, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 400)).To(BeTrue(), "the volume is still creating")
		eventually(func() string { return sim.Volumes()[0].Status }).Should(Equal("available"))
		id := boot(ctx, servers.CreateOpts{Name: "bfv", FlavorRef: seed.Flavors["SCS-2V-4"],
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceVolume, UUID: vol.ID, DestinationType: servers.DestinationVolume}}})
		Expect(sim.Volumes()[0].Status).To(Equal("in-use"))
		Expect(volumes.Delete(ctx, c.block, vol.ID, nil).ExtractErr()).NotTo(Succeed(), "Cinder refuses to delete an attached volume")
		Expect(servers.Delete(ctx, c.compute, id).ExtractErr()).To(Succeed())
		waitServerGone(ctx, c.compute, id)
		Expect(sim.Volumes()[0].Status).To(Equal("available"))
	})

	It("aborts the build when Cinder's quota has no room for the boot volume", func(ctx SpecContext) {
		q := ossim.Unlimited
		q.Volumes = 0
		sim.SetQuota(seed.ProjectID, q)
		id := boot(ctx, servers.CreateOpts{Name: "bfv", FlavorRef: seed.Flavors["SCS-2V-4"],
			BlockDevice: []servers.BlockDevice{{SourceType: servers.SourceImage, UUID: seed.ImageID, DestinationType: servers.DestinationVolume, VolumeSize: 10}}})
		waitServer(ctx, c.compute, id, "ERROR")
		s, err := servers.Get(ctx, c.compute, id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Fault.Code).To(Equal(500))
		Expect(s.Fault.Message).To(Equal("Build of instance " + id + " aborted: VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes'."))
		Expect(sim.Volumes()).To(BeEmpty())
		Expect(sim.Ports()).To(BeEmpty(), "a failed build deallocates Nova's ports")
	})

	It("reports quota in Nova's, Neutron's and Cinder's words", func() {
		q := ossim.Unlimited
		q.Instances, q.Ports, q.Volumes = 0, 0, 0
		sim.SetQuota(seed.ProjectID, q)
		r := rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(nil), compute("2.67")...)
		Expect(r.code).To(Equal(403))
		Expect(r.body).To(MatchJSON(`{"forbidden": {"code": 403, "message": "Quota exceeded for instances: Requested 1, but already used 0 of 0 instances"}}`))
		r = rawRequest(sim, "POST", "/network/v2.0/ports", token, map[string]any{"port": map[string]any{"network_id": seed.NetworkID}})
		Expect(r.code).To(Equal(409))
		Expect(r.body).To(MatchJSON(`{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['port'].", "detail": ""}}`))
		r = rawRequest(sim, "POST", "/volume/v3/"+seed.ProjectID+"/volumes", token, map[string]any{"volume": map[string]any{"size": 1}})
		Expect(r.code).To(Equal(413))
		Expect(r.body).To(MatchJSON(`{"overLimit": {"code": 413, "message": "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes'.", "retryAfter": "0"}}`))

		q = ossim.Unlimited
		q.Cores, q.Ports = 3, 0
		sim.SetQuota(seed.ProjectID, q)
		sim.AddServers(1, ossim.Server{Name: "two-cores"})
		r = rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(nil), compute("2.67")...)
		Expect(r.body).To(ContainSubstring("Quota exceeded for cores: Requested 2, but already used 2 of 3 cores"))
		q.Cores = -1
		sim.SetQuota(seed.ProjectID, q)
		r = rawRequest(sim, "POST", "/compute/v2.1/servers", token, serverBody(nil), compute("2.67")...)
		Expect(r.code).To(Equal(403))
		Expect(r.body).To(ContainSubstring("Maximum number of ports exceeded"))
	})

	It("reports absolute limits from the quota", func(ctx SpecContext) {
		q := ossim.Unlimited
		q.Instances = 10
		sim.SetQuota(seed.ProjectID, q)
		sim.AddServers(3, ossim.Server{Name: "l"})
		l, err := limits.Get(ctx, c.compute, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(l.Absolute.MaxTotalInstances).To(Equal(10))
		Expect(l.Absolute.TotalInstancesUsed).To(Equal(3))
		Expect(l.Absolute.MaxTotalCores).To(Equal(-1))
	})

	It("lists SCS flavors with their extra specs", func(ctx SpecContext) {
		pages, err := flavors.ListDetail(c.compute, flavors.ListOpts{AccessType: flavors.AllAccess}).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		list, err := flavors.ExtractFlavors(pages)
		Expect(err).NotTo(HaveOccurred())
		Expect(list).To(HaveLen(6))
		byName := map[string]flavors.Flavor{}
		for _, f := range list {
			byName[f.Name] = f
		}
		Expect(byName["SCS-4V-16-50s"]).To(MatchFields(IgnoreExtras, Fields{"VCPUs": Equal(4), "RAM": Equal(16384), "Disk": Equal(50)}))
		Expect(byName["SCS-8V-16"].Disk).To(BeZero())
		Expect(byName["SCS-2V-4"].ExtraSpecs).To(HaveKeyWithValue("scs:name-v2", "SCS-2V-4"))
		pages, err = flavors.ListDetail(c.compute, flavors.ListOpts{MinDisk: 1}).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		list, _ = flavors.ExtractFlavors(pages)
		Expect(list).To(HaveLen(2))
		_, err = flavors.Get(ctx, c.compute, "nope").Extract()
		Expect(gophercloud.ResponseCodeIs(err, 404)).To(BeTrue())
	})

	It("imports and generates keypairs, per user", func(ctx SpecContext) {
		kp, err := keypairs.Get(ctx, c.compute, seed.KeyName, nil).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(kp.Fingerprint).To(MatchRegexp(`^([0-9a-f]{2}:){15}[0-9a-f]{2}$`))
		imported, err := keypairs.Create(ctx, c.compute, keypairs.CreateOpts{Name: "imported", PublicKey: kp.PublicKey}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(imported.Fingerprint).To(Equal(kp.Fingerprint))
		_, err = keypairs.Create(ctx, c.compute, keypairs.CreateOpts{Name: "bad", PublicKey: "ssh-rsa bm90IGEga2V5"}).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 400)).To(BeTrue())
		_, err = keypairs.Create(ctx, c.compute, keypairs.CreateOpts{Name: "imported", PublicKey: kp.PublicKey}).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 409)).To(BeTrue())
		generated, err := keypairs.Create(ctx, c.compute, keypairs.CreateOpts{Name: "generated"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(generated.PrivateKey).To(HavePrefix("-----BEGIN RSA PRIVATE KEY-----"))
		Expect(generated.PublicKey).To(HavePrefix("ssh-rsa "))

		other := passwordAuth(sim)
		other.Username, other.Password, other.Scope = seed.OtherUsername, seed.OtherPassword, &gophercloud.AuthScope{ProjectID: seed.OtherProjectID}
		oc := newServices(ctx, sim, other, "2.67")
		_, err = keypairs.Get(ctx, oc.compute, seed.KeyName, nil).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 404)).To(BeTrue(), "keypairs belong to their user")
	})

	It("places servers into server groups", func(ctx SpecContext) {
		c.compute.Microversion = "2.64"
		g, err := servergroups.Create(ctx, c.compute, servergroups.CreateOpts{Name: "workers", Policy: "soft-anti-affinity"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(*g.Policy).To(Equal("soft-anti-affinity"))
		s, err := servers.Create(ctx, c.compute, servers.CreateOpts{Name: "grouped", FlavorRef: seed.Flavors["SCS-2V-4-20s"], ImageRef: seed.ImageID,
			Networks: []servers.Network{{UUID: seed.NetworkID}}}, servers.SchedulerHintOpts{Group: g.ID}).Extract()
		Expect(err).NotTo(HaveOccurred())
		g, err = servergroups.Get(ctx, c.compute, g.ID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(g.Members).To(ConsistOf(s.ID))
		Expect(sim.Servers()[0].ServerGroup).To(Equal(g.ID))
	})

	It("isolates projects", func(ctx SpecContext) {
		id := boot(ctx, servers.CreateOpts{Name: "mine"})
		other := passwordAuth(sim)
		other.Username, other.Password, other.Scope = seed.OtherUsername, seed.OtherPassword, &gophercloud.AuthScope{ProjectName: seed.OtherProjectName, DomainName: "Default"}
		oc := newServices(ctx, sim, other, "2.67")
		_, err := servers.Get(ctx, oc.compute, id).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 404)).To(BeTrue())
		Expect(serverNames(ctx, oc.compute, servers.ListOpts{})).To(BeEmpty())
		_, err = ports.Get(ctx, oc.network, sim.Ports()[0].ID).Extract()
		Expect(gophercloud.ResponseCodeIs(err, 404)).To(BeTrue())
	})
})
