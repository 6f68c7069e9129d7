package ossim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// maxServerMeta is Nova's default metadata_items quota.
const maxServerMeta = 128

// computeHosts are the hypervisors servers land on (round robin), so hostId varies.
var computeHosts = []string{"pco-compute-01", "pco-compute-02", "pco-compute-03", "pco-compute-04"}

var (
	uuidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)
	tagPattern      = regexp.MustCompile(`^[^,/]*$`)
	metadataKeyRule = regexp.MustCompile(`^[a-zA-Z0-9-_:. ]{1,255}$`)
)

// serverKeys are the properties of a server create body, with the microversion each appears at:
// Nova's schema forbids anything else ("Additional properties are not allowed").
var serverKeys = map[string]microversion{
	"name": {2, 1}, "imageRef": {2, 1}, "flavorRef": {2, 1}, "adminPass": {2, 1}, "metadata": {2, 1}, "networks": {2, 1},
	"OS-DCF:diskConfig": {2, 1}, "accessIPv4": {2, 1}, "accessIPv6": {2, 1}, "personality": {2, 1},
	"availability_zone": {2, 1}, "block_device_mapping": {2, 1}, "block_device_mapping_v2": {2, 1}, "config_drive": {2, 1},
	"key_name": {2, 1}, "min_count": {2, 1}, "max_count": {2, 1}, "return_reservation_id": {2, 1}, "security_groups": {2, 1},
	"user_data": {2, 1}, "description": {2, 19}, "tags": {2, 52}, "trusted_image_certificates": {2, 63},
	"host": {2, 74}, "hypervisor_hostname": {2, 74}, "hostname": {2, 90},
}

type blockDevice struct {
	SourceType          string `json:"source_type"`
	DestinationType     string `json:"destination_type"`
	UUID                string `json:"uuid"`
	VolumeSize          int    `json:"volume_size"`
	VolumeType          string `json:"volume_type"`
	BootIndex           *int   `json:"boot_index"`
	DeleteOnTermination bool   `json:"delete_on_termination"`
}

type createServerRequest struct {
	Name             string          `json:"name"`
	Description      string          `json:"description"`
	ImageRef         string          `json:"imageRef"`
	FlavorRef        string          `json:"flavorRef"`
	KeyName          string          `json:"key_name"`
	UserData         *string         `json:"user_data"`
	Metadata         json.RawMessage `json:"metadata"`
	AvailabilityZone string          `json:"availability_zone"`
	Networks         json.RawMessage `json:"networks"`
	SecurityGroups   []struct {
		Name string `json:"name"`
	} `json:"security_groups"`
	BlockDevices []blockDevice `json:"block_device_mapping_v2"`
	ConfigDrive  any           `json:"config_drive"`
	Tags         []string      `json:"tags"`
	MinCount     *int          `json:"min_count"`
	MaxCount     *int          `json:"max_count"`
}

// nicRequest is one entry of "networks": a port the caller made, or a network Nova makes a
// port on (optionally with a fixed IP).
type nicRequest struct {
	Port    string `json:"port"`
	UUID    string `json:"uuid"`
	FixedIP string `json:"fixed_ip"`
}

// bootVolume is a volume a block device mapping makes or attaches.
type bootVolume struct {
	existing            *volume // source volume; nil when Nova creates one
	size                int
	volumeType, imageID string
	bootable            bool
	deleteOnTermination bool
}

