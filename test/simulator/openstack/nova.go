package ossim

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

func (s *Sim) novaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /compute/{$}", s.computeVersions)
	mux.HandleFunc("GET "+computePrefix+"/{$}", s.computeVersion)
	mux.HandleFunc("GET "+computePrefix, s.computeVersion)
	r := func(method, path string, h func(*call)) { s.route(mux, "compute", computePrefix, method, path, h) }
	r("POST", "/servers", (*call).createServer)
	r("GET", "/servers", func(c *call) { c.listServers(false) })
	r("GET", "/servers/detail", func(c *call) { c.listServers(true) })
	r("GET", "/servers/{id}", (*call).getServer)
	r("DELETE", "/servers/{id}", (*call).deleteServer)
	r("GET", "/servers/{id}/tags", (*call).serverTags)
	r("PUT", "/servers/{id}/tags", (*call).replaceServerTags)
	r("DELETE", "/servers/{id}/tags", (*call).deleteServerTags)
	r("GET", "/servers/{id}/tags/{tag}", (*call).checkServerTag)
	r("PUT", "/servers/{id}/tags/{tag}", (*call).addServerTag)
	r("DELETE", "/servers/{id}/tags/{tag}", (*call).deleteServerTag)
	r("GET", "/servers/{id}/metadata", (*call).serverMetadata)
	r("POST", "/servers/{id}/metadata", func(c *call) { c.setServerMetadata(false) })
	r("PUT", "/servers/{id}/metadata", func(c *call) { c.setServerMetadata(true) })
	r("GET", "/flavors", func(c *call) { c.listFlavors(false) })
	r("GET", "/flavors/detail", func(c *call) { c.listFlavors(true) })
	r("GET", "/flavors/{id}", (*call).getFlavor)
	r("GET", "/os-keypairs", (*call).listKeypairs)
	r("GET", "/os-keypairs/{name}", (*call).getKeypair)
	r("POST", "/os-keypairs", (*call).createKeypair)
	r("DELETE", "/os-keypairs/{name}", (*call).deleteKeypair)
	r("GET", "/os-server-groups", (*call).listServerGroups)
	r("POST", "/os-server-groups", (*call).createServerGroup)
	r("GET", "/os-server-groups/{id}", (*call).getServerGroup)
	r("DELETE", "/os-server-groups/{id}", (*call).deleteServerGroup)
	r("GET", "/os-availability-zone", (*call).availabilityZones)
	r("GET", "/limits", (*call).limits)
}

func (s *Sim) computeVersionDoc() map[string]any {
	return map[string]any{"id": "v2.1", "status": "CURRENT", "version": computeMax.String(), "min_version": computeMin.String(),
		"updated": "2013-07-23T11:33:21Z", "links": []map[string]any{{"rel": "self", "href": s.url + computePrefix + "/"}}}
}

func (s *Sim) computeVersions(w http.ResponseWriter, _ *http.Request) {
	(&call{w: w, s: s}).json(http.StatusOK, map[string]any{"versions": []any{s.computeVersionDoc()}})
}

func (s *Sim) computeVersion(w http.ResponseWriter, _ *http.Request) {
	(&call{w: w, s: s}).json(http.StatusOK, map[string]any{"version": s.computeVersionDoc()})
}

// serverOf returns the caller's server with the path's id, or answers 404.
func (c *call) serverOf() *server {
	srv := c.s.st.servers[c.r.PathValue("id")]
	if srv == nil || srv.projectID != c.token.projectID {
		c.novaError(http.StatusNotFound, "Instance "+c.r.PathValue("id")+" could not be found.")
		return nil
	}
	return srv
}

