package ossim

import (
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

func (s *Sim) neutronRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+networkPrefix+"/{$}", s.networkVersions)
	r := func(method, path string, h func(*call)) { s.route(mux, "network", networkPrefix, method, path, h) }
	r("GET", "/v2.0/extensions", (*call).networkExtensions)
	r("GET", "/v2.0/networks", (*call).listNetworks)
	r("GET", "/v2.0/networks/{id}", (*call).getNetwork)
	r("POST", "/v2.0/networks", (*call).createNetwork)
	r("DELETE", "/v2.0/networks/{id}", (*call).deleteNetwork)
	r("GET", "/v2.0/subnets", (*call).listSubnets)
	r("GET", "/v2.0/subnets/{id}", (*call).getSubnet)
	r("POST", "/v2.0/subnets", (*call).createSubnet)
	r("DELETE", "/v2.0/subnets/{id}", (*call).deleteSubnet)
	r("GET", "/v2.0/ports", (*call).listPorts)
	r("GET", "/v2.0/ports/{id}", (*call).getPort)
	r("POST", "/v2.0/ports", (*call).createPort)
	r("PUT", "/v2.0/ports/{id}", (*call).updatePort)
	r("DELETE", "/v2.0/ports/{id}", (*call).deletePort)
	r("GET", "/v2.0/security-groups", (*call).listSecGroups)
	r("GET", "/v2.0/security-groups/{id}", (*call).getSecGroup)
	r("POST", "/v2.0/security-groups", (*call).createSecGroup)
	r("DELETE", "/v2.0/security-groups/{id}", (*call).deleteSecGroup)
	r("POST", "/v2.0/security-group-rules", (*call).createSecGroupRule)
	for _, res := range []string{"networks", "subnets", "ports", "security-groups"} {
		res := res
		r("GET", "/v2.0/"+res+"/{id}/tags", func(c *call) { c.tags(res, "get", "") })
		r("PUT", "/v2.0/"+res+"/{id}/tags", func(c *call) { c.tags(res, "replace", "") })
		r("DELETE", "/v2.0/"+res+"/{id}/tags", func(c *call) { c.tags(res, "clear", "") })
		r("GET", "/v2.0/"+res+"/{id}/tags/{tag}", func(c *call) { c.tags(res, "check", c.r.PathValue("tag")) })
		r("PUT", "/v2.0/"+res+"/{id}/tags/{tag}", func(c *call) { c.tags(res, "add", c.r.PathValue("tag")) })
		r("DELETE", "/v2.0/"+res+"/{id}/tags/{tag}", func(c *call) { c.tags(res, "remove", c.r.PathValue("tag")) })
	}
}

func (s *Sim) networkVersions(w http.ResponseWriter, _ *http.Request) {
	(&call{w: w, s: s}).json(http.StatusOK, map[string]any{"versions": []map[string]any{{"id": "v2.0", "status": "CURRENT",
		"links": []map[string]any{{"rel": "self", "href": s.url + networkPrefix + "/v2.0/"}}}}})
}

func (c *call) networkExtensions() {
	var out []map[string]any
	for _, alias := range []string{"standard-attr-tag", "standard-attr-description", "allowed-address-pairs", "port-security",
		"security-group", "binding", "quotas", "network_availability_zone", "external-net", "project-id", "pagination", "sorting"} {
		out = append(out, map[string]any{"alias": alias, "name": alias, "description": alias, "links": []any{}, "updated": "2022-09-01T10:00:00-00:00"})
	}
	c.json(http.StatusOK, map[string]any{"extensions": out})
}

// neutronNotFound answers Neutron's 404 for a resource type ("Port", "Network", ...).
func (c *call) neutronNotFound(kind, id string) {
	c.neutronError(http.StatusNotFound, kind+"NotFound", kind+" "+id+" could not be found.")
}

// visible tells whether an object of projectID is visible to the caller (shared ones are).
func (c *call) visible(projectID string, shared bool) bool {
	return shared || projectID == c.token.projectID
}

