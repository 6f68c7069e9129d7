package ossim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

func (s *Sim) neutronRoutes(mux *http.ServeMux) {
	s.doc(mux, "network", networkPrefix, []string{"", "/"}, (*call).networkVersions)
	r := func(method, path string, h func(*call)) { s.handle(mux, "network", networkPrefix, method, path, h) }
	r("GET", "/v2.0/extensions", (*call).networkExtensions)
	r("GET", "/v2.0/networks", (*call).listNetworks)
	r("POST", "/v2.0/networks", (*call).createNetwork)
	r("GET", "/v2.0/networks/{id}", (*call).getNetwork)
	r("PUT", "/v2.0/networks/{id}", (*call).updateNetwork)
	r("DELETE", "/v2.0/networks/{id}", (*call).deleteNetwork)
	r("GET", "/v2.0/subnets", (*call).listSubnets)
	r("POST", "/v2.0/subnets", (*call).createSubnet)
	r("GET", "/v2.0/subnets/{id}", (*call).getSubnet)
	r("DELETE", "/v2.0/subnets/{id}", (*call).deleteSubnet)
	r("GET", "/v2.0/ports", (*call).listPorts)
	r("POST", "/v2.0/ports", (*call).createPort)
	r("GET", "/v2.0/ports/{id}", (*call).getPort)
	r("PUT", "/v2.0/ports/{id}", (*call).updatePort)
	r("DELETE", "/v2.0/ports/{id}", (*call).deletePort)
	r("GET", "/v2.0/security-groups", (*call).listSecGroups)
	r("POST", "/v2.0/security-groups", (*call).createSecGroup)
	r("GET", "/v2.0/security-groups/{id}", (*call).getSecGroup)
	r("PUT", "/v2.0/security-groups/{id}", (*call).updateSecGroup)
	r("DELETE", "/v2.0/security-groups/{id}", (*call).deleteSecGroup)
	r("GET", "/v2.0/security-group-rules", (*call).listSecGroupRules)
	r("POST", "/v2.0/security-group-rules", (*call).createSecGroupRule)
	r("GET", "/v2.0/security-group-rules/{id}", (*call).getSecGroupRule)
	r("DELETE", "/v2.0/security-group-rules/{id}", (*call).deleteSecGroupRule)
	for _, res := range []string{"networks", "subnets", "ports", "security-groups"} {
		r("GET", "/v2.0/"+res+"/{id}/tags", func(c *call) { c.tags(res, "get") })
		r("PUT", "/v2.0/"+res+"/{id}/tags", func(c *call) { c.tags(res, "replace") })
		r("DELETE", "/v2.0/"+res+"/{id}/tags", func(c *call) { c.tags(res, "clear") })
		r("GET", "/v2.0/"+res+"/{id}/tags/{tag}", func(c *call) { c.tags(res, "check") })
		r("PUT", "/v2.0/"+res+"/{id}/tags/{tag}", func(c *call) { c.tags(res, "add") })
		r("DELETE", "/v2.0/"+res+"/{id}/tags/{tag}", func(c *call) { c.tags(res, "remove") })
	}
	s.unrouted(mux, "network", networkPrefix+"/v2.0/")
}

func (c *call) networkVersions() {
	c.json(http.StatusOK, map[string]any{"versions": []map[string]any{{"id": "v2.0", "status": "CURRENT",
		"links": []map[string]any{{"rel": "self", "href": c.s.url + networkPrefix + "/v2.0/"}}}}})
}

// neutronExtensions are the extensions the simulated Neutron has (and implements).
var neutronExtensions = []string{"standard-attr-tag", "tag-creation", "standard-attr-description", "standard-attr-revisions",
	"standard-attr-timestamp", "allowed-address-pairs", "port-security", "security-group", "binding", "quotas", "external-net",
	"network_availability_zone", "project-id", "pagination", "sorting", "fields", "filter-validation", "net-mtu"}

func (c *call) networkExtensions() {
	out := []map[string]any{}
	for _, alias := range neutronExtensions {
		out = append(out, map[string]any{"alias": alias, "name": alias, "description": alias, "links": []any{}, "updated": "2022-09-01T10:00:00-00:00"})
	}
	c.json(http.StatusOK, map[string]any{"extensions": out})
}

func neutronTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// notFound answers Neutron's 404 for a resource kind ("Port", "Network", ...).
func (c *call) notFound(kind, id string) {
	c.neutronError(http.StatusNotFound, kind+"NotFound", kind+" "+id+" could not be found.")
}

