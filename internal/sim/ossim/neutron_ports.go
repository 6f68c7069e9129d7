package ossim

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxAddressPairs is Neutron's default max_allowed_address_pair.
const maxAddressPairs = 10

var portAttrs = []string{"id", "name", "description", "network_id", "project_id", "tenant_id", "mac_address", "admin_state_up",
	"status", "device_id", "device_owner", "fixed_ips", "security_groups", "binding:vnic_type", "port_security_enabled",
	"revision_number", "created_at", "updated_at", "binding:host_id"}

var portBodyKeys = []string{"network_id", "name", "description", "admin_state_up", "mac_address", "fixed_ips", "security_groups",
	"allowed_address_pairs", "port_security_enabled", "device_id", "device_owner", "binding:vnic_type", "binding:host_id",
	"binding:profile", "extra_dhcp_opts", "dns_name", "tags", "qos_policy_id", "propagate_uplink_status", "tenant_id", "project_id"}

type portBody struct {
	NetworkID    *string `json:"network_id"`
	Name         *string `json:"name"`
	Description  *string `json:"description"`
	AdminStateUp *bool   `json:"admin_state_up"`
	MACAddress   *string `json:"mac_address"`
	FixedIPs     *[]struct {
		SubnetID  string `json:"subnet_id"`
		IPAddress string `json:"ip_address"`
	} `json:"fixed_ips"`
	SecurityGroups      *[]string `json:"security_groups"`
	AllowedAddressPairs *[]struct {
		IPAddress  string `json:"ip_address"`
		MACAddress string `json:"mac_address"`
	} `json:"allowed_address_pairs"`
	PortSecurityEnabled *bool          `json:"port_security_enabled"`
	DeviceID            *string        `json:"device_id"`
	DeviceOwner         *string        `json:"device_owner"`
	VNICType            *string        `json:"binding:vnic_type"`
	HostID              *string        `json:"binding:host_id"`
	Profile             map[string]any `json:"binding:profile"`
	Tags                []string       `json:"tags"`
}

// portAttrs is a port in its query-string form; fixed_ips are matched by listPorts itself.
func (c *call) portAttrs(p *port) map[string]string {
	return map[string]string{"id": p.id, "name": p.name, "description": p.description, "network_id": p.networkID,
		"project_id": p.projectID, "tenant_id": p.projectID, "mac_address": p.mac, "admin_state_up": fmt.Sprint(p.adminUp),
		"status": p.status, "device_id": p.deviceID, "device_owner": p.deviceOwner, "binding:vnic_type": p.vnicType,
		"port_security_enabled": fmt.Sprint(p.portSecurity), "revision_number": strconv.Itoa(p.revision),
		"created_at": neutronTime(p.created), "updated_at": neutronTime(p.updated)}
}

// portJSON renders a port as a non-admin sees it: the binding:host_id, binding:profile,
// binding:vif_type and binding:vif_details attributes are admin-only in Neutron's policy.
func (c *call) portJSON(p *port) map[string]any {
	ips := make([]map[string]any, 0, len(p.fixedIPs))
	for _, ip := range p.fixedIPs {
		ips = append(ips, map[string]any{"subnet_id": ip.subnetID, "ip_address": ip.address})
	}
	pairs := make([]map[string]any, 0, len(p.allowedPairs))
	for _, pair := range p.allowedPairs {
		pairs = append(pairs, map[string]any{"ip_address": pair.ip, "mac_address": pair.mac})
	}
	return map[string]any{"id": p.id, "name": p.name, "description": p.description, "network_id": p.networkID,
		"tenant_id": p.projectID, "project_id": p.projectID, "mac_address": p.mac, "admin_state_up": p.adminUp, "status": p.status,
		"device_id": p.deviceID, "device_owner": p.deviceOwner, "fixed_ips": ips, "allowed_address_pairs": pairs,
		"security_groups": orEmpty(slices.Clone(p.secGroups)), "tags": orEmpty(slices.Clone(p.tags)), "binding:vnic_type": p.vnicType,
		"port_security_enabled": p.portSecurity, "extra_dhcp_opts": []any{}, "dns_name": "", "dns_assignment": []any{},
		"qos_policy_id": nil, "qos_network_policy_id": nil, "resource_request": nil, "ip_allocation": "immediate",
		"created_at": neutronTime(p.created), "updated_at": neutronTime(p.updated), "revision_number": p.revision,
		"propagate_uplink_status": false}
}