type createServerRequest struct {
	Server struct {
		Name             string            `json:"name"`
		ImageRef         *string           `json:"imageRef"`
		FlavorRef        string            `json:"flavorRef"`
		KeyName          string            `json:"key_name"`
		UserData         *string           `json:"user_data"`
		Metadata         map[string]string `json:"metadata"`
		AvailabilityZone string            `json:"availability_zone"`
		Networks         any               `json:"networks"`
		SecurityGroups   []struct {
			Name string `json:"name"`
		} `json:"security_groups"`
		BlockDevices []struct {
			SourceType          string `json:"source_type"`
			DestinationType     string `json:"destination_type"`
			UUID                string `json:"uuid"`
			VolumeSize          int    `json:"volume_size"`
			VolumeType          string `json:"volume_type"`
			BootIndex           *int   `json:"boot_index"`
			DeleteOnTermination bool   `json:"delete_on_termination"`
		} `json:"block_device_mapping_v2"`
		ConfigDrive *bool    `json:"config_drive"`
		Tags        []string `json:"tags"`
		MinCount    int      `json:"min_count"`
		MaxCount    int      `json:"max_count"`
	} `json:"server"`
	Hints map[string]any `json:"os:scheduler_hints"`
}

var tagPattern = regexp.MustCompile(`^[^,/]{1,60}$`)