func (c *call) networkVisible(n *network) bool {
	return n.projectID == c.token.projectID || n.shared || n.external
}

// neutronBody decodes {"<resource>": {...}} and rejects attributes Neutron does not know, as
// Neutron does ("Unrecognized attribute(s)").
func (c *call) neutronBody(resource string, known []string, v any) bool {
	var raw map[string]map[string]json.RawMessage
	if err := json.NewDecoder(c.r.Body).Decode(&raw); err != nil || raw[resource] == nil {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Resource body required")
		return false
	}
	var unknown []string
	for k := range raw[resource] {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Unrecognized attribute(s) '"+strings.Join(unknown, ", ")+"'")
		return false
	}
	b, _ := json.Marshal(raw[resource])
	if err := json.Unmarshal(b, v); err != nil {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for operation: "+err.Error())
		return false
	}
	return true
}

// listing is one Neutron list request: filters validated against the resource's attributes.
type listing struct {
	c        *call
	resource string   // URL name, e.g. "security-groups"
	attrs    []string // filterable and sortable attributes
}

var listControls = []string{"limit", "marker", "fields", "sort_key", "sort_dir", "page_reverse", "tags", "tags-any", "not-tags", "not-tags-any"}

// validate answers 400 for query keys that are no attribute of the resource (Neutron's filter
// validation, on by default since Rocky).
func (l listing) validate() bool {
	for key := range l.c.r.URL.Query() {
		if !slices.Contains(listControls, key) && !slices.Contains(l.attrs, key) {
			l.c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "["+key+"] is invalid attribute for filtering")
			return false
		}
	}
	for _, k := range l.c.r.URL.Query()["sort_key"] {
		if !slices.Contains(l.attrs, k) {
			l.c.neutronError(http.StatusBadRequest, "HTTPBadRequest", k+" is invalid attribute for sort_key")
			return false
		}
	}
	return true
}

// match applies the attribute filters (repeated values are ORed) and the tag filters to one
// object, given its attributes in their query-string form.
func (l listing) match(attrs map[string]string, tags []string) bool {
	for key, values := range l.c.r.URL.Query() {
		switch key {
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
			v, ok := attrs[key]
			if ok && !slices.ContainsFunc(values, func(want string) bool { return normalizeBool(want) == v }) {
				return false
			}
		}
	}
	return true
}

func normalizeBool(v string) string {
	switch strings.ToLower(v) {
	case "true":
		return "true"
	case "false":
		return "false"
	}
	return v
}

// respond sorts (by sort_key/sort_dir, else by id as Neutron's pagination does), pages and
// answers. Neutron gives a next link whenever a page is full and a previous link after a marker;
// an unknown marker is the resource's 404.
func respond[T any](l listing, kind string, items []T, attrs func(T) map[string]string, render func(T) map[string]any) {
	c := l.c
	q := c.r.URL.Query()
	keys, dirs := q["sort_key"], q["sort_dir"]
	all := make([]map[string]string, len(items))
	for i, it := range items {
		all[i] = attrs(it)
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		for i, k := range keys {
			if r := strings.Compare(all[a][k], all[b][k]); r != 0 {
				if i < len(dirs) && dirs[i] == "desc" {
					return -r
				}
				return r
			}
		}
		return strings.Compare(all[a]["id"], all[b]["id"])
	})
	limit, ok := c.pageLimit(c.s.opts.MaxLimit)
	if !ok {
		return
	}
	marker := q.Get("marker")
	pageIdx, found := pageOf(order, func(i int) string { return all[i]["id"] }, marker, limit)
	if !found {
		c.notFound(kind, marker)
		return
	}
	fields := q["fields"]
	out := make([]map[string]any, 0, len(pageIdx))
	for _, i := range pageIdx {
		m := render(items[i])
		if len(fields) > 0 {
			m = pickFields(m, fields)
		}
		out = append(out, m)
	}
	key := strings.ReplaceAll(l.resource, "-", "_")
	body := map[string]any{key: out}
	var links []map[string]any
	path := networkPrefix + "/v2.0/" + l.resource
	if len(pageIdx) > 0 && len(pageIdx) == limit {
		links = append(links, map[string]any{"rel": "next", "href": c.nextLink(path, all[pageIdx[len(pageIdx)-1]]["id"])})
	}
	if marker != "" && len(pageIdx) > 0 {
		prev := c.r.URL.Query()
		prev.Set("marker", all[pageIdx[0]]["id"])
		prev.Set("page_reverse", "True")
		links = append(links, map[string]any{"rel": "previous", "href": c.s.url + path + "?" + prev.Encode()})
	}
	if links != nil {
		body[key+"_links"] = links
	}
	c.json(http.StatusOK, body)
}