// createServer is POST /servers: Nova's schema and API checks with Nova's codes and words, then
// a server in BUILD that turns ACTIVE (or ERROR, with an injected fault) after BuildTime.
func (c *call) createServer() {
	var body struct {
		Server map[string]json.RawMessage `json:"server"`
		Hints  map[string]any             `json:"os:scheduler_hints"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Server == nil {
		c.fail(http.StatusBadRequest, "Invalid input for field/attribute server. Value: None. None is not of type 'object'")
		return
	}
	for _, k := range slices.Sorted(maps.Keys(body.Server)) {
		if v, ok := serverKeys[k]; !ok || !c.micro.atLeast(v.major, v.minor) {
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute server. Value: "+compactJSON(body.Server)+". Additional properties are not allowed ('"+k+"' was unexpected)")
			return
		}
	}
	for _, k := range []string{"name", "flavorRef"} {
		if _, ok := body.Server[k]; !ok {
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute server. Value: "+compactJSON(body.Server)+". '"+k+"' is a required property")
			return
		}
	}
	if _, ok := body.Server["networks"]; !ok && c.micro.atLeast(2, 37) {
		c.fail(http.StatusBadRequest, "Invalid input for field/attribute server. Value: "+compactJSON(body.Server)+". 'networks' is a required property")
		return
	}
	raw, _ := json.Marshal(body.Server)
	var in createServerRequest
	if err := json.Unmarshal(raw, &in); err != nil {
		c.fail(http.StatusBadRequest, "Invalid input for field/attribute server. "+err.Error())
		return
	}
	metadata, ok := c.validMetadata(in.Metadata)
	if !ok || !c.validServerFields(&in) {
		return
	}
	st, now := c.st, time.Now().UTC()

	fl := st.flavors[lastSegment(in.FlavorRef)]
	if fl == nil {
		c.fail(http.StatusBadRequest, "Invalid flavorRef provided.")
		return
	}
	imageID, bootVols, ok := c.bootSource(&in, fl)
	if !ok {
		return
	}
	if in.KeyName != "" && st.keypairs[c.token.userID+"/"+in.KeyName] == nil {
		c.fail(http.StatusBadRequest, "Invalid key_name provided.")
		return
	}
	az := in.AvailabilityZone
	if az == "" {
		az = "nova"
	} else if az != "nova" {
		c.fail(http.StatusBadRequest, "The requested availability zone is not available")
		return
	}
	group, ok := c.serverGroupHint(body.Hints)
	if !ok {
		return
	}
	nics, ok := c.requestedNetworks(in.Networks)
	if !ok {
		return
	}
	sgIDs, sgNames, ok := c.requestedSecurityGroups(&in)
	if !ok {
		return
	}

	// Quota, as Nova counts it: instances, cores and RAM of the project's servers.
	q := st.quota(c.token.projectID)
	used, cores, ram := st.computeUsage(c.token.projectID)
	for _, lim := range []struct {
		name            string
		want, have, max int
	}{{"instances", 1, used, q.Instances}, {"cores", fl.vcpus, cores, q.Cores}, {"ram", fl.ramMB, ram, q.RAMMB}} {
		if lim.max >= 0 && lim.have+lim.want > lim.max {
			c.fail(http.StatusForbidden, fmt.Sprintf("Quota exceeded for %s: Requested %d, but already used %d of %d %s", lim.name, lim.want, lim.have, lim.max, lim.name))
			return
		}
	}
	newPorts := 0
	for _, n := range nics {
		if n.Port == "" {
			newPorts++
		}
	}
	if newPorts > 0 && c.s.portQuotaExceeded(c.token.projectID, newPorts) {
		c.fail(http.StatusForbidden, "Maximum number of ports exceeded")
		return
	}

	srv := &server{seq: st.nextSeq(), id: newID(), name: in.Name, description: in.Description, projectID: c.token.projectID,
		userID: c.token.userID, status: "BUILD", flavor: fl, imageID: imageID, keyName: in.KeyName, az: az,
		host: computeHosts[st.seq%len(computeHosts)], metadata: metadata, tags: dedupe(in.Tags),
		configDrive: truthy(in.ConfigDrive), created: now, updated: now, buildDone: now.Add(c.s.buildLatency(imageID)),
		novaPorts: map[string]bool{}, group: group}
	if in.UserData != nil {
		decoded, _ := base64.StdEncoding.DecodeString(*in.UserData)
		srv.userData = string(decoded)
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
		srv.leavePorts, srv.leaveVolumes = f.LeavePorts, f.LeaveVolumes
	}
	for _, n := range nics {
		var p *port
		if n.Port != "" {
			p = st.ports[n.Port]
		} else {
			var want []fixedIP
			if n.FixedIP != "" {
				want = []fixedIP{{address: n.FixedIP}}
			}
			p, _ = c.s.newPort(c.token.projectID, n.UUID, want)
			p.secGroups = slices.Clone(sgIDs)
			srv.novaPorts[p.id] = true
		}
		p.deviceID, p.deviceOwner, p.bindingHost = srv.id, "compute:"+az, srv.host
		p.updated = now
		p.revision++
		srv.portIDs = append(srv.portIDs, p.id)
	}
	c.attachBootVolumes(srv, bootVols, now)
	if group != "" {
		st.serverGroups[group].members = append(st.serverGroups[group].members, srv.id)
	}
	st.servers[srv.id] = srv
	c.w.Header().Set("Location", c.s.url+computePrefix+"/servers/"+srv.id)
	c.json(http.StatusAccepted, map[string]any{"server": map[string]any{
		"id": srv.id, "links": c.s.serverLinks(srv.id), "OS-DCF:diskConfig": "MANUAL",
		"security_groups": nameList(sgNames), "adminPass": "SimAdminPass0",
	}})
}

// validServerFields checks the create body as Nova's JSON schema does.
func (c *call) validServerFields(in *createServerRequest) bool {
	bad := func(field, value, msg string) bool {
		c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid input for field/attribute %s. Value: %s. %s", field, value, msg))
		return false
	}
	switch {
	case in.Name == "":
		return bad("name", "", "'' is too short")
	case len(in.Name) > 255:
		return bad("name", in.Name, fmt.Sprintf("'%s' is too long", in.Name))
	case strings.TrimSpace(in.Name) != in.Name:
		return bad("name", in.Name, "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.")
	}
	if in.UserData != nil {
		if _, err := base64.StdEncoding.DecodeString(*in.UserData); err != nil {
			return bad("user_data", *in.UserData, fmt.Sprintf("'%s' is not a 'base64'", *in.UserData))
		}
		if len(*in.UserData) > 65535 {
			return bad("user_data", "...", "'...' is too long")
		}
	}
	if len(in.Tags) > 50 {
		return bad("tags", fmt.Sprint(in.Tags), fmt.Sprintf("%v is too long", in.Tags))
	}
	for i, t := range in.Tags {
		switch {
		case t == "":
			return bad(fmt.Sprint(i), t, "'' is too short")
		case len(t) > 60:
			return bad(fmt.Sprint(i), t, fmt.Sprintf("'%s' is too long", t))
		case !tagPattern.MatchString(t):
			return bad(fmt.Sprint(i), t, fmt.Sprintf("'%s' does not match '^[^,/]*$'", t))
		}
	}
	if (in.MinCount != nil && *in.MinCount != 1) || (in.MaxCount != nil && *in.MaxCount != 1) {
		c.fail(http.StatusBadRequest, "min_count and max_count other than 1 are not simulated")
		return false
	}
	return true
}

// validMetadata checks server metadata as Nova's schema and metadata quota do.
func (c *call) validMetadata(raw json.RawMessage) (map[string]string, bool) {
	out := map[string]string{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, true
	}
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		c.fail(http.StatusBadRequest, "Invalid input for field/attribute metadata. Value: "+string(raw)+". "+string(raw)+" is not of type 'object'")
		return nil, false
	}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if !metadataKeyRule.MatchString(k) {
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute metadata. Value: "+string(raw)+". Additional properties are not allowed ('"+k+"' was unexpected)")
			return nil, false
		}
		v, ok := in[k].(string)
		if !ok {
			c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid input for field/attribute %s. Value: %v. %v is not of type 'string'", k, in[k], in[k]))
			return nil, false
		}
		if len(v) > 255 {
			c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid input for field/attribute %s. Value: %s. '%s' is too long", k, v, v))
			return nil, false
		}
		out[k] = v
	}
	if len(out) > maxServerMeta {
		c.fail(http.StatusForbidden, fmt.Sprintf("Maximum number of metadata items exceeds %d", maxServerMeta))
		return nil, false
	}
	return out, true
}

// bootSource works out what the server boots from: an image (imageRef, or an image->local
// mapping with boot_index 0) or a volume (image->volume, blank->volume or an existing volume),
// and checks flavor and image against each other as Nova does.
func (c *call) bootSource(in *createServerRequest, fl *flavor) (imageID string, vols []bootVolume, ok bool) {
	st := c.st
	invalidBoot := "Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid."
	boots := 0
	volumeBacked := false
	for _, bd := range in.BlockDevices {
		boot := bd.BootIndex != nil && *bd.BootIndex == 0
		if boot {
			boots++
		}
		if bd.VolumeType != "" && !c.micro.atLeast(2, 67) {
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute 0. Value: "+compactJSON(bd)+". Additional properties are not allowed ('volume_type' was unexpected)")
			return "", nil, false
		}
		vt := "__DEFAULT__"
		if bd.VolumeType != "" {
			if t := st.volumeType(bd.VolumeType); t != nil {
				vt = t.name
			} else {
				c.fail(http.StatusBadRequest, "Volume type "+bd.VolumeType+" could not be found.")
				return "", nil, false
			}
		}
		switch {
		case bd.SourceType == "image" && bd.DestinationType == "local":
			if !boot {
				c.fail(http.StatusBadRequest, invalidBoot)
				return "", nil, false
			}
			imageID = bd.UUID
		case bd.SourceType == "image" && bd.DestinationType == "volume":
			img := st.images[bd.UUID]
			if img == nil || !c.imageVisible(img) {
				c.fail(http.StatusBadRequest, "Block Device Mapping is Invalid: failed to get image "+bd.UUID+".")
				return "", nil, false
			}
			if bd.VolumeSize <= 0 {
				c.fail(http.StatusBadRequest, "Images with destination_type 'volume' need to have a non-zero size specified")
				return "", nil, false
			}
			if bd.VolumeSize < img.minDisk {
				c.fail(http.StatusBadRequest, fmt.Sprintf("Volume is smaller than the minimum size specified in image metadata. Volume size is %d bytes, minimum size is %d bytes.", bd.VolumeSize<<30, img.minDisk<<30))
				return "", nil, false
			}
			if img.minRAM > fl.ramMB {
				c.fail(http.StatusBadRequest, "Flavor's memory is too small for requested image.")
				return "", nil, false
			}
			vols = append(vols, bootVolume{size: bd.VolumeSize, volumeType: vt, imageID: img.id, bootable: true, deleteOnTermination: bd.DeleteOnTermination})
			volumeBacked = volumeBacked || boot
		case bd.SourceType == "blank" && bd.DestinationType == "volume":
			if bd.VolumeSize <= 0 || boot {
				c.fail(http.StatusBadRequest, invalidBoot)
				return "", nil, false
			}
			vols = append(vols, bootVolume{size: bd.VolumeSize, volumeType: vt, deleteOnTermination: bd.DeleteOnTermination})
		case bd.SourceType == "volume" && bd.DestinationType == "volume":
			v := st.volumes[bd.UUID]
			if v == nil || v.projectID != c.token.projectID {
				c.fail(http.StatusBadRequest, "Block Device Mapping is Invalid: failed to get volume "+bd.UUID+".")
				return "", nil, false
			}
			if v.status != "available" {
				c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid volume: volume '%s' status must be 'available'. Currently in '%s'", v.id, v.status))
				return "", nil, false
			}
			if boot && !v.bootable {
				c.fail(http.StatusBadRequest, "Block Device "+v.id+" is not bootable.")
				return "", nil, false
			}
			vols = append(vols, bootVolume{existing: v, deleteOnTermination: bd.DeleteOnTermination})
			volumeBacked = volumeBacked || boot
		default:
			c.fail(http.StatusBadRequest, "Block Device Mapping is Invalid: source_type "+bd.SourceType+" with destination_type "+bd.DestinationType+" is not simulated.")
			return "", nil, false
		}
	}
	if boots > 1 {
		c.fail(http.StatusBadRequest, invalidBoot)
		return "", nil, false
	}
	if volumeBacked {
		// Nova shows no image for a volume-backed server.
		return "", vols, true
	}
	if imageID == "" {
		imageID = in.ImageRef
	}
	if imageID == "" {
		c.fail(http.StatusBadRequest, invalidBoot)
		return "", nil, false
	}
	imageID = lastSegment(imageID)
	if !uuidPattern.MatchString(imageID) {
		c.fail(http.StatusBadRequest, "Invalid imageRef provided.")
		return "", nil, false
	}
	img := st.images[imageID]
	if img == nil || !c.imageVisible(img) {
		c.fail(http.StatusBadRequest, "Can not find requested image")
		return "", nil, false
	}
	// Nova's checks of an image-backed server's flavor, in Nova's order.
	switch {
	case img.minRAM > fl.ramMB:
		c.fail(http.StatusBadRequest, "Flavor's memory is too small for requested image.")
	case fl.diskGB == 0:
		// Nova's default policy since Ussuri (compute:servers:create:zero_disk_flavor).
		c.fail(http.StatusForbidden, "Only volume-backed servers are allowed for flavors with zero disk.")
	case img.size > int64(fl.diskGB)<<30:
		c.fail(http.StatusBadRequest, fmt.Sprintf("Flavor's disk is too small for requested image. Flavor disk is %d bytes, image is %d bytes.", int64(fl.diskGB)<<30, img.size))
	case img.minDisk > fl.diskGB:
		c.fail(http.StatusBadRequest, fmt.Sprintf("Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is %d bytes, minimum size is %d bytes.", int64(fl.diskGB)<<30, int64(img.minDisk)<<30))
	default:
		return imageID, vols, true
	}
	return "", nil, false
}

// attachBootVolumes creates or attaches the mapped volumes. Nova creates them on the compute
// host during the build; when Cinder's quota does not allow them the build aborts, so the API
// call succeeds and the server goes to ERROR.
func (c *call) attachBootVolumes(srv *server, vols []bootVolume, now time.Time) {
	size, count := 0, 0
	for _, bv := range vols {
		if bv.existing == nil {
			size += bv.size
			count++
		}
	}
	if msg := c.s.volumeQuotaError(srv.projectID, count, size); msg != "" {
		if srv.failMsg == "" {
			srv.failMsg = "Build of instance " + srv.id + " aborted: " + msg
		}
		vols = slices.DeleteFunc(slices.Clone(vols), func(bv bootVolume) bool { return bv.existing == nil })
	}
	for _, bv := range vols {
		v := bv.existing
		if v == nil {
			// Nova names the volumes it makes from blank mappings after the server; image ones get no name.
			name := ""
			if bv.imageID == "" {
				name = srv.id + "-blank-vol"
			}
			v = c.s.newVolume(srv.projectID, srv.userID, name, bv.size, bv.volumeType, srv.az, bv.imageID)
		}
		v.status, v.attachedTo, v.attachedAt, v.updated = "in-use", srv.id, now, now
		v.bootable = v.bootable || bv.bootable
		srv.volumes = append(srv.volumes, attachedVolume{id: v.id, deleteOnTermination: bv.deleteOnTermination, novaMade: bv.existing == nil})
	}
}

// serverGroupHint reads os:scheduler_hints {"group": uuid}.
func (c *call) serverGroupHint(hints map[string]any) (string, bool) {
	g, _ := hints["group"].(string)
	if g == "" {
		return "", true
	}
	if !uuidPattern.MatchString(g) {
		c.fail(http.StatusBadRequest, "Invalid input for field/attribute group. Value: "+g+". '"+g+"' is not a 'uuid'")
		return "", false
	}
	sg := c.st.serverGroups[g]
	if sg == nil || sg.projectID != c.token.projectID {
		c.fail(http.StatusBadRequest, "Instance group "+g+" could not be found.")
		return "", false
	}
	if len(sg.members) >= 10 {
		c.fail(http.StatusForbidden, "Quota exceeded, too many servers in group")
		return "", false
	}
	return g, true
}

// requestedNetworks parses and checks "networks": a list of ports/networks, or (from 2.37)
// "auto" or "none". Without networks before 2.37, and with "auto", Nova uses the one network
// the project can use; with several it cannot choose.
func (c *call) requestedNetworks(raw json.RawMessage) ([]nicRequest, bool) {
	var nics []nicRequest
	var word string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		word = "auto"
	case json.Unmarshal(raw, &word) == nil:
		if !c.micro.atLeast(2, 37) || (word != "auto" && word != "none") {
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute networks. Value: "+string(raw)+". '"+word+"' is not of type 'array'")
			return nil, false
		}
	default:
		if err := json.Unmarshal(raw, &nics); err != nil {
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute networks. Value: "+string(raw)+". "+err.Error())
			return nil, false
		}
	}
	st := c.st
	if word == "none" {
		return nil, true
	}
	if word == "auto" {
		// Real Nova counts the project's and the shared networks together (two of them: 409).
		// The simulator looks at the shared ones only when the project has none of its own, so
		// the seeded projects keep booting on their network and Reseller API projects boot on
		// the seeded shared one.
		var usable, shared []*network
		for _, n := range st.networks {
			switch {
			case n.external:
			case n.projectID == c.token.projectID:
				usable = append(usable, n)
			case n.shared:
				shared = append(shared, n)
			}
		}
		if len(usable) == 0 {
			usable = shared
		}
		switch {
		case len(usable) > 1:
			c.fail(http.StatusConflict, "Multiple possible networks found, use a Network ID to be more specific.")
			return nil, false
		case len(usable) == 1:
			return []nicRequest{{UUID: usable[0].id}}, true
		case c.micro.atLeast(2, 37):
			c.fail(http.StatusBadRequest, "Unable to automatically allocate a network for project "+c.token.projectID)
			return nil, false
		}
		return nil, true
	}
	for _, n := range nics {
		switch {
		case n.Port != "":
			p := st.ports[n.Port]
			if p == nil || p.projectID != c.token.projectID {
				c.fail(http.StatusBadRequest, "Port id "+n.Port+" could not be found.")
				return nil, false
			}
			if p.deviceID != "" {
				c.fail(http.StatusConflict, "Port "+n.Port+" is still in use.")
				return nil, false
			}
			if len(p.fixedIPs) == 0 {
				c.fail(http.StatusBadRequest, "Port "+n.Port+" requires a FixedIP in order to be used.")
				return nil, false
			}
		case n.UUID != "":
			if !uuidPattern.MatchString(n.UUID) {
				c.fail(http.StatusBadRequest, "Bad networks format: network uuid is not in proper format ("+n.UUID+")")
				return nil, false
			}
			netw := st.networks[n.UUID]
			if netw == nil || !c.networkVisible(netw) {
				c.fail(http.StatusBadRequest, "Network "+n.UUID+" could not be found.")
				return nil, false
			}
			if netw.external && !netw.shared {
				c.fail(http.StatusForbidden, "It is not allowed to create an interface on external network "+n.UUID)
				return nil, false
			}
			if len(st.subnetsOf(netw.id)) == 0 {
				c.fail(http.StatusBadRequest, "Network "+n.UUID+" requires a subnet in order to boot instances on.")
				return nil, false
			}
			if n.FixedIP != "" {
				a, err := netip.ParseAddr(n.FixedIP)
				if err != nil {
					c.fail(http.StatusBadRequest, "Invalid input for field/attribute fixed_ip. Value: "+n.FixedIP+". '"+n.FixedIP+"' is not a 'ip-address'")
					return nil, false
				}
				if st.addressInUse(n.UUID, a) {
					c.fail(http.StatusConflict, "Fixed IP address "+n.FixedIP+" is already in use on instance.")
					return nil, false
				}
			}
		default:
			c.fail(http.StatusBadRequest, "Invalid input for field/attribute networks. Value: "+string(raw)+". A network needs a 'uuid' or a 'port'")
			return nil, false
		}
	}
	return nics, true
}

// requestedSecurityGroups resolves the security groups (names or IDs, "default" when none) that
// Nova applies to the ports it makes. Ports the caller passed keep their own groups.
func (c *call) requestedSecurityGroups(in *createServerRequest) (ids, names []string, ok bool) {
	names = []string{"default"}
	if len(in.SecurityGroups) > 0 {
		names = nil
		for _, g := range in.SecurityGroups {
			names = append(names, g.Name)
		}
	}
	for _, name := range dedupe(names) {
		var found []*secGroup
		for _, g := range c.st.secGroups {
			if g.projectID == c.token.projectID && (g.id == name || g.name == name) {
				found = append(found, g)
			}
		}
		switch len(found) {
		case 0:
			c.fail(http.StatusBadRequest, "Security group "+name+" not found.")
			return nil, nil, false
		case 1:
			ids = append(ids, found[0].id)
		default:
			c.fail(http.StatusConflict, "Multiple security groups found matching '"+name+"'. Use an ID to be more specific.")
			return nil, nil, false
		}
	}
	return ids, names, true
}

// lastSegment accepts an ID or a link to it, as Nova does for imageRef and flavorRef.
func lastSegment(ref string) string {
	ref = strings.TrimRight(ref, "/")
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true") || b == "1" || strings.EqualFold(b, "yes")
	}
	return false
}

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