// filterMatch applies Neutron's generic query filters (exact attribute match, repeated values
// are ORed) and the tag filters.
func (c *call) filterMatch(attrs map[string]string, tags []string) bool {
	for key, values := range c.r.URL.Query() {
		switch key {
		case "limit", "marker", "fields", "sort_key", "sort_dir", "page_reverse":
			continue
		case "tags":
			if !hasAll(tags, splitComma(values[0])) {
				return false
			}
		case "tags-any":
			if !hasAny(tags, splitComma(values[0])) {
				return false
			}
		case "not-tags":
			if t := splitComma(values[0]); len(t) > 0 && hasAll(tags, t) {
				return false
			}
		case "not-tags-any":
			if hasAny(tags, splitComma(values[0])) {
				return false
			}
		default:
			v, known := attrs[key]
			if known && !slices.Contains(values, v) {
				return false
			}
		}
	}
	return true
}

// respondList pages a Neutron list (sorted by id, as Neutron does by default) and answers.
func respondList[T any](c *call, resource string, items []T, id func(T) string, render func(T) map[string]any) {
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	limit, ok := c.limit()
	if !ok {
		return
	}
	pageItems, more, ok := page(items, id, c.query("marker"), limit)
	if !ok {
		pageItems, more = nil, false // Neutron answers an empty list for an unknown marker
	}
	out := make([]map[string]any, 0, len(pageItems))
	for _, it := range pageItems {
		out = append(out, render(it))
	}
	key := strings.ReplaceAll(resource, "-", "_")
	body := map[string]any{key: out}
	if more {
		body[key+"_links"] = []map[string]any{{"rel": "next", "href": c.nextLink(networkPrefix+"/v2.0/"+resource, id(pageItems[len(pageItems)-1]), limit)}}
	}
	c.json(http.StatusOK, body)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (s *Sim) networkJSON(n *network) map[string]any {
	var subnets []string
	for _, sn := range s.st.subnets {
		if sn.networkID == n.id {
			subnets = append(subnets, sn.id)
		}
	}
	slices.Sort(subnets)
	return map[string]any{"id": n.id, "name": n.name, "tenant_id": n.projectID, "project_id": n.projectID, "status": "ACTIVE",
		"admin_state_up": true, "shared": n.shared, "router:external": n.external, "subnets": nonNil(subnets), "mtu": 1500,
		"tags": nonNil(n.tags), "description": "", "created_at": stamp(n.created), "updated_at": stamp(n.created),
		"availability_zones": []string{"nova"}, "port_security_enabled": true, "revision_number": 1}
}

func (c *call) listNetworks() {
	var items []*network
	for _, n := range c.s.st.networks {
		attrs := map[string]string{"id": n.id, "name": n.name, "project_id": n.projectID, "tenant_id": n.projectID,
			"shared": fmt.Sprint(n.shared), "router:external": fmt.Sprint(n.external), "status": "ACTIVE"}
		if c.visible(n.projectID, n.shared) && c.filterMatch(attrs, n.tags) {
			items = append(items, n)
		}
	}
	respondList(c, "networks", items, func(n *network) string { return n.id }, c.s.networkJSON)
}

func (c *call) networkOf() *network {
	n := c.s.st.networks[c.r.PathValue("id")]
	if n == nil || !c.visible(n.projectID, n.shared) {
		c.neutronNotFound("Network", c.r.PathValue("id"))
		return nil
	}
	return n
}

func (c *call) getNetwork() {
	if n := c.networkOf(); n != nil {
		c.json(http.StatusOK, map[string]any{"network": c.s.networkJSON(n)})
	}
}

func (c *call) createNetwork() {
	var body struct {
		Network struct {
			Name string `json:"name"`
		} `json:"network"`
	}
	if !c.decode(&body) {
		return
	}
	n := &network{id: newID(), name: body.Network.Name, projectID: c.token.projectID, created: time.Now(), seq: c.s.st.nextSeq()}
	c.s.st.networks[n.id] = n
	c.json(http.StatusCreated, map[string]any{"network": c.s.networkJSON(n)})
}

func (c *call) deleteNetwork() {
	n := c.networkOf()
	if n == nil {
		return
	}
	for _, p := range c.s.st.ports {
		if p.networkID == n.id && p.deviceOwner != "network:dhcp" {
			c.neutronError(http.StatusConflict, "NetworkInUse", "Unable to complete operation on network "+n.id+". There are one or more ports still in use on the network.")
			return
		}
	}
	for id, sn := range c.s.st.subnets {
		if sn.networkID == n.id {
			delete(c.s.st.subnets, id)
		}
	}
	delete(c.s.st.networks, n.id)
	c.noContent()
}

func subnetJSON(sn *subnet) map[string]any {
	return map[string]any{"id": sn.id, "name": sn.name, "network_id": sn.networkID, "tenant_id": sn.projectID, "project_id": sn.projectID,
		"cidr": sn.cidr.String(), "gateway_ip": sn.gateway.String(), "ip_version": 4, "enable_dhcp": true, "tags": nonNil(sn.tags),
		"allocation_pools": []map[string]any{{"start": sn.gateway.Next().String(), "end": lastAddr(sn.cidr).String()}},
		"dns_nameservers":  []string{}, "host_routes": []any{}, "description": "", "revision_number": 0}
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	bits := 32 - p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= (1<<bits - 1) - 1 // leave the broadcast address
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func (c *call) listSubnets() {
	var items []*subnet
	for _, sn := range c.s.st.subnets {
		n := c.s.st.networks[sn.networkID]
		attrs := map[string]string{"id": sn.id, "name": sn.name, "network_id": sn.networkID, "cidr": sn.cidr.String(), "project_id": sn.projectID}
		if c.visible(sn.projectID, n != nil && n.shared) && c.filterMatch(attrs, sn.tags) {
			items = append(items, sn)
		}
	}
	respondList(c, "subnets", items, func(sn *subnet) string { return sn.id }, subnetJSON)
}

func (c *call) getSubnet() {
	sn := c.s.st.subnets[c.r.PathValue("id")]
	if sn == nil || !c.visible(sn.projectID, false) {
		c.neutronNotFound("Subnet", c.r.PathValue("id"))
		return
	}
	c.json(http.StatusOK, map[string]any{"subnet": subnetJSON(sn)})
}

func (c *call) createSubnet() {
	var body struct {
		Subnet struct {
			Name      string `json:"name"`
			NetworkID string `json:"network_id"`
			CIDR      string `json:"cidr"`
			IPVersion int    `json:"ip_version"`
			GatewayIP string `json:"gateway_ip"`
		} `json:"subnet"`
	}
	if !c.decode(&body) {
		return
	}
	in := body.Subnet
	n := c.s.st.networks[in.NetworkID]
	if n == nil || !c.visible(n.projectID, false) {
		c.neutronNotFound("Network", in.NetworkID)
		return
	}
	prefix, err := netip.ParsePrefix(in.CIDR)
	if err != nil || !prefix.Addr().Is4() || prefix.Bits() > 30 {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for cidr. Reason: '"+in.CIDR+"' is not a valid IP subnet.")
		return
	}
	prefix = prefix.Masked()
	sn := &subnet{id: newID(), name: in.Name, networkID: n.id, projectID: c.token.projectID, cidr: prefix, gateway: prefix.Addr().Next(), seq: c.s.st.nextSeq()}
	if in.GatewayIP != "" {
		if gw, err := netip.ParseAddr(in.GatewayIP); err == nil && prefix.Contains(gw) {
			sn.gateway = gw
		}
	}
	sn.next = sn.gateway.Next()
	c.s.st.subnets[sn.id] = sn
	c.json(http.StatusCreated, map[string]any{"subnet": subnetJSON(sn)})
}

func (c *call) deleteSubnet() {
	sn := c.s.st.subnets[c.r.PathValue("id")]
	if sn == nil || !c.visible(sn.projectID, false) {
		c.neutronNotFound("Subnet", c.r.PathValue("id"))
		return
	}
	for _, p := range c.s.st.ports {
		for _, ip := range p.fixedIPs {
			if ip.SubnetID == sn.id {
				c.neutronError(http.StatusConflict, "SubnetInUse", "Unable to complete operation on subnet "+sn.id+": One or more ports have an IP allocation from this subnet.")
				return
			}
		}
	}
	delete(c.s.st.subnets, sn.id)
	c.noContent()
}

// allocate takes the next free address of a subnet.
func (s *Sim) allocate(sn *subnet) (netip.Addr, bool) {
	used := map[netip.Addr]bool{}
	for _, p := range s.st.ports {
		for _, ip := range p.fixedIPs {
			if a, err := netip.ParseAddr(ip.IPAddress); err == nil {
				used[a] = true
			}
		}
	}
	last := lastAddr(sn.cidr)
	for a, tries := sn.next, 0; tries < 1<<16; a, tries = a.Next(), tries+1 {
		if !sn.cidr.Contains(a) || a.Compare(last) > 0 {
			a = sn.gateway.Next()
		}
		if !used[a] && a != sn.gateway {
			sn.next = a.Next()
			return a, true
		}
	}
	return netip.Addr{}, false
}

// portQuotaError returns Neutron's quota message when n more ports exceed the project's quota.
func (s *Sim) portQuotaError(projectID string, n int) string {
	q := s.quota(projectID)
	if q.Ports < 0 {
		return ""
	}
	used := 0
	for _, p := range s.st.ports {
		if p.projectID == projectID {
			used++
		}
	}
	if used+n > q.Ports {
		return "Quota exceeded for resources: ['port']."
	}
	return ""
}

// newPort makes a port with an address from the network's first subnet (or the given subnets).
func (s *Sim) newPort(projectID, networkID, name, description string, subnets []string) *port {
	now := time.Now()
	p := &port{seq: s.st.nextSeq(), id: newID(), name: name, description: description, networkID: networkID, projectID: projectID,
		mac: newMAC(), status: "DOWN", adminUp: true, portSecurity: true, created: now, updated: now, revision: 1}
	if len(subnets) == 0 {
		var candidates []*subnet
		for _, sn := range s.st.subnets {
			if sn.networkID == networkID {
				candidates = append(candidates, sn)
			}
		}
		slices.SortFunc(candidates, func(a, b *subnet) int { return a.seq - b.seq })
		if len(candidates) > 0 {
			subnets = []string{candidates[0].id}
		}
	}
	for _, id := range subnets {
		if sn := s.st.subnets[id]; sn != nil {
			if a, ok := s.allocate(sn); ok {
				p.fixedIPs = append(p.fixedIPs, fixedIP{SubnetID: sn.id, IPAddress: a.String()})
			}
		}
	}
	s.st.ports[p.id] = p
	return p
}

func portJSON(p *port) map[string]any {
	ips := make([]map[string]any, 0, len(p.fixedIPs))
	for _, ip := range p.fixedIPs {
		ips = append(ips, map[string]any{"subnet_id": ip.SubnetID, "ip_address": ip.IPAddress})
	}
	pairs := make([]map[string]any, 0, len(p.allowedPairs))
	for _, pair := range p.allowedPairs {
		mac := pair.MACAddress
		if mac == "" {
			mac = p.mac
		}
		pairs = append(pairs, map[string]any{"ip_address": pair.IPAddress, "mac_address": mac})
	}
	return map[string]any{"id": p.id, "name": p.name, "description": p.description, "network_id": p.networkID,
		"tenant_id": p.projectID, "project_id": p.projectID, "mac_address": p.mac, "admin_state_up": p.adminUp, "status": p.status,
		"device_id": p.deviceID, "device_owner": p.deviceOwner, "fixed_ips": ips, "allowed_address_pairs": pairs,
		"security_groups": nonNil(p.secGroups), "tags": nonNil(p.tags), "binding:host_id": p.bindingHost, "binding:vnic_type": "normal",
		"binding:vif_type": map[bool]string{true: "ovs", false: "unbound"}[p.bindingHost != ""], "binding:profile": map[string]any{},
		"binding:vif_details": map[string]any{}, "port_security_enabled": p.portSecurity, "extra_dhcp_opts": []any{},
		"created_at": stamp(p.created), "updated_at": stamp(p.updated), "revision_number": p.revision, "propagate_uplink_status": false}
}

func (c *call) listPorts() {
	var items []*port
	for _, p := range c.s.st.ports {
		attrs := map[string]string{"id": p.id, "name": p.name, "description": p.description, "network_id": p.networkID,
			"device_id": p.deviceID, "device_owner": p.deviceOwner, "status": p.status, "mac_address": p.mac,
			"project_id": p.projectID, "tenant_id": p.projectID}
		if c.visible(p.projectID, false) && c.filterMatch(attrs, p.tags) {
			items = append(items, p)
		}
	}
	respondList(c, "ports", items, func(p *port) string { return p.id }, portJSON)
}

func (c *call) portOf() *port {
	p := c.s.st.ports[c.r.PathValue("id")]
	if p == nil || !c.visible(p.projectID, false) {
		c.neutronNotFound("Port", c.r.PathValue("id"))
		return nil
	}
	return p
}

func (c *call) getPort() {
	if p := c.portOf(); p != nil {
		c.json(http.StatusOK, map[string]any{"port": portJSON(p)})
	}
}

type portBody struct {
	Port struct {
		NetworkID           string    `json:"network_id"`
		Name                *string   `json:"name"`
		Description         *string   `json:"description"`
		AdminStateUp        *bool     `json:"admin_state_up"`
		SecurityGroups      *[]string `json:"security_groups"`
		AllowedAddressPairs *[]struct {
			IPAddress  string `json:"ip_address"`
			MACAddress string `json:"mac_address"`
		} `json:"allowed_address_pairs"`
		FixedIPs []struct {
			SubnetID  string `json:"subnet_id"`
			IPAddress string `json:"ip_address"`
		} `json:"fixed_ips"`
		Tags                []string `json:"tags"`
		PortSecurityEnabled *bool    `json:"port_security_enabled"`
		DeviceID            *string  `json:"device_id"`
		DeviceOwner         *string  `json:"device_owner"`
	} `json:"port"`
}

// applyPort applies the settable attributes of a port body; false after answering an error.
func (c *call) applyPort(p *port, b *portBody) bool {
	in := b.Port
	if in.Name != nil {
		p.name = *in.Name
	}
	if in.Description != nil {
		p.description = *in.Description
	}
	if in.AdminStateUp != nil {
		p.adminUp = *in.AdminStateUp
	}
	if in.PortSecurityEnabled != nil {
		p.portSecurity = *in.PortSecurityEnabled
	}
	if in.SecurityGroups != nil {
		var ids []string
		for _, id := range *in.SecurityGroups {
			g := c.s.st.secGroups[id]
			if g == nil || g.projectID != c.token.projectID {
				c.neutronError(http.StatusNotFound, "SecurityGroupNotFound", "Security group "+id+" does not exist")
				return false
			}
			ids = append(ids, id)
		}
		p.secGroups = ids
	}
	if in.AllowedAddressPairs != nil {
		var pairs []addressPair
		for _, pair := range *in.AllowedAddressPairs {
			if _, err := netip.ParsePrefix(pair.IPAddress); err != nil {
				if _, err := netip.ParseAddr(pair.IPAddress); err != nil {
					c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for allowed_address_pairs. Reason: '"+pair.IPAddress+"' is not a valid IP address.")
					return false
				}
			}
			pairs = append(pairs, addressPair{IPAddress: pair.IPAddress, MACAddress: pair.MACAddress})
		}
		p.allowedPairs = pairs
	}
	if in.DeviceID != nil {
		p.deviceID = *in.DeviceID
	}
	if in.DeviceOwner != nil {
		p.deviceOwner = *in.DeviceOwner
	}
	return true
}

func (c *call) createPort() {
	var body portBody
	if !c.decode(&body) {
		return
	}
	in := body.Port
	n := c.s.st.networks[in.NetworkID]
	if n == nil || !c.visible(n.projectID, n.shared) {
		c.neutronNotFound("Network", in.NetworkID)
		return
	}
	if msg := c.s.portQuotaError(c.token.projectID, 1); msg != "" {
		c.neutronError(http.StatusConflict, "OverQuota", msg)
		return
	}
	var subnets []string
	for _, ip := range in.FixedIPs {
		sn := c.s.st.subnets[ip.SubnetID]
		if sn == nil || sn.networkID != n.id {
			c.neutronError(http.StatusBadRequest, "InvalidInput", "Invalid input for operation: Failed to create port on network "+n.id+", because fixed_ips included invalid subnet "+ip.SubnetID+".")
			return
		}
		subnets = append(subnets, sn.id)
	}
	p := c.s.newPort(c.token.projectID, n.id, "", "", subnets)
	if body.Port.SecurityGroups == nil {
		if g := c.s.secGroupByNameOrID(c.token.projectID, "default"); g != nil {
			p.secGroups = []string{g.id}
		}
	}
	if !c.applyPort(p, &body) {
		delete(c.s.st.ports, p.id)
		return
	}
	p.tags = dedupeStrings(in.Tags)
	c.json(http.StatusCreated, map[string]any{"port": portJSON(p)})
}

func (c *call) updatePort() {
	p := c.portOf()
	if p == nil {
		return
	}
	var body portBody
	if !c.decode(&body) {
		return
	}
	before := *p
	if !c.applyPort(p, &body) {
		*p = before
		return
	}
	p.updated = time.Now()
	p.revision++
	c.json(http.StatusOK, map[string]any{"port": portJSON(p)})
}

// deletePort deletes a port; a port bound to a server may be deleted (Nova is told, the server
// loses the interface), as in Neutron.
func (c *call) deletePort() {
	p := c.portOf()
	if p == nil {
		return
	}
	if srv := c.s.st.servers[p.deviceID]; srv != nil {
		srv.portIDs = removeString(srv.portIDs, p.id)
	}
	delete(c.s.st.ports, p.id)
	c.noContent()
}

func (s *Sim) secGroupByNameOrID(projectID, nameOrID string) *secGroup {
	if g := s.st.secGroups[nameOrID]; g != nil && g.projectID == projectID {
		return g
	}
	for _, g := range s.st.secGroups {
		if g.projectID == projectID && g.name == nameOrID {
			return g
		}
	}
	return nil
}

func secGroupJSON(g *secGroup) map[string]any {
	return map[string]any{"id": g.id, "name": g.name, "description": g.description, "tenant_id": g.projectID, "project_id": g.projectID,
		"security_group_rules": nonNilMaps(g.rules), "tags": nonNil(g.tags), "stateful": true, "revision_number": 1,
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
}

func (c *call) listSecGroups() {
	var items []*secGroup
	for _, g := range c.s.st.secGroups {
		attrs := map[string]string{"id": g.id, "name": g.name, "project_id": g.projectID, "tenant_id": g.projectID}
		if c.visible(g.projectID, false) && c.filterMatch(attrs, g.tags) {
			items = append(items, g)
		}
	}
	respondList(c, "security-groups", items, func(g *secGroup) string { return g.id }, secGroupJSON)
}

func (c *call) secGroupOf() *secGroup {
	g := c.s.st.secGroups[c.r.PathValue("id")]
	if g == nil || !c.visible(g.projectID, false) {
		c.neutronError(http.StatusNotFound, "SecurityGroupNotFound", "Security group "+c.r.PathValue("id")+" does not exist")
		return nil
	}
	return g
}

func (c *call) getSecGroup() {
	if g := c.secGroupOf(); g != nil {
		c.json(http.StatusOK, map[string]any{"security_group": secGroupJSON(g)})
	}
}

func (c *call) createSecGroup() {
	var body struct {
		SecurityGroup struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"security_group"`
	}
	if !c.decode(&body) {
		return
	}
	g := &secGroup{seq: c.s.st.nextSeq(), id: newID(), name: body.SecurityGroup.Name, description: body.SecurityGroup.Description, projectID: c.token.projectID}
	c.s.st.secGroups[g.id] = g
	c.json(http.StatusCreated, map[string]any{"security_group": secGroupJSON(g)})
}

func (c *call) deleteSecGroup() {
	g := c.secGroupOf()
	if g == nil {
		return
	}
	for _, p := range c.s.st.ports {
		if slices.Contains(p.secGroups, g.id) {
			c.neutronError(http.StatusConflict, "SecurityGroupInUse", "Security Group "+g.id+" in use.")
			return
		}
	}
	delete(c.s.st.secGroups, g.id)
	c.noContent()
}

func (c *call) createSecGroupRule() {
	var body struct {
		Rule map[string]any `json:"security_group_rule"`
	}
	if !c.decode(&body) {
		return
	}
	id, _ := body.Rule["security_group_id"].(string)
	g := c.s.st.secGroups[id]
	if g == nil || g.projectID != c.token.projectID {
		c.neutronError(http.StatusNotFound, "SecurityGroupNotFound", "Security group "+id+" does not exist")
		return
	}
	rule := maps.Clone(body.Rule)
	rule["id"] = newID()
	rule["project_id"] = c.token.projectID
	g.rules = append(g.rules, rule)
	c.json(http.StatusCreated, map[string]any{"security_group_rule": rule})
}

// tags serves Neutron's tag API for one resource type.
func (c *call) tags(resource, op, tag string) {
	var tags *[]string
	id := c.r.PathValue("id")
	st := c.s.st
	switch resource {
	case "networks":
		if n := st.networks[id]; n != nil && c.visible(n.projectID, false) {
			tags = &n.tags
		}
	case "subnets":
		if sn := st.subnets[id]; sn != nil && c.visible(sn.projectID, false) {
			tags = &sn.tags
		}
	case "ports":
		if p := st.ports[id]; p != nil && c.visible(p.projectID, false) {
			tags = &p.tags
		}
	case "security-groups":
		if g := st.secGroups[id]; g != nil && c.visible(g.projectID, false) {
			tags = &g.tags
		}
	}
	if tags == nil {
		c.neutronError(http.StatusNotFound, "NotFound", "The resource could not be found.")
		return
	}
	switch op {
	case "get":
		c.json(http.StatusOK, map[string]any{"tags": nonNil(*tags)})
	case "replace":
		var body struct {
			Tags []string `json:"tags"`
		}
		if !c.decode(&body) {
			return
		}
		for _, t := range body.Tags {
			if t == "" || len(t) > 255 {
				c.neutronError(http.StatusBadRequest, "InvalidInput", "Invalid input for operation: '"+t+"' is not a valid tag.")
				return
			}
		}
		*tags = dedupeStrings(body.Tags)
		c.json(http.StatusOK, map[string]any{"tags": nonNil(*tags)})
	case "clear":
		*tags = nil
		c.noContent()
	case "check":
		if !slices.Contains(*tags, tag) {
			c.neutronError(http.StatusNotFound, "TagNotFound", "Tag "+tag+" could not be found for "+strings.TrimSuffix(resource, "s")+" "+id+".")
			return
		}
		c.noContent()
	case "add":
		if !slices.Contains(*tags, tag) {
			*tags = append(*tags, tag)
		}
		c.w.WriteHeader(http.StatusCreated)
	case "remove":
		if !slices.Contains(*tags, tag) {
			c.neutronError(http.StatusNotFound, "TagNotFound", "Tag "+tag+" could not be found.")
			return
		}
		*tags = removeString(*tags, tag)
		c.noContent()
	}
}