// pickFields keeps only the fields asked for, as Neutron's "fields" query does.
func pickFields(m map[string]any, fields []string) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		if v, ok := m[f]; ok {
			out[f] = v
		}
	}
	return out
}

// --- networks --------------------------------------------------------------------------------

var networkAttrs = []string{"id", "name", "description", "project_id", "tenant_id", "shared", "router:external",
	"status", "admin_state_up", "mtu", "revision_number", "created_at", "updated_at", "port_security_enabled"}

func (c *call) networkAttrs(n *network) map[string]string {
	return map[string]string{"id": n.id, "name": n.name, "description": n.description, "project_id": n.projectID,
		"tenant_id": n.projectID, "shared": fmt.Sprint(n.shared), "router:external": fmt.Sprint(n.external), "status": "ACTIVE",
		"admin_state_up": fmt.Sprint(n.adminUp), "mtu": "1500", "revision_number": fmt.Sprint(n.revision),
		"created_at": neutronTime(n.created), "updated_at": neutronTime(n.updated), "port_security_enabled": "true"}
}

func (c *call) networkJSON(n *network) map[string]any {
	subnets := []string{}
	for _, sn := range c.st.subnetsOf(n.id) {
		subnets = append(subnets, sn.id)
	}
	slices.Sort(subnets)
	d := map[string]any{"id": n.id, "name": n.name, "tenant_id": n.projectID, "project_id": n.projectID, "status": "ACTIVE",
		"admin_state_up": n.adminUp, "shared": n.shared, "router:external": n.external, "subnets": subnets, "mtu": 1500,
		"tags": orEmpty(slices.Clone(n.tags)), "description": n.description, "created_at": neutronTime(n.created),
		"updated_at": neutronTime(n.updated), "availability_zone_hints": []string{}, "availability_zones": []string{"nova"},
		"ipv4_address_scope": nil, "ipv6_address_scope": nil, "port_security_enabled": true, "revision_number": n.revision,
		"l2_adjacency": true, "qos_policy_id": nil}
	if n.external {
		d["is_default"] = true
	}
	return d
}

func (c *call) listNetworks() {
	l := listing{c: c, resource: "networks", attrs: networkAttrs}
	if !l.validate() {
		return
	}
	var items []*network
	for _, n := range c.st.networks {
		if c.networkVisible(n) && l.match(c.networkAttrs(n), n.tags) {
			items = append(items, n)
		}
	}
	respond(l, "Network", items, c.networkAttrs, c.networkJSON)
}

func (c *call) networkOf() *network {
	n := c.st.networks[c.r.PathValue("id")]
	if n == nil || !c.networkVisible(n) {
		c.notFound("Network", c.r.PathValue("id"))
		return nil
	}
	return n
}

func (c *call) getNetwork() {
	if n := c.networkOf(); n != nil {
		c.json(http.StatusOK, map[string]any{"network": c.networkJSON(n)})
	}
}

type networkBody struct {
	Name         *string  `json:"name"`
	Description  *string  `json:"description"`
	AdminStateUp *bool    `json:"admin_state_up"`
	Shared       *bool    `json:"shared"`
	External     *bool    `json:"router:external"`
	Tags         []string `json:"tags"`
}

var networkBodyKeys = []string{"name", "description", "admin_state_up", "shared", "router:external", "tags", "mtu",
	"port_security_enabled", "availability_zone_hints", "dns_domain", "qos_policy_id", "tenant_id", "project_id"}

// ownerOnly answers Neutron's 403 for attributes only admins may set.
func (c *call) ownerOnly(b networkBody, action string) bool {
	if (b.Shared != nil && *b.Shared) || (b.External != nil && *b.External) {
		c.neutronError(http.StatusForbidden, "PolicyNotAuthorized", "(rule:"+action+"_network:shared) is disallowed by policy")
		return false
	}
	return true
}

func (c *call) createNetwork() {
	var in networkBody
	if !c.neutronBody("network", networkBodyKeys, &in) || !c.ownerOnly(in, "create") || !c.validTags(in.Tags) {
		return
	}
	now := time.Now().UTC()
	n := &network{seq: c.st.nextSeq(), id: newID(), projectID: c.token.projectID, adminUp: true, created: now, updated: now, revision: 1,
		tags: dedupe(in.Tags)}
	c.applyNetwork(n, in)
	c.st.networks[n.id] = n
	c.json(http.StatusCreated, map[string]any{"network": c.networkJSON(n)})
}