func (c *call) listPorts() {
	l := listing{c: c, resource: "ports", attrs: portAttrs}
	if !l.validate() {
		return
	}
	// fixed_ips=ip_address=X and fixed_ips=subnet_id=Y narrow the list; all must hold.
	var wantIPs []fixedIP
	var substrs []string
	for _, f := range c.r.URL.Query()["fixed_ips"] {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "ip_address":
			wantIPs = append(wantIPs, fixedIP{address: v})
		case "subnet_id":
			wantIPs = append(wantIPs, fixedIP{subnetID: v})
		case "ip_address_substr":
			substrs = append(substrs, v)
		default:
			c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for operation: '"+f+"' is not a valid fixed_ips filter.")
			return
		}
	}
	sgFilter := c.r.URL.Query()["security_groups"]
	var items []*port
	for _, p := range c.st.ports {
		attrs := c.portAttrs(p)
		delete(attrs, "fixed_ips")
		if p.projectID != c.token.projectID || !l.match(attrs, p.tags) {
			continue
		}
		if !hasAll(p.secGroups, sgFilter) {
			continue
		}
		hasSubstr := func(sub string) bool {
			return slices.ContainsFunc(p.fixedIPs, func(ip fixedIP) bool { return strings.Contains(ip.address, sub) })
		}
		if !slices.ContainsFunc(wantIPs, func(w fixedIP) bool { return !p.hasIP(w) }) &&
			!slices.ContainsFunc(substrs, func(sub string) bool { return !hasSubstr(sub) }) {
			items = append(items, p)
		}
	}
	respond(l, "Port", items, c.portAttrs, c.portJSON)
}

func (p *port) hasIP(w fixedIP) bool {
	return slices.ContainsFunc(p.fixedIPs, func(ip fixedIP) bool {
		return (w.address == "" || ip.address == w.address) && (w.subnetID == "" || ip.subnetID == w.subnetID)
	})
}

func (c *call) portOf() *port {
	p := c.st.ports[c.r.PathValue("id")]
	if p == nil || p.projectID != c.token.projectID {
		c.notFound("Port", c.r.PathValue("id"))
		return nil
	}
	return p
}

func (c *call) getPort() {
	if p := c.portOf(); p != nil {
		c.json(http.StatusOK, map[string]any{"port": c.portJSON(p)})
	}
}

// portQuotaExceeded tells whether n more ports exceed the project's port quota.
func (s *Sim) portQuotaExceeded(projectID string, n int) bool {
	q := s.st.quota(projectID)
	if q.Ports < 0 {
		return false
	}
	used := 0
	for _, p := range s.st.ports {
		if p.projectID == projectID {
			used++
		}
	}
	return used+n > q.Ports
}

// addressInUse tells whether an address is allocated on a network.
func (st *state) addressInUse(networkID string, a netip.Addr) bool {
	for _, p := range st.ports {
		if p.networkID == networkID && slices.ContainsFunc(p.fixedIPs, func(ip fixedIP) bool { return ip.address == a.String() }) {
			return true
		}
	}
	return false
}

// errAllocation carries Neutron's answer to an address that cannot be had.
type errAllocation struct {
	code      int
	typ, text string
}

func (e *errAllocation) Error() string { return e.text }