func (c *call) createServer() {
	var req createServerRequest
	if !c.decode(&req) {
		return
	}
	st, now := c.s.st, time.Now().UTC()
	in := req.Server
	if strings.TrimSpace(in.Name) == "" {
		c.novaError(http.StatusBadRequest, "Invalid input for field/attribute name. Value: . '' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'")
		return
	}
	fl := st.flavors[in.FlavorRef]
	if fl == nil {
		c.novaError(http.StatusBadRequest, "Flavor "+in.FlavorRef+" could not be found.")
		return
	}
	if len(in.Tags) > 0 {
		if !c.micro.atLeast(2, 52) {
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute server. Value: ... Additional properties are not allowed ('tags' was unexpected)")
			return
		}
		if len(in.Tags) > 50 {
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute tags. Value: ... is too long")
			return
		}
		for _, t := range in.Tags {
			if !tagPattern.MatchString(t) {
				c.novaError(http.StatusBadRequest, fmt.Sprintf("Invalid input for field/attribute tags. Value: %s. '%s' does not match '^[^,/]*$'", t, t))
				return
			}
		}
	}
	for k, v := range in.Metadata {
		if len(k) == 0 || len(k) > 255 || len(v) > 255 {
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute metadata. Value: too long.")
			return
		}
	}
	userData := ""
	if in.UserData != nil {
		raw, err := base64.StdEncoding.DecodeString(*in.UserData)
		if err != nil {
			c.novaError(http.StatusBadRequest, "User data needs to be valid base 64.")
			return
		}
		userData = string(raw)
	}
	az := in.AvailabilityZone
	if az == "" {
		az = "nova"
	} else if az != "nova" {
		c.novaError(http.StatusBadRequest, "The requested availability zone is not available")
		return
	}
	if in.KeyName != "" && st.keypairs[c.token.projectID+"/"+in.KeyName] == nil {
		c.novaError(http.StatusBadRequest, "Invalid key_name provided.")
		return
	}

	// Boot source: an image, or a block device with boot_index 0.
	var bootVolume *struct {
		size                int
		volumeType, imageID string
		deleteOnTermination bool
	}
	imageID := ""
	for _, bd := range in.BlockDevices {
		if bd.BootIndex == nil || *bd.BootIndex != 0 {
			continue
		}
		if bd.SourceType != "image" || bd.DestinationType != "volume" {
			c.novaError(http.StatusBadRequest, "Block Device Mapping is Invalid: only image->volume boot devices are simulated.")
			return
		}
		if bd.VolumeType != "" && !c.micro.atLeast(2, 67) {
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute block_device_mapping_v2. Additional properties are not allowed ('volume_type' was unexpected)")
			return
		}
		img := st.images[bd.UUID]
		if img == nil {
			c.novaError(http.StatusBadRequest, "Block Device Mapping is Invalid: failed to get image "+bd.UUID+".")
			return
		}
		if bd.VolumeSize < img.minDisk || bd.VolumeSize <= 0 {
			c.novaError(http.StatusBadRequest, fmt.Sprintf("Volume is smaller than the minimum size specified in image metadata. Volume size is %d bytes, minimum size is %d bytes.", bd.VolumeSize<<30, img.minDisk<<30))
			return
		}
		vt := bd.VolumeType
		if vt == "" {
			vt = "__DEFAULT__"
		} else if !slices.Contains(st.volumeTypes, vt) {
			c.novaError(http.StatusBadRequest, "Volume type "+vt+" could not be found.")
			return
		}
		bootVolume = &struct {
			size                int
			volumeType, imageID string
			deleteOnTermination bool
		}{bd.VolumeSize, vt, img.id, bd.DeleteOnTermination}
	}
	if bootVolume == nil {
		if in.ImageRef == nil || *in.ImageRef == "" || st.images[*in.ImageRef] == nil {
			c.novaError(http.StatusBadRequest, "Invalid imageRef provided.")
			return
		}
		imageID = *in.ImageRef
		if fl.diskGB == 0 {
			// Nova's default policy since Ussuri (compute:servers:create:zero_disk_flavor).
			c.novaError(http.StatusForbidden, "Only volume-backed servers are allowed for flavors with zero disk.")
			return
		}
	}
	group := ""
	if g, ok := req.Hints["group"].(string); ok && g != "" {
		if sg := st.serverGroups[g]; sg == nil || sg.projectID != c.token.projectID {
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute group. Value: "+g+". '"+g+"' is not a 'uuid'")
			return
		}
		group = g
	}

	// Networks: ports the caller made, or networks Nova makes ports on.
	type nicReq struct{ portID, networkID string }
	var nics []nicReq
	switch nets := in.Networks.(type) {
	case string:
		if nets != "auto" && nets != "none" {
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute networks.")
			return
		}
	case []any:
		for _, n := range nets {
			m, _ := n.(map[string]any)
			portID, _ := m["port"].(string)
			netID, _ := m["uuid"].(string)
			nics = append(nics, nicReq{portID: portID, networkID: netID})
		}
	case nil:
		if c.micro.atLeast(2, 37) {
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute server. Value: ... 'networks' is a required property")
			return
		}
	}
	for _, n := range nics {
		switch {
		case n.portID != "":
			p := st.ports[n.portID]
			if p == nil || p.projectID != c.token.projectID {
				c.novaError(http.StatusBadRequest, "Port id "+n.portID+" could not be found.")
				return
			}
			if p.deviceID != "" {
				c.novaError(http.StatusConflict, "Port "+n.portID+" is still in use.")
				return
			}
		case n.networkID != "":
			if netw := st.networks[n.networkID]; netw == nil || (netw.projectID != c.token.projectID && !netw.shared) {
				c.novaError(http.StatusBadRequest, "Network "+n.networkID+" could not be found.")
				return
			}
		default:
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute networks.")
			return
		}
	}

	// Quota, counted as Nova does: servers that are not deleted.
	q := c.s.quota(c.token.projectID)
	used, cores, ram := 0, 0, 0
	for _, other := range st.servers {
		if other.projectID == c.token.projectID && other.deletedAt.IsZero() {
			used++
			cores += other.flavor.vcpus
			ram += other.flavor.ramMB
		}
	}
	if q.Instances >= 0 && used+1 > q.Instances {
		c.novaError(http.StatusForbidden, fmt.Sprintf("Quota exceeded for instances: Requested 1, but already used %d of %d instances", used, q.Instances))
		return
	}
	if q.Cores >= 0 && cores+fl.vcpus > q.Cores {
		c.novaError(http.StatusForbidden, fmt.Sprintf("Quota exceeded for cores: Requested %d, but already used %d of %d cores", fl.vcpus, cores, q.Cores))
		return
	}
	if q.RAMMB >= 0 && ram+fl.ramMB > q.RAMMB {
		c.novaError(http.StatusForbidden, fmt.Sprintf("Quota exceeded for ram: Requested %d, but already used %d of %d ram", fl.ramMB, ram, q.RAMMB))
		return
	}
	if bootVolume != nil {
		if msg := c.s.volumeQuotaError(c.token.projectID, bootVolume.size); msg != "" {
			c.novaError(http.StatusForbidden, "Block Device Mapping is Invalid: "+msg)
			return
		}
	}
	sgNames := []string{"default"}
	if len(in.SecurityGroups) > 0 {
		sgNames = nil
		for _, g := range in.SecurityGroups {
			if c.s.secGroupByNameOrID(c.token.projectID, g.Name) == nil {
				c.novaError(http.StatusBadRequest, "Security group "+g.Name+" not found for project "+c.token.projectID+".")
				return
			}
			sgNames = append(sgNames, g.Name)
		}
	}
	newPorts := 0
	for _, n := range nics {
		if n.portID == "" {
			newPorts++
		}
	}
	if newPorts > 0 {
		if msg := c.s.portQuotaError(c.token.projectID, newPorts); msg != "" {
			c.novaError(http.StatusForbidden, "Maximum number of ports exceeded")
			return
		}
	}

	srv := &server{seq: st.nextSeq(), id: newID(), name: in.Name, projectID: c.token.projectID, userID: c.token.userID,
		status: "BUILD", flavor: fl, imageID: imageID, keyName: in.KeyName, az: az, metadata: maps.Clone(in.Metadata),
		tags: slices.Clone(in.Tags), userData: userData, created: now, updated: now, buildDone: now.Add(c.s.opts.BuildTime),
		novaPorts: map[string]bool{}, secGroupNames: sgNames, group: group}
	if srv.metadata == nil {
		srv.metadata = map[string]string{}
	}
	if in.ConfigDrive != nil {
		srv.configDrive = *in.ConfigDrive
	}
	switch f := c.s.takeServerFault(); {
	case f == nil:
	case f.Kind == FaultServerStuckBuild:
		srv.stuck = true
	default:
		srv.failMsg = f.Message
		if srv.failMsg == "" {
			srv.failMsg = DefaultFaultMessage
		}
	}
	for _, n := range nics {
		var p *port
		if n.portID != "" {
			p = st.ports[n.portID]
		} else {
			p = c.s.newPort(c.token.projectID, n.networkID, "", "", nil)
			for _, name := range sgNames {
				if g := c.s.secGroupByNameOrID(c.token.projectID, name); g != nil {
					p.secGroups = append(p.secGroups, g.id)
				}
			}
			srv.novaPorts[p.id] = true
		}
		p.deviceID, p.deviceOwner, p.bindingHost = srv.id, "compute:"+az, "sim-compute-1"
		p.updated = now
		p.revision++
		srv.portIDs = append(srv.portIDs, p.id)
	}
	if bootVolume != nil {
		v := c.s.newVolume(c.token.projectID, "", bootVolume.size, bootVolume.volumeType, az, bootVolume.imageID)
		v.status, v.bootable, v.attachedTo = "in-use", true, srv.id
		srv.volumes = append(srv.volumes, attachedVolume{id: v.id, deleteOnTermination: bootVolume.deleteOnTermination})
	}
	if group != "" {
		st.serverGroups[group].members = append(st.serverGroups[group].members, srv.id)
	}
	st.servers[srv.id] = srv
	c.w.Header().Set("Location", c.s.url+computePrefix+"/servers/"+srv.id)
	c.json(http.StatusAccepted, map[string]any{"server": map[string]any{
		"id": srv.id, "links": c.s.serverLinks(srv.id), "OS-DCF:diskConfig": "MANUAL",
		"security_groups": sgList(sgNames), "adminPass": "SimAdminPass0",
	}})
}

