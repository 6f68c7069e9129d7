package ossim

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

func nameList(names []string) []map[string]any {
	out := make([]map[string]any, 0, len(names))
	for _, n := range names {
		out = append(out, map[string]any{"name": n})
	}
	return out
}

func (s *Sim) serverLinks(id string) []map[string]any {
	return []map[string]any{
		{"rel": "self", "href": s.url + computePrefix + "/servers/" + id},
		{"rel": "bookmark", "href": s.url + "/compute/servers/" + id},
	}
}

// serverOf returns the caller's server with the path's id, or answers 404.
func (c *call) serverOf() *server {
	srv := c.st.servers[c.r.PathValue("id")]
	if srv == nil || srv.projectID != c.token.projectID {
		c.fail(http.StatusNotFound, "Instance "+c.r.PathValue("id")+" could not be found.")
		return nil
	}
	return srv
}

func (c *call) getServer() {
	if srv := c.serverOf(); srv != nil {
		c.json(http.StatusOK, map[string]any{"server": c.serverDetail(srv)})
	}
}

// serverDetail renders a server as Nova does at the call's microversion, as a non-admin sees it.
func (c *call) serverDetail(srv *server) map[string]any {
	st := c.st
	addresses := map[string][]map[string]any{}
	var sgs []string
	for _, pid := range srv.portIDs {
		p := st.ports[pid]
		if p == nil {
			continue
		}
		netName := p.networkID
		if n := st.networks[p.networkID]; n != nil {
			netName = n.name
		}
		for _, ip := range p.fixedIPs {
			addresses[netName] = append(addresses[netName], map[string]any{
				"version": 4, "addr": ip.address, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": p.mac})
		}
		for _, g := range p.secGroups {
			if sg := st.secGroups[g]; sg != nil && !slices.Contains(sgs, sg.name) {
				sgs = append(sgs, sg.name)
			}
		}
	}
	power := 0 // NOSTATE until the guest runs
	if srv.status == "ACTIVE" {
		power = 1
	}
	var taskState any
	switch {
	case srv.taskState != "":
		taskState = srv.taskState
	case srv.status == "BUILD":
		taskState = "spawning"
	}
	var launched any
	if !srv.launched.IsZero() {
		launched = srv.launched.UTC().Format("2006-01-02T15:04:05.000000")
	}
	d := map[string]any{
		"id": srv.id, "name": srv.name, "status": srv.status, "tenant_id": srv.projectID, "user_id": srv.userID,
		"metadata": orEmptyMap(srv.metadata), "hostId": hostID(srv.projectID, srv.host), "image": "", "key_name": nilIfEmpty(srv.keyName),
		"created": novaTime(srv.created), "updated": novaTime(srv.updated), "addresses": addresses, "accessIPv4": "", "accessIPv6": "",
		"links": c.s.serverLinks(srv.id), "OS-DCF:diskConfig": "MANUAL", "OS-EXT-AZ:availability_zone": srv.az,
		"config_drive":          map[bool]string{true: "True", false: ""}[srv.configDrive],
		"OS-EXT-STS:task_state": taskState, "OS-EXT-STS:vm_state": srv.vmState(), "OS-EXT-STS:power_state": power,
		"OS-SRV-USG:launched_at": launched, "OS-SRV-USG:terminated_at": nil,
	}
	if srv.status != "ERROR" {
		d["progress"] = 0
	}
	if len(sgs) > 0 {
		d["security_groups"] = nameList(sgs)
	}
	if srv.imageID != "" {
		d["image"] = map[string]any{"id": srv.imageID, "links": []map[string]any{{"rel": "bookmark", "href": c.s.url + "/compute/images/" + srv.imageID}}}
	}
	if c.micro.atLeast(2, 47) {
		d["flavor"] = map[string]any{"original_name": srv.flavor.name, "vcpus": srv.flavor.vcpus, "ram": srv.flavor.ramMB,
			"disk": srv.flavor.diskGB, "ephemeral": 0, "swap": 0, "extra_specs": srv.flavor.extraSpecs}
	} else {
		d["flavor"] = map[string]any{"id": srv.flavor.id, "links": []map[string]any{{"rel": "bookmark", "href": c.s.url + "/compute/flavors/" + srv.flavor.id}}}
	}
	vols := []map[string]any{}
	for _, v := range srv.volumes {
		entry := map[string]any{"id": v.id}
		if c.micro.atLeast(2, 3) {
			entry["delete_on_termination"] = v.deleteOnTermination
		}
		vols = append(vols, entry)
	}
	d["os-extended-volumes:volumes_attached"] = vols
	if srv.fault != nil {
		// Non-admins see no "details" of a 500 fault.
		d["fault"] = map[string]any{"code": srv.fault.code, "message": srv.fault.message, "created": novaTime(srv.fault.created)}
	}
	if c.micro.atLeast(2, 9) {
		d["locked"] = false
	}
	if c.micro.atLeast(2, 19) {
		d["description"] = nilIfEmpty(srv.description)
	}
	if c.micro.atLeast(2, 26) {
		d["tags"] = orEmpty(slices.Clone(srv.tags))
	}
	if c.micro.atLeast(2, 63) {
		d["trusted_image_certificates"] = nil
	}
	if c.micro.atLeast(2, 71) {
		d["server_groups"] = orEmpty([]string{})
		if srv.group != "" {
			d["server_groups"] = []string{srv.group}
		}
	}
	if c.micro.atLeast(2, 73) {
		d["locked_reason"] = nil
	}
	if c.micro.atLeast(2, 90) {
		d["OS-EXT-SRV-ATTR:hostname"] = hostnameOf(srv.name)
	}
	return d
}

var notHostname = regexp.MustCompile(`[^a-z0-9-]+`)

// hostnameOf is the hostname Nova derives from a display name.
func hostnameOf(name string) string {
	h := strings.Trim(notHostname.ReplaceAllString(strings.ToLower(strings.ReplaceAll(name, " ", "-")), ""), "-")
	if len(h) > 63 {
		h = h[:63]
	}
	return h
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// listServers serves GET /servers and /servers/detail, newest first, with the filters Nova
// gives non-admins. name (and ip) are regular expressions searched anywhere in the value:
// Nova hands them to the database's REGEXP, which on MySQL/MariaDB with Nova's
// case-insensitive collation also ignores case. tags/tags-any/not-tags/not-tags-any take
// comma-separated lists (2.26+); status is matched without case; unknown filters are ignored.
func (c *call) listServers(detail bool) {
	q := c.r.URL.Query()
	if v := q.Get("all_tenants"); v != "" && !strings.EqualFold(v, "false") && v != "0" {
		c.fail(http.StatusForbidden, "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.")
		return
	}
	regexFilter := func(name string) (*regexp.Regexp, bool) {
		v := q.Get(name)
		if v == "" {
			return nil, true
		}
		re, err := regexp.Compile("(?i)" + v)
		if err != nil {
			// The database rejects the pattern; Nova has no handler for that.
			c.fail(http.StatusInternalServerError, "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class 'oslo_db.exception.DBError'>")
			return nil, false
		}
		return re, true
	}
	nameRE, ok := regexFilter("name")
	if !ok {
		return
	}
	ipRE, ok := regexFilter("ip")
	if !ok {
		return
	}
	var allTags, anyTags, notTags, notAny []string
	if c.micro.atLeast(2, 26) {
		allTags, anyTags = splitComma(q.Get("tags")), splitComma(q.Get("tags-any"))
		notTags, notAny = splitComma(q.Get("not-tags")), splitComma(q.Get("not-tags-any"))
	}
	statuses := q["status"]
	image, flavorID := lastSegment(q.Get("image")), lastSegment(q.Get("flavor"))
	var since time.Time
	if v := q.Get("changes-since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			c.fail(http.StatusBadRequest, "Invalid input for query parameters changes-since. Value: "+v+". '"+v+"' is not a 'date-time'")
			return
		}
		since = t
	}
	var match []*server
	for _, srv := range c.st.servers {
		if srv.projectID != c.token.projectID ||
			(nameRE != nil && !nameRE.MatchString(srv.name)) ||
			(len(statuses) > 0 && !slices.ContainsFunc(statuses, func(s string) bool { return strings.EqualFold(s, srv.status) })) ||
			(image != "" && srv.imageID != image) || (flavorID != "" && srv.flavor.id != flavorID) ||
			(!since.IsZero() && srv.updated.Before(since)) ||
			(ipRE != nil && !slices.ContainsFunc(c.st.serverAddresses(srv), ipRE.MatchString)) ||
			!hasAll(srv.tags, allTags) || (len(anyTags) > 0 && !hasAny(srv.tags, anyTags)) ||
			(len(notTags) > 0 && hasAll(srv.tags, notTags)) || hasAny(srv.tags, notAny) {
			continue
		}
		if c.micro.atLeast(2, 83) {
			if v := q.Get("key_name"); v != "" && v != srv.keyName {
				continue
			}
			if v := q.Get("availability_zone"); v != "" && v != srv.az {
				continue
			}
		}
		match = append(match, srv)
	}
	slices.SortFunc(match, func(a, b *server) int { return b.seq - a.seq })
	path := computePrefix + "/servers"
	if detail {
		path += "/detail"
	}
	novaList(c, "servers", path, match, func(s *server) string { return s.id }, func(srv *server) map[string]any {
		if detail {
			return c.serverDetail(srv)
		}
		return map[string]any{"id": srv.id, "name": srv.name, "links": c.s.serverLinks(srv.id)}
	})
}

func (st *state) serverAddresses(srv *server) []string {
	var out []string
	for _, pid := range srv.portIDs {
		if p := st.ports[pid]; p != nil {
			for _, ip := range p.fixedIPs {
				out = append(out, ip.address)
			}
		}
	}
	return out
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func hasAny(have, want []string) bool {
	return slices.ContainsFunc(want, func(w string) bool { return slices.Contains(have, w) })
}

// deleteServer is accepted in any state; the server shows task_state "deleting" for DeleteTime
// (after the rest of its build, if it is building), then is gone with its ports and volumes
// handled as Nova does.
func (c *call) deleteServer() {
	srv := c.serverOf()
	if srv == nil {
		return
	}
	now := time.Now().UTC()
	switch {
	case !srv.deletedAt.IsZero():
	case !srv.lingering && c.s.takeDeleteFault(srv.id):
		// Accepted, and the cast to the compute host is lost.
		srv.lingering, srv.taskState, srv.updated = true, "deleting", now
		srv.lostDeletes++
	default:
		srv.lingering = false
		start := now
		if srv.status == "BUILD" && !srv.stuck && srv.buildDone.After(now) {
			// Nova's compute host deletes an instance only once its build is over (both hold
			// the instance's lock), and a build that fails meanwhile cleans up as usual.
			start = srv.buildDone
		}
		srv.deletedAt, srv.taskState, srv.updated, srv.deleteTime = start, "deleting", now, c.s.latency(serverDelete)
	}
	c.status(http.StatusNoContent)
}

// invalidState answers Nova's 409 for an action the server's state does not allow.
func (c *call) invalidState(srv *server, action, attr, state string) {
	c.fail(http.StatusConflict, fmt.Sprintf("Cannot '%s' instance %s while it is in %s %s", action, srv.id, attr, state))
}

// taggable enforces Nova's server tags rules: 2.26+, and changes only while the server's
// vm_state is active, paused, suspended or stopped (not while building or in error).
func (c *call) taggable(action string) *server {
	if !c.micro.atLeast(2, 26) {
		c.fail(http.StatusNotFound, "The resource could not be found.")
		return nil
	}
	srv := c.serverOf()
	if srv == nil || action == "" {
		return srv
	}
	if srv.vmState() != "active" {
		c.invalidState(srv, action, "vm_state", srv.vmState())
		return nil
	}
	return srv
}

func (c *call) serverTags() {
	if srv := c.taggable(""); srv != nil {
		c.json(http.StatusOK, map[string]any{"tags": orEmpty(slices.Clone(srv.tags))})
	}
}

func (c *call) replaceServerTags() {
	srv := c.taggable("update tags")
	if srv == nil {
		return
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if !c.decode(&body) {
		return
	}
	in := createServerRequest{Name: "x", Tags: body.Tags}
	if !c.validServerFields(&in) {
		return
	}
	srv.tags = dedupe(body.Tags)
	c.json(http.StatusOK, map[string]any{"tags": orEmpty(slices.Clone(srv.tags))})
}

func (c *call) deleteServerTags() {
	if srv := c.taggable("delete tags"); srv != nil {
		srv.tags = nil
		c.status(http.StatusNoContent)
	}
}

func (c *call) checkServerTag() {
	if srv := c.taggable(""); srv != nil {
		tag := c.r.PathValue("tag")
		if !slices.Contains(srv.tags, tag) {
			c.fail(http.StatusNotFound, "Server "+srv.id+" has no tag '"+tag+"'")
			return
		}
		c.status(http.StatusNoContent)
	}
}

func (c *call) addServerTag() {
	srv := c.taggable("update tag")
	if srv == nil {
		return
	}
	tag := c.r.PathValue("tag")
	if tag == "" || len(tag) > 60 || !tagPattern.MatchString(tag) {
		c.fail(http.StatusBadRequest, "Tag '"+tag+"' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: '"+tag+"' does not match '^[^,/]*$'")
		return
	}
	if len(srv.tags) >= 50 {
		c.fail(http.StatusBadRequest, "The number of tags exceeded the per-server limit 50")
		return
	}
	if slices.Contains(srv.tags, tag) {
		c.status(http.StatusNoContent)
		return
	}
	srv.tags = append(srv.tags, tag)
	c.w.Header().Set("Location", c.s.url+computePrefix+"/servers/"+srv.id+"/tags/"+tag)
	c.status(http.StatusCreated)
}

func (c *call) deleteServerTag() {
	if srv := c.taggable("delete tag"); srv != nil {
		tag := c.r.PathValue("tag")
		if !slices.Contains(srv.tags, tag) {
			c.fail(http.StatusNotFound, "Tag "+tag+" could not be found.")
			return
		}
		srv.tags = slices.DeleteFunc(srv.tags, func(t string) bool { return t == tag })
		c.status(http.StatusNoContent)
	}
}

func (c *call) serverMetadata() {
	if srv := c.serverOf(); srv != nil {
		c.json(http.StatusOK, map[string]any{"metadata": orEmptyMap(srv.metadata)})
	}
}

// metadataChangeable enforces compute API's check_instance_state for metadata changes: vm_state
// active, paused, suspended or stopped, and no task in progress.
func (c *call) metadataChangeable(action string) *server {
	srv := c.serverOf()
	switch {
	case srv == nil:
	case srv.vmState() != "active":
		c.invalidState(srv, action, "vm_state", srv.vmState())
	case srv.taskState != "":
		c.invalidState(srv, action, "task_state", srv.taskState)
	default:
		return srv
	}
	return nil
}

// setServerMetadata merges (POST) or replaces (PUT) the server's metadata.
func (c *call) setServerMetadata(replace bool) {
	srv := c.metadataChangeable("update metadata")
	if srv == nil {
		return
	}
	var body struct {
		Metadata json.RawMessage `json:"metadata"`
	}
	if !c.decode(&body) {
		return
	}
	in, ok := c.validMetadata(body.Metadata)
	if !ok {
		return
	}
	next := map[string]string{}
	if !replace {
		maps.Copy(next, srv.metadata)
	}
	maps.Copy(next, in)
	if len(next) > maxServerMeta {
		c.fail(http.StatusForbidden, fmt.Sprintf("Maximum number of metadata items exceeds %d", maxServerMeta))
		return
	}
	srv.metadata = next
	c.json(http.StatusOK, map[string]any{"metadata": srv.metadata})
}

func (c *call) serverMetadataItem() {
	if srv := c.serverOf(); srv != nil {
		v, ok := srv.metadata[c.r.PathValue("key")]
		if !ok {
			c.fail(http.StatusNotFound, "Metadata item was not found")
			return
		}
		c.json(http.StatusOK, map[string]any{"meta": map[string]string{c.r.PathValue("key"): v}})
	}
}

func (c *call) setServerMetadataItem() {
	srv := c.metadataChangeable("update metadata")
	if srv == nil {
		return
	}
	var body struct {
		Meta json.RawMessage `json:"meta"`
	}
	if !c.decode(&body) {
		return
	}
	in, ok := c.validMetadata(body.Meta)
	if !ok {
		return
	}
	key := c.r.PathValue("key")
	if _, has := in[key]; !has || len(in) != 1 {
		c.fail(http.StatusBadRequest, "Request body and URI mismatch")
		return
	}
	if _, exists := srv.metadata[key]; !exists && len(srv.metadata) >= maxServerMeta {
		c.fail(http.StatusForbidden, fmt.Sprintf("Maximum number of metadata items exceeds %d", maxServerMeta))
		return
	}
	srv.metadata[key] = in[key]
	c.json(http.StatusOK, map[string]any{"meta": in})
}

func (c *call) deleteServerMetadataItem() {
	srv := c.metadataChangeable("delete metadata")
	if srv == nil {
		return
	}
	key := c.r.PathValue("key")
	if _, ok := srv.metadata[key]; !ok {
		c.fail(http.StatusNotFound, "Metadata item was not found")
		return
	}
	delete(srv.metadata, key)
	c.status(http.StatusNoContent)
}