func (c *call) applyNetwork(n *network, in networkBody) {
	if in.Name != nil {
		n.name = *in.Name
	}
	if in.Description != nil {
		n.description = *in.Description
	}
	if in.AdminStateUp != nil {
		n.adminUp = *in.AdminStateUp
	}
}

func (c *call) updateNetwork() {
	n := c.networkOf()
	if n == nil {
		return
	}
	var in networkBody
	if !c.neutronBody("network", networkBodyKeys, &in) || !c.ownerOnly(in, "update") {
		return
	}
	if n.projectID != c.token.projectID {
		c.notFound("Network", n.id)
		return
	}
	c.applyNetwork(n, in)
	n.updated, n.revision = time.Now().UTC(), n.revision+1
	c.json(http.StatusOK, map[string]any{"network": c.networkJSON(n)})
}

func (c *call) deleteNetwork() {
	n := c.networkOf()
	if n == nil {
		return
	}
	if n.projectID != c.token.projectID {
		c.neutronError(http.StatusForbidden, "PolicyNotAuthorized", "(rule:delete_network) is disallowed by policy")
		return
	}
	for _, p := range c.st.ports {
		if p.networkID == n.id {
			c.neutronError(http.StatusConflict, "NetworkInUse", "Unable to complete operation on network "+n.id+". There are one or more ports still in use on the network.")
			return
		}
	}
	for _, sn := range c.st.subnetsOf(n.id) {
		delete(c.st.subnets, sn.id)
	}
	delete(c.st.networks, n.id)
	c.status(http.StatusNoContent)
}

// --- subnets ---------------------------------------------------------------------------------

var subnetAttrs = []string{"id", "name", "description", "network_id", "project_id", "tenant_id", "cidr", "gateway_ip",
	"ip_version", "enable_dhcp", "revision_number", "created_at", "updated_at", "subnetpool_id"}

func (st *state) subnetsOf(networkID string) []*subnet {
	var out []*subnet
	for _, sn := range st.subnets {
		if sn.networkID == networkID {
			out = append(out, sn)
		}
	}
	slices.SortFunc(out, func(a, b *subnet) int { return a.seq - b.seq })
	return out
}

func (c *call) subnetAttrs(sn *subnet) map[string]string {
	return map[string]string{"id": sn.id, "name": sn.name, "description": sn.description, "network_id": sn.networkID,
		"project_id": sn.projectID, "tenant_id": sn.projectID, "cidr": sn.cidr.String(), "gateway_ip": gatewayString(sn),
		"ip_version": "4", "enable_dhcp": fmt.Sprint(sn.enableDHCP), "revision_number": fmt.Sprint(sn.revision),
		"created_at": neutronTime(sn.created), "updated_at": neutronTime(sn.updated), "subnetpool_id": ""}
}

func gatewayString(sn *subnet) string {
	if !sn.gateway.IsValid() {
		return ""
	}
	return sn.gateway.String()
}

func (c *call) subnetJSON(sn *subnet) map[string]any {
	first, last := firstHost(sn.cidr), lastHost(sn.cidr)
	pools := []map[string]any{}
	switch sn.gateway {
	case first:
		pools = append(pools, map[string]any{"start": first.Next().String(), "end": last.String()})
	case last:
		pools = append(pools, map[string]any{"start": first.String(), "end": last.Prev().String()})
	default:
		pools = append(pools, map[string]any{"start": first.String(), "end": last.String()})
	}
	return map[string]any{"id": sn.id, "name": sn.name, "network_id": sn.networkID, "tenant_id": sn.projectID, "project_id": sn.projectID,
		"cidr": sn.cidr.String(), "gateway_ip": nilIfEmpty(gatewayString(sn)), "ip_version": 4, "enable_dhcp": sn.enableDHCP,
		"tags": orEmpty(slices.Clone(sn.tags)), "allocation_pools": pools, "dns_nameservers": orEmpty(slices.Clone(sn.dns)),
		"host_routes": []any{}, "description": sn.description, "revision_number": sn.revision, "ipv6_ra_mode": nil,
		"ipv6_address_mode": nil, "subnetpool_id": nil, "service_types": []string{}, "segment_id": nil,
		"dns_publish_fixed_ip": false, "created_at": neutronTime(sn.created), "updated_at": neutronTime(sn.updated)}
}