func sgList(names []string) []map[string]any {
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

func (c *call) getServer() {
	if srv := c.serverOf(); srv != nil {
		c.json(http.StatusOK, map[string]any{"server": c.serverDetail(srv)})
	}
}

// serverDetail renders a server as Nova does at the call's microversion.
func (c *call) serverDetail(srv *server) map[string]any {
	st := c.s.st
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
				"version": 4, "addr": ip.IPAddress, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": p.mac})
		}
		for _, g := range p.secGroups {
			if sg := st.secGroups[g]; sg != nil && !slices.Contains(sgs, sg.name) {
				sgs = append(sgs, sg.name)
			}
		}
	}
	vmState, power := map[string]string{"BUILD": "building", "ACTIVE": "active", "ERROR": "error"}[srv.status], 0
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
	d := map[string]any{
		"id": srv.id, "name": srv.name, "status": srv.status, "tenant_id": srv.projectID, "user_id": srv.userID,
		"metadata": srv.metadata, "hostId": "9f1c6a3f0e1d0d1d0e6d6e2b0a0f7b7e2c2a1f0f0c0e0a0b0c0d0e0f",
		"image": "", "key_name": nilIfEmpty(srv.keyName), "created": srv.created.Format(time.RFC3339), "updated": srv.updated.Format(time.RFC3339),
		"addresses": addresses, "accessIPv4": "", "accessIPv6": "", "links": c.s.serverLinks(srv.id), "progress": 0,
		"OS-DCF:diskConfig": "MANUAL", "OS-EXT-AZ:availability_zone": srv.az, "config_drive": boolString(srv.configDrive),
		"OS-EXT-STS:task_state": taskState, "OS-EXT-STS:vm_state": vmState, "OS-EXT-STS:power_state": power,
		"OS-SRV-USG:launched_at": nil, "OS-SRV-USG:terminated_at": nil,
		"security_groups": sgList(sgs),
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
	if c.micro.atLeast(2, 26) {
		d["tags"] = nonNil(srv.tags)
	}
	vols := []map[string]any{}
	for _, v := range srv.volumes {
		vols = append(vols, map[string]any{"id": v.id, "delete_on_termination": v.deleteOnTermination})
	}
	d["os-extended-volumes:volumes_attached"] = vols
	if srv.fault != nil {
		d["fault"] = map[string]any{"code": srv.fault.code, "message": srv.fault.message, "created": srv.fault.created.Format(time.RFC3339)}
	}
	if c.micro.atLeast(2, 71) && srv.group != "" {
		d["server_groups"] = []string{srv.group}
	}
	return d
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolString(b bool) string {
	if b {
		return "True"
	}
	return ""
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// listServers serves GET /servers and /servers/detail with Nova's filters: name is a regular
// expression searched anywhere in the name (Nova uses the database's REGEXP), tags/tags-any
// and not-tags/not-tags-any are comma-separated, status is exact; limit/marker paginate.
func (c *call) listServers(detail bool) {
	st := c.s.st
	var nameRE *regexp.Regexp
	if v := c.query("name"); v != "" {
		re, err := regexp.Compile(v)
		if err != nil {
			c.novaError(http.StatusBadRequest, "Invalid filter name: "+v)
			return
		}
		nameRE = re
	}
	if (c.query("tags") != "" || c.query("tags-any") != "") && !c.micro.atLeast(2, 26) {
		// Before 2.26 Nova ignores unknown filters; do the same.
		c.r.URL.RawQuery = strings.NewReplacer("tags=", "ignored-tags=", "tags-any=", "ignored-tags-any=").Replace(c.r.URL.RawQuery)
	}
	allTags, anyTags := splitComma(c.query("tags")), splitComma(c.query("tags-any"))
	notTags, notAny := splitComma(c.query("not-tags")), splitComma(c.query("not-tags-any"))
	status := c.query("status")
	var match []*server
	for _, srv := range st.sortedServers(c.token.projectID) {
		if nameRE != nil && !nameRE.MatchString(srv.name) {
			continue
		}
		if status != "" && !strings.EqualFold(status, srv.status) {
			continue
		}
		if !hasAll(srv.tags, allTags) || (len(anyTags) > 0 && !hasAny(srv.tags, anyTags)) ||
			(len(notTags) > 0 && hasAll(srv.tags, notTags)) || (len(notAny) > 0 && hasAny(srv.tags, notAny)) {
			continue
		}
		match = append(match, srv)
	}
	limit, ok := c.limit()
	if !ok {
		return
	}
	items, more, ok := page(match, func(s *server) string { return s.id }, c.query("marker"), limit)
	if !ok {
		c.novaError(http.StatusBadRequest, "marker ["+c.query("marker")+"] not found")
		return
	}
	out := make([]map[string]any, 0, len(items))
	for _, srv := range items {
		if detail {
			out = append(out, c.serverDetail(srv))
		} else {
			out = append(out, map[string]any{"id": srv.id, "name": srv.name, "links": c.s.serverLinks(srv.id)})
		}
	}
	body := map[string]any{"servers": out}
	if more {
		base := computePrefix + "/servers"
		if detail {
			base += "/detail"
		}
		body["servers_links"] = []map[string]any{{"rel": "next", "href": c.nextLink(base, items[len(items)-1].id, limit)}}
	}
	c.json(http.StatusOK, body)
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
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func (c *call) deleteServer() {
	srv := c.serverOf()
	if srv == nil {
		return
	}
	if srv.deletedAt.IsZero() {
		srv.deletedAt, srv.taskState, srv.updated = time.Now(), "deleting", time.Now()
	}
	c.noContent()
}

func (c *call) serverTags() {
	if srv := c.serverOf(); srv != nil && c.needsTags() {
		c.json(http.StatusOK, map[string]any{"tags": nonNil(srv.tags)})
	}
}

// needsTags answers 404 (as Nova does for unknown routes) below microversion 2.26.
func (c *call) needsTags() bool {
	if !c.micro.atLeast(2, 26) {
		c.novaError(http.StatusNotFound, "The resource could not be found.")
		return false
	}
	return true
}

func (c *call) replaceServerTags() {
	srv := c.serverOf()
	if srv == nil || !c.needsTags() {
		return
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if !c.decode(&body) {
		return
	}
	for _, t := range body.Tags {
		if !tagPattern.MatchString(t) {
			c.novaError(http.StatusBadRequest, "Invalid input for field/attribute tags.")
			return
		}
	}
	if len(body.Tags) > 50 {
		c.novaError(http.StatusBadRequest, "The number of tags exceeded the per-server limit 50")
		return
	}
	srv.tags = dedupeStrings(body.Tags)
	c.json(http.StatusOK, map[string]any{"tags": nonNil(srv.tags)})
}

func (c *call) deleteServerTags() {
	if srv := c.serverOf(); srv != nil && c.needsTags() {
		srv.tags = nil
		c.noContent()
	}
}

func (c *call) checkServerTag() {
	if srv := c.serverOf(); srv != nil && c.needsTags() {
		if !slices.Contains(srv.tags, c.r.PathValue("tag")) {
			c.novaError(http.StatusNotFound, "Tag "+c.r.PathValue("tag")+" could not be found.")
			return
		}
		c.noContent()
	}
}

func (c *call) addServerTag() {
	srv := c.serverOf()
	if srv == nil || !c.needsTags() {
		return
	}
	tag := c.r.PathValue("tag")
	if !tagPattern.MatchString(tag) {
		c.novaError(http.StatusBadRequest, "Invalid tag")
		return
	}
	if slices.Contains(srv.tags, tag) {
		c.noContent()
		return
	}
	srv.tags = append(srv.tags, tag)
	c.w.Header().Set("Location", c.s.url+computePrefix+"/servers/"+srv.id+"/tags/"+tag)
	c.w.WriteHeader(http.StatusCreated)
}

func (c *call) deleteServerTag() {
	if srv := c.serverOf(); srv != nil && c.needsTags() {
		tag := c.r.PathValue("tag")
		if !slices.Contains(srv.tags, tag) {
			c.novaError(http.StatusNotFound, "Tag "+tag+" could not be found.")
			return
		}
		srv.tags = removeString(srv.tags, tag)
		c.noContent()
	}
}

func (c *call) serverMetadata() {
	if srv := c.serverOf(); srv != nil {
		c.json(http.StatusOK, map[string]any{"metadata": srv.metadata})
	}
}

func (c *call) setServerMetadata(replace bool) {
	srv := c.serverOf()
	if srv == nil {
		return
	}
	var body struct {
		Metadata map[string]string `json:"metadata"`
	}
	if !c.decode(&body) {
		return
	}
	if replace {
		srv.metadata = map[string]string{}
	}
	maps.Copy(srv.metadata, body.Metadata)
	c.json(http.StatusOK, map[string]any{"metadata": srv.metadata})
}

func (s *Sim) flavorJSON(f *flavor, detail bool) map[string]any {
	d := map[string]any{"id": f.id, "name": f.name, "links": []map[string]any{{"rel": "self", "href": s.url + computePrefix + "/flavors/" + f.id}}}
	if detail {
		d["vcpus"], d["ram"], d["disk"], d["swap"] = f.vcpus, f.ramMB, f.diskGB, ""
		d["OS-FLV-EXT-DATA:ephemeral"], d["OS-FLV-DISABLED:disabled"], d["os-flavor-access:is_public"] = 0, false, f.public
		d["rxtx_factor"], d["description"], d["extra_specs"] = 1.0, nil, f.extraSpecs
	}
	return d
}

func (c *call) listFlavors(detail bool) {
	list := slices.Collect(maps.Values(c.s.st.flavors))
	slices.SortFunc(list, func(a, b *flavor) int { return strings.Compare(a.id, b.id) })
	limit, ok := c.limit()
	if !ok {
		return
	}
	items, more, ok := page(list, func(f *flavor) string { return f.id }, c.query("marker"), limit)
	if !ok {
		c.novaError(http.StatusBadRequest, "marker ["+c.query("marker")+"] not found")
		return
	}
	out := make([]map[string]any, 0, len(items))
	for _, f := range items {
		out = append(out, c.s.flavorJSON(f, detail))
	}
	body := map[string]any{"flavors": out}
	if more {
		base := computePrefix + "/flavors"
		if detail {
			base += "/detail"
		}
		body["flavors_links"] = []map[string]any{{"rel": "next", "href": c.nextLink(base, items[len(items)-1].id, limit)}}
	}
	c.json(http.StatusOK, body)
}

func (c *call) getFlavor() {
	f := c.s.st.flavors[c.r.PathValue("id")]
	if f == nil {
		c.novaError(http.StatusNotFound, "Flavor "+c.r.PathValue("id")+" could not be found.")
		return
	}
	c.json(http.StatusOK, map[string]any{"flavor": c.s.flavorJSON(f, true)})
}

func keypairJSON(k *keypair) map[string]any {
	return map[string]any{"name": k.name, "public_key": k.publicKey, "fingerprint": k.fingerprint, "type": "ssh"}
}

func (c *call) listKeypairs() {
	var out []map[string]any
	for _, k := range c.s.st.keypairs {
		if k.projectID == c.token.projectID {
			out = append(out, map[string]any{"keypair": keypairJSON(k)})
		}
	}
	c.json(http.StatusOK, map[string]any{"keypairs": nonNilMaps(out)})
}

func nonNilMaps(list []map[string]any) []map[string]any {
	if list == nil {
		return []map[string]any{}
	}
	return list
}

func (c *call) getKeypair() {
	k := c.s.st.keypairs[c.token.projectID+"/"+c.r.PathValue("name")]
	if k == nil {
		c.novaError(http.StatusNotFound, "Keypair "+c.r.PathValue("name")+" not found for user "+c.token.userID)
		return
	}
	c.json(http.StatusOK, map[string]any{"keypair": keypairJSON(k)})
}

func (c *call) createKeypair() {
	var body struct {
		Keypair struct {
			Name      string `json:"name"`
			PublicKey string `json:"public_key"`
		} `json:"keypair"`
	}
	if !c.decode(&body) {
		return
	}
	key := c.token.projectID + "/" + body.Keypair.Name
	if c.s.st.keypairs[key] != nil {
		c.novaError(http.StatusConflict, "Key pair '"+body.Keypair.Name+"' already exists.")
		return
	}
	if body.Keypair.PublicKey == "" {
		c.novaError(http.StatusBadRequest, "Keypair data is invalid: generating keys is not simulated; give public_key")
		return
	}
	k := &keypair{name: body.Keypair.Name, projectID: c.token.projectID, publicKey: body.Keypair.PublicKey, fingerprint: "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"}
	c.s.st.keypairs[key] = k
	c.json(http.StatusOK, map[string]any{"keypair": keypairJSON(k)})
}

func (c *call) deleteKeypair() {
	key := c.token.projectID + "/" + c.r.PathValue("name")
	if c.s.st.keypairs[key] == nil {
		c.novaError(http.StatusNotFound, "Keypair "+c.r.PathValue("name")+" not found")
		return
	}
	delete(c.s.st.keypairs, key)
	c.w.WriteHeader(http.StatusAccepted)
}

func (c *call) serverGroupJSON(g *serverGroup) map[string]any {
	d := map[string]any{"id": g.id, "name": g.name, "members": nonNil(g.members), "metadata": map[string]any{},
		"project_id": g.projectID, "user_id": c.token.userID}
	if c.micro.atLeast(2, 64) {
		d["policy"], d["rules"] = g.policy, map[string]any{}
	} else {
		d["policies"] = []string{g.policy}
	}
	return d
}

func (c *call) listServerGroups() {
	var out []map[string]any
	for _, g := range c.s.st.serverGroups {
		if g.projectID == c.token.projectID {
			out = append(out, c.serverGroupJSON(g))
		}
	}
	c.json(http.StatusOK, map[string]any{"server_groups": nonNilMaps(out)})
}

func (c *call) createServerGroup() {
	var body struct {
		ServerGroup struct {
			Name     string   `json:"name"`
			Policy   string   `json:"policy"`
			Policies []string `json:"policies"`
		} `json:"server_group"`
	}
	if !c.decode(&body) {
		return
	}
	policy := body.ServerGroup.Policy
	if policy == "" && len(body.ServerGroup.Policies) > 0 {
		policy = body.ServerGroup.Policies[0]
	}
	if !slices.Contains([]string{"affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"}, policy) {
		c.novaError(http.StatusBadRequest, "Invalid input for field/attribute policy.")
		return
	}
	g := &serverGroup{id: newID(), name: body.ServerGroup.Name, projectID: c.token.projectID, policy: policy}
	c.s.st.serverGroups[g.id] = g
	c.json(http.StatusOK, map[string]any{"server_group": c.serverGroupJSON(g)})
}

func (c *call) serverGroupOf() *serverGroup {
	g := c.s.st.serverGroups[c.r.PathValue("id")]
	if g == nil || g.projectID != c.token.projectID {
		c.novaError(http.StatusNotFound, "Instance group "+c.r.PathValue("id")+" could not be found.")
		return nil
	}
	return g
}

func (c *call) getServerGroup() {
	if g := c.serverGroupOf(); g != nil {
		c.json(http.StatusOK, map[string]any{"server_group": c.serverGroupJSON(g)})
	}
}

func (c *call) deleteServerGroup() {
	if g := c.serverGroupOf(); g != nil {
		delete(c.s.st.serverGroups, g.id)
		c.noContent()
	}
}

func (c *call) availabilityZones() {
	c.json(http.StatusOK, map[string]any{"availabilityZoneInfo": []map[string]any{
		{"zoneName": "nova", "zoneState": map[string]any{"available": true}, "hosts": nil}}})
}

func (c *call) limits() {
	q := c.s.quota(c.token.projectID)
	used, cores, ram := 0, 0, 0
	for _, srv := range c.s.st.servers {
		if srv.projectID == c.token.projectID && srv.deletedAt.IsZero() {
			used++
			cores += srv.flavor.vcpus
			ram += srv.flavor.ramMB
		}
	}
	c.json(http.StatusOK, map[string]any{"limits": map[string]any{"rate": []any{}, "absolute": map[string]any{
		"maxTotalInstances": q.Instances, "maxTotalCores": q.Cores, "maxTotalRAMSize": q.RAMMB,
		"totalInstancesUsed": used, "totalCoresUsed": cores, "totalRAMUsed": ram,
		"maxServerMeta": 128, "maxServerGroups": 10, "maxServerGroupMembers": 10, "totalServerGroupsUsed": len(c.s.st.serverGroups),
	}}})
}

func dedupeStrings(in []string) []string {
	var out []string
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
