package ossim_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/attributestags"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/pagination"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

var _ = Describe("Neutron", func() {
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
	listPorts := func(ctx context.Context, opts ports.ListOpts) []ports.Port {
		GinkgoHelper()
		pages, err := ports.List(c.network, opts).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		list, err := ports.ExtractPorts(pages)
		Expect(err).NotTo(HaveOccurred())
		return list
	}

	It("allocates addresses in order, honours asked-for ones and refuses taken ones", func(ctx SpecContext) {
		a, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID}).Extract()
		Expect(err).NotTo(HaveOccurred())
		b, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(a.FixedIPs[0].IPAddress).To(Equal("10.250.0.2"))
		Expect(b.FixedIPs[0].IPAddress).To(Equal("10.250.0.3"))
		Expect(a.SecurityGroups).To(ConsistOf(seed.DefaultSecurityGroupID), "a port without groups gets \"default\"")
		d, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, FixedIPs: []ports.IP{{IPAddress: "10.250.3.4"}}}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(d.FixedIPs).To(Equal([]ports.IP{{SubnetID: seed.SubnetID, IPAddress: "10.250.3.4"}}))
		_, err = ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, FixedIPs: []ports.IP{{IPAddress: "10.250.3.4"}}}).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusConflict)).To(BeTrue())
		Expect(errorBody(err)).To(ContainSubstring(`"IpAddressAlreadyAllocated"`))
		_, err = ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, FixedIPs: []ports.IP{{IPAddress: "192.168.1.1"}}}).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusBadRequest)).To(BeTrue())
	})

	It("filters ports by name, device, tags and fixed IP, and rejects unknown filters", func(ctx SpecContext) {
		for i := range 3 {
			p, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, Name: fmt.Sprintf("p%d", i)}).Extract()
			Expect(err).NotTo(HaveOccurred())
			Expect(attributestags.Add(ctx, c.network, "ports", p.ID, fmt.Sprintf("t%d", i)).ExtractErr()).To(Succeed())
		}
		Expect(listPorts(ctx, ports.ListOpts{Name: "p1"})).To(ConsistOf(HaveField("Name", "p1")))
		Expect(listPorts(ctx, ports.ListOpts{Tags: "t2"})).To(ConsistOf(HaveField("Name", "p2")))
		Expect(listPorts(ctx, ports.ListOpts{TagsAny: "t0,t2"})).To(HaveLen(2))
		Expect(listPorts(ctx, ports.ListOpts{NotTags: "t0"})).To(HaveLen(2))
		Expect(listPorts(ctx, ports.ListOpts{DeviceID: "none"})).To(BeEmpty())
		Expect(listPorts(ctx, ports.ListOpts{FixedIPs: []ports.FixedIPOpts{{IPAddress: "10.250.0.3"}}})).To(ConsistOf(HaveField("Name", "p1")))

		r := rawRequest(sim, "GET", "/network/v2.0/ports?bogus=1", token, nil)
		Expect(r.code).To(Equal(http.StatusBadRequest))
		Expect(r.body).To(MatchJSON(`{"NeutronError":{"type":"HTTPBadRequest","message":"[bogus] is invalid attribute for filtering","detail":""}}`))
		var only struct{ Ports []map[string]any }
		rawRequest(sim, "GET", "/network/v2.0/ports?fields=id&fields=name&name=p0", token, nil).decode(&only)
		Expect(only.Ports).To(ConsistOf(SatisfyAll(HaveLen(2), HaveKeyWithValue("name", "p0"))))
		r = rawRequest(sim, "GET", "/network/v2.0/ports/"+sim.Ports()[0].ID, token, nil)
		Expect(r.body).NotTo(ContainSubstring("binding:host_id"), "binding details are admin-only")
	})

	It("paginates by id with next and previous links, and 404s an unknown marker", func(ctx SpecContext) {
		for range 5 {
			_, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID}).Extract()
			Expect(err).NotTo(HaveOccurred())
		}
		sim.ResetCounts()
		pages := 0
		var ids []string
		err := ports.List(c.network, ports.ListOpts{Limit: 2}).EachPage(ctx, func(_ context.Context, p pagination.Page) (bool, error) {
			list, err := ports.ExtractPorts(p)
			for _, p := range list {
				ids = append(ids, p.ID)
			}
			pages++
			return true, err
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(pages).To(Equal(3))
		Expect(ids).To(HaveLen(5))
		var body struct {
			Ports      []struct{ ID string }
			PortsLinks []struct{ Rel string } `json:"ports_links"`
		}
		rawRequest(sim, "GET", "/network/v2.0/ports?limit=2&marker="+ids[1], token, nil).decode(&body)
		Expect(body.Ports[0].ID).To(Equal(ids[2]))
		Expect(body.PortsLinks).To(ConsistOf(HaveField("Rel", "next"), HaveField("Rel", "previous")))
		r := rawRequest(sim, "GET", "/network/v2.0/ports?marker=nope", token, nil)
		Expect(r.code).To(Equal(http.StatusNotFound))
		Expect(r.body).To(ContainSubstring(`"PortNotFound"`))
	})

	It("updates allowed address pairs and security groups, with port security's rules", func(ctx SpecContext) {
		p, err := ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, Name: "upd"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		pairs := []ports.AddressPair{{IPAddress: "100.64.0.0/10"}}
		sgs := []string{seed.SecurityGroupID}
		name := "renamed"
		u, err := ports.Update(ctx, c.network, p.ID, ports.UpdateOpts{Name: &name, AllowedAddressPairs: &pairs, SecurityGroups: &sgs}).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Name).To(Equal("renamed"))
		Expect(u.AllowedAddressPairs).To(Equal([]ports.AddressPair{{IPAddress: "100.64.0.0/10", MACAddress: p.MACAddress}}))
		Expect(u.SecurityGroups).To(Equal([]string{seed.SecurityGroupID}))

		unknown := []string{"0b7a1c8e-5a3f-4d7c-9d1e-2f3a4b5c6d7e"}
		_, err = ports.Update(ctx, c.network, p.ID, ports.UpdateOpts{SecurityGroups: &unknown}).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusNotFound)).To(BeTrue())
		Expect(errorBody(err)).To(ContainSubstring(`"SecurityGroupNotFound"`))

		r := rawRequest(sim, "PUT", "/network/v2.0/ports/"+p.ID, token, map[string]any{"port": map[string]any{"port_security_enabled": false}})
		Expect(r.code).To(Equal(http.StatusConflict), "address pairs need port security")
		r = rawRequest(sim, "PUT", "/network/v2.0/ports/"+p.ID, token, map[string]any{"port": map[string]any{"bogus": 1}})
		Expect(r.code).To(Equal(http.StatusBadRequest))
		Expect(r.body).To(ContainSubstring("Unrecognized attribute(s) 'bogus'"))
		Expect(sim.Ports()[0].Name).To(Equal("renamed"), "a refused update changes nothing")
	})

	It("keeps tags with the tags API and takes them on create", func(ctx SpecContext) {
		r := rawRequest(sim, "POST", "/network/v2.0/ports", token, map[string]any{"port": map[string]any{"network_id": seed.NetworkID, "tags": []string{"a", "b"}}})
		Expect(r.code).To(Equal(http.StatusCreated), r.body)
		id := sim.Ports()[0].ID
		Expect(sim.Ports()[0].Tags).To(Equal([]string{"a", "b"}))
		got, err := attributestags.List(ctx, c.network, "ports", id).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(ConsistOf("a", "b"))
		Expect(attributestags.Delete(ctx, c.network, "ports", id, "a").ExtractErr()).To(Succeed())
		exists, err := attributestags.Confirm(ctx, c.network, "ports", id, "a").Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(exists).To(BeFalse())
		Expect(attributestags.DeleteAll(ctx, c.network, "ports", id).ExtractErr()).To(Succeed())
		Expect(sim.Ports()[0].Tags).To(BeEmpty())
		for _, res := range []string{"networks", "security-groups"} {
			target := seed.NetworkID
			if res == "security-groups" {
				target = seed.SecurityGroupID
			}
			_, err := attributestags.ReplaceAll(ctx, c.network, res, target, attributestags.ReplaceAllOpts{Tags: []string{"x"}}).Extract()
			Expect(err).NotTo(HaveOccurred(), res)
		}
		nets, err := networks.List(c.network, networks.ListOpts{Tags: "x"}).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		list, _ := networks.ExtractNetworks(nets)
		Expect(list).To(ConsistOf(HaveField("ID", seed.NetworkID)))
	})

	It("protects security groups: default stays, groups in use stay, unknown ones are 404", func(ctx SpecContext) {
		Expect(groups.Delete(ctx, c.network, seed.DefaultSecurityGroupID).ExtractErr()).To(MatchError(ContainSubstring("SecurityGroupCannotRemoveDefault")))
		sg, err := groups.Create(ctx, c.network, groups.CreateOpts{Name: "temp"}).Extract()
		Expect(err).NotTo(HaveOccurred())
		_, err = ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, SecurityGroups: &[]string{sg.ID}}).Extract()
		Expect(err).NotTo(HaveOccurred())
		err = groups.Delete(ctx, c.network, sg.ID).ExtractErr()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusConflict)).To(BeTrue())
		_, err = ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID, SecurityGroups: &[]string{"0b7a1c8e-5a3f-4d7c-9d1e-2f3a4b5c6d7e"}}).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusNotFound)).To(BeTrue())
		pages, err := groups.List(c.network, groups.ListOpts{Name: "default"}).AllPages(ctx)
		Expect(err).NotTo(HaveOccurred())
		list, _ := groups.ExtractGroups(pages)
		Expect(list).To(ConsistOf(HaveField("ID", seed.DefaultSecurityGroupID)), "each project has its own default group")
	})

	It("shows the external network to every project and refuses to delete networks in use", func(ctx SpecContext) {
		n, err := networks.Get(ctx, c.network, seed.ExternalNetworkID).Extract()
		Expect(err).NotTo(HaveOccurred())
		Expect(n.Name).To(Equal(seed.ExternalNetworkName))
		_, err = ports.Create(ctx, c.network, ports.CreateOpts{NetworkID: seed.NetworkID}).Extract()
		Expect(err).NotTo(HaveOccurred())
		err = networks.Delete(ctx, c.network, seed.NetworkID).ExtractErr()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusConflict)).To(BeTrue())
		Expect(errorBody(err)).To(ContainSubstring(`"NetworkInUse"`))
		_, err = networks.Get(ctx, c.network, seed.OtherNetworkID).Extract()
		Expect(gophercloud.ResponseCodeIs(err, http.StatusNotFound)).To(BeTrue())
	})
})