func (c *call) subnetVisible(sn *subnet) bool {
	n := c.st.networks[sn.networkID]
	return sn.projectID == c.token.projectID || (n != nil && n.shared)
}

func (c *call) listSubnets() {
	l := listing{c: c, resource: "subnets", attrs: subnetAttrs}
	if !l.validate() {
		return
	}
	var items []*subnet
	for _, sn := range c.st.subnets {
		if c.subnetVisible(sn) && l.match(c.subnetAttrs(sn), sn.tags) {
			items = append(items, sn)
		}
	}
	respond(l, "Subnet", items, c.subnetAttrs, c.subnetJSON)
}

func (c *call) subnetOf() *subnet {
	sn := c.st.subnets[c.r.PathValue("id")]
	if sn == nil || !c.subnetVisible(sn) {
		c.notFound("Subnet", c.r.PathValue("id"))
		return nil
	}
	return sn
}

func (c *call) getSubnet() {
	if sn := c.subnetOf(); sn != nil {
		c.json(http.StatusOK, map[string]any{"subnet": c.subnetJSON(sn)})
	}
}

// newSubnet adds an IPv4 subnet; an invalid gateway means the first host.
func (s *Sim) newSubnet(projectID, networkID, name string, cidr netip.Prefix, gateway netip.Addr) *subnet {
	now := time.Now().UTC()
	cidr = cidr.Masked()
	if !gateway.IsValid() {
		gateway = firstHost(cidr)
	}
	sn := &subnet{seq: s.st.nextSeq(), id: newID(), name: name, networkID: networkID, projectID: projectID, cidr: cidr,
		gateway: gateway, next: firstHost(cidr), enableDHCP: true, created: now, updated: now, revision: 0}
	s.st.subnets[sn.id] = sn
	return sn
}

func (c *call) createSubnet() {
	var in struct {
		Name           string   `json:"name"`
		Description    string   `json:"description"`
		NetworkID      string   `json:"network_id"`
		CIDR           string   `json:"cidr"`
		IPVersion      int      `json:"ip_version"`
		GatewayIP      *string  `json:"gateway_ip"`
		EnableDHCP     *bool    `json:"enable_dhcp"`
		DNSNameservers []string `json:"dns_nameservers"`
		Tags           []string `json:"tags"`
	}
	keys := []string{"name", "description", "network_id", "cidr", "ip_version", "gateway_ip", "enable_dhcp", "dns_nameservers",
		"tags", "allocation_pools", "host_routes", "subnetpool_id", "prefixlen", "ipv6_ra_mode", "ipv6_address_mode",
		"service_types", "segment_id", "dns_publish_fixed_ip", "tenant_id", "project_id"}
	if !c.neutronBody("subnet", keys, &in) || !c.validTags(in.Tags) {
		return
	}
	n := c.st.networks[in.NetworkID]
	if n == nil || !c.networkVisible(n) {
		c.notFound("Network", in.NetworkID)
		return
	}
	if n.projectID != c.token.projectID {
		c.neutronError(http.StatusForbidden, "PolicyNotAuthorized", "(rule:create_subnet and rule:create_subnet:network_id) is disallowed by policy")
		return
	}
	if in.IPVersion != 4 {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", fmt.Sprintf("Invalid input for ip_version. Reason: '%d' is not in [4]: only IPv4 subnets are simulated.", in.IPVersion))
		return
	}
	prefix, err := netip.ParsePrefix(in.CIDR)
	if err != nil || !prefix.Addr().Is4() || prefix.Bits() > 30 {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for cidr. Reason: '"+in.CIDR+"' is not a valid IP subnet.")
		return
	}
	prefix = prefix.Masked()
	for _, other := range c.st.subnetsOf(n.id) {
		if other.cidr.Overlaps(prefix) {
			c.neutronError(http.StatusBadRequest, "InvalidInput", "Invalid input for operation: Requested subnet with cidr: "+prefix.String()+" for network: "+n.id+" overlaps with another subnet.")
			return
		}
	}
	var gw netip.Addr
	if in.GatewayIP != nil && *in.GatewayIP != "" {
		if gw, err = netip.ParseAddr(*in.GatewayIP); err != nil || !prefix.Contains(gw) {
			c.neutronError(http.StatusBadRequest, "InvalidInput", "Invalid input for operation: Gateway IP "+*in.GatewayIP+" is not in subnet "+prefix.String()+".")
			return
		}
	}
	sn := c.s.newSubnet(c.token.projectID, n.id, in.Name, prefix, gw)
	if in.GatewayIP != nil && *in.GatewayIP == "" {
		sn.gateway = netip.Addr{}
	}
	sn.description, sn.dns, sn.tags = in.Description, in.DNSNameservers, dedupe(in.Tags)
	if in.EnableDHCP != nil {
		sn.enableDHCP = *in.EnableDHCP
	}
	c.json(http.StatusCreated, map[string]any{"subnet": c.subnetJSON(sn)})
}