// allocate resolves the fixed IPs asked for (subnet, address or both; none means one address
// on the network's first subnet) into addresses. Free addresses are handed out in order.
func (s *Sim) allocate(networkID string, want []fixedIP) ([]fixedIP, error) {
	subnets := s.st.subnetsOf(networkID)
	if len(want) == 0 {
		if len(subnets) == 0 {
			return nil, nil // a port without addresses, as on a network without subnets
		}
		want = []fixedIP{{subnetID: subnets[0].id}}
	}
	taken := map[string]bool{}
	var out []fixedIP
	for _, w := range want {
		var sn *subnet
		var addr netip.Addr
		if w.address != "" {
			a, err := netip.ParseAddr(w.address)
			if err != nil {
				return nil, &errAllocation{http.StatusBadRequest, "HTTPBadRequest", "Invalid input for fixed_ips. Reason: '" + w.address + "' is not a valid IP address."}
			}
			addr = a
		}
		for _, cand := range subnets {
			if (w.subnetID == "" || cand.id == w.subnetID) && (!addr.IsValid() || cand.cidr.Contains(addr)) {
				sn = cand
				break
			}
		}
		switch {
		case sn == nil && w.subnetID != "" && !addr.IsValid():
			return nil, &errAllocation{http.StatusBadRequest, "InvalidInput", "Invalid input for operation: Failed to create port on network " + networkID + ", because fixed_ips included invalid subnet " + w.subnetID + "."}
		case sn == nil:
			return nil, &errAllocation{http.StatusBadRequest, "InvalidIpForNetwork", "IP address " + w.address + " is not a valid IP for any of the subnets on the specified network."}
		case addr.IsValid():
			if addr == sn.gateway || addr.Compare(firstHost(sn.cidr)) < 0 || addr.Compare(lastHost(sn.cidr)) > 0 {
				return nil, &errAllocation{http.StatusBadRequest, "InvalidIpForSubnet", "IP address " + addr.String() + " is not a valid IP for the specified subnet."}
			}
			if s.st.addressInUse(networkID, addr) || taken[addr.String()] {
				return nil, &errAllocation{http.StatusConflict, "IpAddressAlreadyAllocated", "IP address " + addr.String() + " already allocated in subnet " + sn.id}
			}
		default:
			a, ok := s.nextFree(sn, taken)
			if !ok {
				return nil, &errAllocation{http.StatusConflict, "IpAddressGenerationFailure", "No more IP addresses available on network " + networkID + "."}
			}
			addr = a
		}
		taken[addr.String()] = true
		out = append(out, fixedIP{subnetID: sn.id, address: addr.String()})
	}
	return out, nil
}

// nextFree takes the next free address of a subnet, going on where the last one was taken
// and wrapping around.
func (s *Sim) nextFree(sn *subnet, taken map[string]bool) (netip.Addr, bool) {
	first, last := firstHost(sn.cidr), lastHost(sn.cidr)
	a := sn.next
	for range 1 << 16 {
		if !a.IsValid() || a.Compare(first) < 0 || a.Compare(last) > 0 {
			a = first
		}
		if a != sn.gateway && !taken[a.String()] && !s.st.addressInUse(sn.networkID, a) {
			sn.next = a.Next()
			return a, true
		}
		a = a.Next()
	}
	return netip.Addr{}, false
}

// newPort makes a port with addresses from the network (see allocate).
func (s *Sim) newPort(projectID, networkID string, want []fixedIP) (*port, error) {
	ips, err := s.allocate(networkID, want)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	p := &port{seq: s.st.nextSeq(), id: newID(), networkID: networkID, projectID: projectID, mac: newMAC(), fixedIPs: ips,
		status: "DOWN", vnicType: "normal", adminUp: true, portSecurity: true, created: now, updated: now, revision: 1}
	s.st.ports[p.id] = p
	return p, nil
}

func (c *call) allocationError(err error) {
	var ae *errAllocation
	if errors.As(err, &ae) {
		c.neutronError(ae.code, ae.typ, ae.text)
		return
	}
	c.neutronError(http.StatusInternalServerError, "HTTPInternalServerError", err.Error())
}

// applyPort applies the settable attributes of a port body in Neutron's order of checks;
// false after answering an error (the caller restores the port).
func (c *call) applyPort(p *port, in *portBody) bool {
	if in.HostID != nil || in.Profile != nil {
		c.neutronError(http.StatusForbidden, "PolicyNotAuthorized", "(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy")
		return false
	}
	if in.Name != nil {
		p.name = *in.Name
	}
	if in.Description != nil {
		p.description = *in.Description
	}
	if in.AdminStateUp != nil {
		p.adminUp = *in.AdminStateUp
	}
	if in.DeviceID != nil {
		p.deviceID = *in.DeviceID
	}
	if in.DeviceOwner != nil {
		p.deviceOwner = *in.DeviceOwner
	}
	if in.VNICType != nil {
		p.vnicType = *in.VNICType
	}
	hadSecurity := p.portSecurity
	if in.PortSecurityEnabled != nil {
		p.portSecurity = *in.PortSecurityEnabled
	}
	if in.SecurityGroups != nil {
		var ids []string
		for _, id := range *in.SecurityGroups {
			g := c.st.secGroups[id]
			if g == nil || g.projectID != c.token.projectID {
				c.neutronError(http.StatusNotFound, "SecurityGroupNotFound", "Security group "+id+" does not exist")
				return false
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
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
			mac := pair.MACAddress
			if mac == "" {
				mac = p.mac
			}
			ap := addressPair{ip: pair.IPAddress, mac: mac}
			if slices.Contains(pairs, ap) {
				c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for allowed_address_pairs. Reason: Duplicate address pair in the list.")
				return false
			}
			pairs = append(pairs, ap)
		}
		if len(pairs) > maxAddressPairs {
			c.neutronError(http.StatusBadRequest, "AllowedAddressPairExhausted", fmt.Sprintf("The number of allowed address pair exceeds the maximum %d.", maxAddressPairs))
			return false
		}
		p.allowedPairs = pairs
	}
	// Port security ties the attributes together, as Neutron's port-security extension does.
	switch {
	case !p.portSecurity && len(p.allowedPairs) > 0:
		c.neutronError(http.StatusConflict, "AddressPairAndPortSecurityRequired", "Port Security must be enabled in order to have allowed address pairs on a port.")
		return false
	case !p.portSecurity && len(p.secGroups) > 0 && in.SecurityGroups != nil:
		c.neutronError(http.StatusBadRequest, "PortSecurityAndIPRequiredForSecurityGroups", "Port security must be enabled and port must have an IP address in order to use security groups.")
		return false
	case !p.portSecurity && len(p.secGroups) > 0 && hadSecurity:
		c.neutronError(http.StatusConflict, "PortSecurityPortHasSecurityGroup", "Port has security group associated. Cannot disable port security or ip address until security group is removed")
		return false
	}
	return c.validTags(in.Tags)
}

func (c *call) createPort() {
	var in portBody
	if !c.neutronBody("port", portBodyKeys, &in) {
		return
	}
	if in.NetworkID == nil {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Failed to parse request. Required attribute 'network_id' not specified")
		return
	}
	n := c.st.networks[*in.NetworkID]
	if n == nil || !c.networkVisible(n) {
		c.notFound("Network", *in.NetworkID)
		return
	}
	if n.external && !n.shared {
		c.neutronError(http.StatusForbidden, "PolicyNotAuthorized", "(rule:create_port and rule:create_port:network_id) is disallowed by policy")
		return
	}
	if c.s.portQuotaExceeded(c.token.projectID, 1) {
		c.neutronError(http.StatusConflict, "OverQuota", "Quota exceeded for resources: ['port'].")
		return
	}
	var want []fixedIP
	if in.FixedIPs != nil {
		for _, ip := range *in.FixedIPs {
			want = append(want, fixedIP{subnetID: ip.SubnetID, address: ip.IPAddress})
		}
	}
	p, err := c.s.newPort(c.token.projectID, n.id, want)
	if err != nil {
		c.allocationError(err)
		return
	}
	if in.MACAddress != nil {
		p.mac = *in.MACAddress
	}
	if in.SecurityGroups == nil && (in.PortSecurityEnabled == nil || *in.PortSecurityEnabled) {
		if g := c.s.secGroupByName(c.token.projectID, "default"); g != nil {
			p.secGroups = []string{g.id}
		}
	}
	if !c.applyPort(p, &in) {
		delete(c.st.ports, p.id)
		return
	}
	p.tags = dedupe(in.Tags)
	c.json(http.StatusCreated, map[string]any{"port": c.portJSON(p)})
}

func (c *call) updatePort() {
	p := c.portOf()
	if p == nil {
		return
	}
	var in portBody
	if !c.neutronBody("port", portBodyKeys, &in) {
		return
	}
	if in.NetworkID != nil && *in.NetworkID != p.networkID {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Cannot update read-only attribute network_id")
		return
	}
	if in.MACAddress != nil && *in.MACAddress != p.mac && p.deviceOwner != "" {
		c.neutronError(http.StatusConflict, "PortBound", "Unable to complete operation on port "+p.id+", port is already bound, port type: ovs, old_mac "+p.mac+", new_mac "+*in.MACAddress+".")
		return
	}
	before := *p
	before.fixedIPs, before.allowedPairs, before.secGroups = slices.Clone(p.fixedIPs), slices.Clone(p.allowedPairs), slices.Clone(p.secGroups)
	if in.FixedIPs != nil {
		var want []fixedIP
		for _, ip := range *in.FixedIPs {
			want = append(want, fixedIP{subnetID: ip.SubnetID, address: ip.IPAddress})
		}
		p.fixedIPs = nil // the port's own addresses may be asked for again
		ips, err := c.s.allocate(p.networkID, want)
		if err != nil {
			*p = before
			c.allocationError(err)
			return
		}
		p.fixedIPs = ips
	}
	if in.MACAddress != nil {
		p.mac = *in.MACAddress
	}
	if in.Tags != nil {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Cannot update read-only attribute tags")
		*p = before
		return
	}
	if !c.applyPort(p, &in) {
		*p = before
		return
	}
	p.updated = time.Now().UTC()
	p.revision++
	c.json(http.StatusOK, map[string]any{"port": c.portJSON(p)})
}

// deletePort deletes a port, bound or not: Neutron lets it go and tells Nova, which detaches
// the interface from the server.
func (c *call) deletePort() {
	p := c.portOf()
	if p == nil {
		return
	}
	if srv := c.st.servers[p.deviceID]; srv != nil {
		srv.portIDs = slices.DeleteFunc(srv.portIDs, func(id string) bool { return id == p.id })
	}
	delete(c.st.ports, p.id)
	c.status(http.StatusNoContent)
}

// --- security groups -------------------------------------------------------------------------

var secGroupAttrs = []string{"id", "name", "description", "project_id", "tenant_id", "stateful", "revision_number", "created_at", "updated_at"}

// newSecGroup makes a group with the rules Neutron gives every new group: all egress, over IPv4
// and IPv6; the "default" group also admits ingress from its own members.
func (s *Sim) newSecGroup(projectID, name, description string) *secGroup {
	now := time.Now().UTC()
	g := &secGroup{seq: s.st.nextSeq(), id: newID(), name: name, description: description, projectID: projectID, created: now, updated: now, revision: 1}
	for _, eth := range []string{"IPv4", "IPv6"} {
		g.rules = append(g.rules, &sgRule{id: newID(), groupID: g.id, projectID: projectID, direction: "egress", ethertype: eth, created: now})
		if name == "default" {
			g.rules = append(g.rules, &sgRule{id: newID(), groupID: g.id, projectID: projectID, direction: "ingress", ethertype: eth, remoteGroup: g.id, created: now})
		}
	}
	s.st.secGroups[g.id] = g
	return g
}

func (s *Sim) secGroupByName(projectID, name string) *secGroup {
	for _, g := range s.st.secGroups {
		if g.projectID == projectID && g.name == name {
			return g
		}
	}
	return nil
}

func (c *call) secGroupAttrs(g *secGroup) map[string]string {
	return map[string]string{"id": g.id, "name": g.name, "description": g.description, "project_id": g.projectID,
		"tenant_id": g.projectID, "stateful": "true", "revision_number": strconv.Itoa(g.revision),
		"created_at": neutronTime(g.created), "updated_at": neutronTime(g.updated)}
}

func (c *call) secGroupJSON(g *secGroup) map[string]any {
	rules := make([]map[string]any, 0, len(g.rules))
	for _, r := range g.rules {
		rules = append(rules, ruleJSON(r))
	}
	return map[string]any{"id": g.id, "name": g.name, "description": g.description, "tenant_id": g.projectID, "project_id": g.projectID,
		"security_group_rules": rules, "tags": orEmpty(slices.Clone(g.tags)), "stateful": true, "shared": false,
		"revision_number": g.revision, "created_at": neutronTime(g.created), "updated_at": neutronTime(g.updated)}
}

func (c *call) listSecGroups() {
	l := listing{c: c, resource: "security-groups", attrs: secGroupAttrs}
	if !l.validate() {
		return
	}
	var items []*secGroup
	for _, g := range c.st.secGroups {
		if g.projectID == c.token.projectID && l.match(c.secGroupAttrs(g), g.tags) {
			items = append(items, g)
		}
	}
	respond(l, "SecurityGroup", items, c.secGroupAttrs, c.secGroupJSON)
}

func (c *call) secGroupOf(id string) *secGroup {
	g := c.st.secGroups[id]
	if g == nil || g.projectID != c.token.projectID {
		c.neutronError(http.StatusNotFound, "SecurityGroupNotFound", "Security group "+id+" does not exist")
		return nil
	}
	return g
}

func (c *call) getSecGroup() {
	if g := c.secGroupOf(c.r.PathValue("id")); g != nil {
		c.json(http.StatusOK, map[string]any{"security_group": c.secGroupJSON(g)})
	}
}

type secGroupBody struct {
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	Tags        []string `json:"tags"`
}

var secGroupBodyKeys = []string{"name", "description", "stateful", "tags", "tenant_id", "project_id"}

func (c *call) createSecGroup() {
	var in secGroupBody
	if !c.neutronBody("security_group", secGroupBodyKeys, &in) || !c.validTags(in.Tags) {
		return
	}
	name, desc := deref(in.Name), deref(in.Description)
	if name == "default" {
		c.neutronError(http.StatusConflict, "SecurityGroupDefaultAlreadyExists", "Default security group already exists.")
		return
	}
	g := c.s.newSecGroup(c.token.projectID, name, desc)
	g.tags = dedupe(in.Tags)
	c.json(http.StatusCreated, map[string]any{"security_group": c.secGroupJSON(g)})
}

func (c *call) updateSecGroup() {
	g := c.secGroupOf(c.r.PathValue("id"))
	if g == nil {
		return
	}
	var in secGroupBody
	if !c.neutronBody("security_group", secGroupBodyKeys, &in) {
		return
	}
	if in.Name != nil {
		if g.name == "default" && *in.Name != "default" {
			c.neutronError(http.StatusConflict, "SecurityGroupCannotUpdateDefault", "Updating default security group not allowed.")
			return
		}
		g.name = *in.Name
	}
	if in.Description != nil {
		g.description = *in.Description
	}
	g.updated, g.revision = time.Now().UTC(), g.revision+1
	c.json(http.StatusOK, map[string]any{"security_group": c.secGroupJSON(g)})
}

func (c *call) deleteSecGroup() {
	g := c.secGroupOf(c.r.PathValue("id"))
	if g == nil {
		return
	}
	if g.name == "default" {
		c.neutronError(http.StatusConflict, "SecurityGroupCannotRemoveDefault", "Insufficient rights for removing default security group.")
		return
	}
	for _, p := range c.st.ports {
		if slices.Contains(p.secGroups, g.id) {
			c.neutronError(http.StatusConflict, "SecurityGroupInUse", "Security Group "+g.id+" in use.")
			return
		}
	}
	delete(c.st.secGroups, g.id)
	c.status(http.StatusNoContent)
}

// --- security group rules --------------------------------------------------------------------

var ruleAttrs = []string{"id", "security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
	"remote_ip_prefix", "remote_group_id", "description", "project_id", "tenant_id"}

func ruleJSON(r *sgRule) map[string]any {
	var portMin, portMax any
	if r.portMin != nil {
		portMin = *r.portMin
	}
	if r.portMax != nil {
		portMax = *r.portMax
	}
	return map[string]any{"id": r.id, "security_group_id": r.groupID, "direction": r.direction, "ethertype": r.ethertype,
		"protocol": nilIfEmpty(r.protocol), "port_range_min": portMin, "port_range_max": portMax,
		"remote_ip_prefix": nilIfEmpty(r.remoteIP), "remote_group_id": nilIfEmpty(r.remoteGroup), "remote_address_group_id": nil,
		"normalized_cidr": nilIfEmpty(r.remoteIP), "description": r.description, "tenant_id": r.projectID, "project_id": r.projectID,
		"created_at": neutronTime(r.created), "updated_at": neutronTime(r.created), "revision_number": 0}
}

func ruleAttrMap(r *sgRule) map[string]string {
	m := map[string]string{}
	for k, v := range ruleJSON(r) {
		if v != nil {
			m[k] = fmt.Sprint(v)
		}
	}
	return m
}

func (c *call) listSecGroupRules() {
	l := listing{c: c, resource: "security-group-rules", attrs: ruleAttrs}
	if !l.validate() {
		return
	}
	var items []*sgRule
	for _, g := range c.st.secGroups {
		if g.projectID != c.token.projectID {
			continue
		}
		for _, r := range g.rules {
			if l.match(ruleAttrMap(r), nil) {
				items = append(items, r)
			}
		}
	}
	respond(l, "SecurityGroupRule", items, ruleAttrMap, func(r *sgRule) map[string]any { return ruleJSON(r) })
}

func (c *call) ruleOf() (*secGroup, *sgRule) {
	id := c.r.PathValue("id")
	for _, g := range c.st.secGroups {
		for _, r := range g.rules {
			if r.id == id && g.projectID == c.token.projectID {
				return g, r
			}
		}
	}
	c.neutronError(http.StatusNotFound, "SecurityGroupRuleNotFound", "Security group rule "+id+" does not exist")
	return nil, nil
}

func (c *call) getSecGroupRule() {
	if _, r := c.ruleOf(); r != nil {
		c.json(http.StatusOK, map[string]any{"security_group_rule": ruleJSON(r)})
	}
}

func (c *call) deleteSecGroupRule() {
	if g, r := c.ruleOf(); r != nil {
		g.rules = slices.DeleteFunc(g.rules, func(x *sgRule) bool { return x == r })
		g.revision++
		c.status(http.StatusNoContent)
	}
}

func (c *call) createSecGroupRule() {
	var in struct {
		GroupID     string  `json:"security_group_id"`
		Direction   string  `json:"direction"`
		Ethertype   string  `json:"ethertype"`
		Protocol    *string `json:"protocol"`
		PortMin     *int    `json:"port_range_min"`
		PortMax     *int    `json:"port_range_max"`
		RemoteIP    *string `json:"remote_ip_prefix"`
		RemoteGroup *string `json:"remote_group_id"`
		Description string  `json:"description"`
	}
	keys := append(slices.Clone(ruleAttrs), "remote_address_group_id")
	if !c.neutronBody("security_group_rule", keys, &in) {
		return
	}
	g := c.secGroupOf(in.GroupID)
	if g == nil {
		return
	}
	if in.Direction != "ingress" && in.Direction != "egress" {
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for direction. Reason: '"+in.Direction+"' is not in ['ingress', 'egress'].")
		return
	}
	r := &sgRule{id: newID(), groupID: g.id, projectID: g.projectID, direction: in.Direction, ethertype: in.Ethertype,
		protocol: strings.ToLower(deref(in.Protocol)), portMin: in.PortMin, portMax: in.PortMax, remoteIP: deref(in.RemoteIP),
		remoteGroup: deref(in.RemoteGroup), description: in.Description, created: time.Now().UTC()}
	if r.ethertype == "" {
		r.ethertype = "IPv4"
	}
	switch {
	case r.ethertype != "IPv4" && r.ethertype != "IPv6":
		c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for ethertype. Reason: '"+r.ethertype+"' is not in ['IPv4', 'IPv6'].")
		return
	case r.remoteIP != "" && r.remoteGroup != "":
		c.neutronError(http.StatusBadRequest, "SecurityGroupRemoteGroupAndRemoteIpPrefix", "Only remote_ip_prefix or remote_group_id may be provided.")
		return
	case (r.portMin != nil || r.portMax != nil) && !slices.Contains([]string{"tcp", "udp", "sctp", "6", "17", "132", "icmp", "1"}, r.protocol):
		c.neutronError(http.StatusBadRequest, "SecurityGroupProtocolRequiredWithPorts", "Must also specify protocol if port range is given.")
		return
	case r.portMin != nil && r.portMax != nil && *r.portMin > *r.portMax && r.protocol != "icmp":
		c.neutronError(http.StatusBadRequest, "SecurityGroupInvalidPortRange", "For TCP/UDP protocols, port_range_min must be <= port_range_max")
		return
	}
	if r.remoteIP != "" {
		p, err := netip.ParsePrefix(r.remoteIP)
		if err != nil {
			a, aerr := netip.ParseAddr(r.remoteIP)
			if aerr != nil {
				c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Invalid input for remote_ip_prefix. Reason: '"+r.remoteIP+"' is not a valid IP subnet.")
				return
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		r.remoteIP = p.Masked().String()
	}
	if r.remoteGroup != "" && c.secGroupOf(r.remoteGroup) == nil {
		return
	}
	for _, other := range g.rules {
		a, b := *other, *r
		a.id, b.id, a.description, b.description, a.created, b.created = "", "", "", "", time.Time{}, time.Time{}
		if fmt.Sprint(ruleJSON(&a)) == fmt.Sprint(ruleJSON(&b)) {
			c.neutronError(http.StatusConflict, "SecurityGroupRuleExists", "Security group rule already exists. Rule id is "+other.id+".")
			return
		}
	}
	g.rules = append(g.rules, r)
	g.revision++
	c.json(http.StatusCreated, map[string]any{"security_group_rule": ruleJSON(r)})
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