func (c *call) deleteSubnet() {
	sn := c.subnetOf()
	if sn == nil {
		return
	}
	for _, p := range c.st.ports {
		if slices.ContainsFunc(p.fixedIPs, func(ip fixedIP) bool { return ip.subnetID == sn.id }) {
			c.neutronError(http.StatusConflict, "SubnetInUse", "Unable to complete operation on subnet "+sn.id+": One or more ports have an IP allocation from this subnet.")
			return
		}
	}
	delete(c.st.subnets, sn.id)
	c.status(http.StatusNoContent)
}

// firstHost and lastHost bound the usable addresses of an IPv4 subnet (network and broadcast
// addresses excluded).
func firstHost(p netip.Prefix) netip.Addr { return p.Masked().Addr().Next() }

func lastHost(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).Prev() //nolint:gosec // G115: taking the address's bytes apart truncates on purpose
}

// --- tags ------------------------------------------------------------------------------------

// validTags checks tags as Neutron does: non-empty strings of at most 255 characters.
func (c *call) validTags(tags []string) bool {
	for _, t := range tags {
		if t == "" || len(t) > 255 {
			c.neutronError(http.StatusBadRequest, "InvalidInput", "Invalid input for operation: '"+t+"' is not a valid tag.")
			return false
		}
	}
	return true
}

// tags serves Neutron's tag API for one resource type.
func (c *call) tags(resource, op string) {
	id, tag := c.r.PathValue("id"), c.r.PathValue("tag")
	st := c.st
	var tags *[]string
	var rev *int
	switch resource {
	case "networks":
		if n := st.networks[id]; n != nil && c.networkVisible(n) {
			tags, rev = &n.tags, &n.revision
		}
	case "subnets":
		if sn := st.subnets[id]; sn != nil && c.subnetVisible(sn) {
			tags, rev = &sn.tags, &sn.revision
		}
	case "ports":
		if p := st.ports[id]; p != nil && p.projectID == c.token.projectID {
			tags, rev = &p.tags, &p.revision
		}
	case "security-groups":
		if g := st.secGroups[id]; g != nil && g.projectID == c.token.projectID {
			tags, rev = &g.tags, &g.revision
		}
	}
	if tags == nil {
		kind := map[string]string{"networks": "Network", "subnets": "Subnet", "ports": "Port", "security-groups": "SecurityGroup"}[resource]
		c.notFound(kind, id)
		return
	}
	changed := true
	switch op {
	case "get":
		changed = false
		c.json(http.StatusOK, map[string]any{"tags": orEmpty(slices.Clone(*tags))})
	case "replace":
		var body struct {
			Tags *[]string `json:"tags"`
		}
		if !c.decode(&body) {
			return
		}
		if body.Tags == nil {
			c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid tags body")
			return
		}
		if !c.validTags(*body.Tags) {
			return
		}
		*tags = dedupe(*body.Tags)
		c.json(http.StatusOK, map[string]any{"tags": orEmpty(slices.Clone(*tags))})
	case "clear":
		*tags = nil
		c.status(http.StatusNoContent)
	case "check":
		changed = false
		if !slices.Contains(*tags, tag) {
			c.neutronError(http.StatusNotFound, "TagNotFound", "Tag "+tag+" could not be found for "+strings.TrimSuffix(resource, "s")+" "+id+".")
			return
		}
		c.status(http.StatusNoContent)
	case "add":
		if !c.validTags([]string{tag}) {
			return
		}
		if !slices.Contains(*tags, tag) {
			*tags = append(*tags, tag)
		}
		c.status(http.StatusCreated)
	case "remove":
		if !slices.Contains(*tags, tag) {
			c.neutronError(http.StatusNotFound, "TagNotFound", "Tag "+tag+" could not be found for "+strings.TrimSuffix(resource, "s")+" "+id+".")
			return
		}
		*tags = slices.DeleteFunc(*tags, func(t string) bool { return t == tag })
		c.status(http.StatusNoContent)
	}
	if changed {
		*rev++ // tags are a standard attribute: changing them bumps the revision
	}
}
