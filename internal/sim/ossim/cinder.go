package ossim

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"time"
)

func (s *Sim) cinderRoutes(mux *http.ServeMux) {
	s.doc(mux, "volume", "/volume", []string{"", "/"}, func(c *call) { c.volumeVersions(http.StatusMultipleChoices) })
	s.doc(mux, "volume", "/volume", []string{"/v3", "/v3/"}, func(c *call) { c.volumeVersions(http.StatusOK) })
	r := func(method, path string, h func(*call)) { s.handle(mux, "volume", volumePrefix, method, path, h) }
	r("POST", "/volumes", (*call).createVolume)
	r("GET", "/volumes", func(c *call) { c.listVolumes(false) })
	r("GET", "/volumes/detail", func(c *call) { c.listVolumes(true) })
	r("GET", "/volumes/{id}", (*call).getVolume)
	r("PUT", "/volumes/{id}", (*call).updateVolume)
	r("DELETE", "/volumes/{id}", (*call).deleteVolume)
	r("GET", "/types", (*call).listVolumeTypes)
	r("GET", "/types/{id}", (*call).getVolumeType)
	r("GET", "/limits", (*call).volumeLimits)
	s.unrouted(mux, "volume", volumePrefix+"/")
}

func (c *call) volumeVersions(code int) {
	c.json(code, map[string]any{"versions": []map[string]any{{"id": "v3.0", "status": "CURRENT",
		"version": volumeMax.String(), "min_version": volumeMin.String(), "updated": "2023-08-31T00:00:00Z",
		"links":       []map[string]any{{"rel": "self", "href": c.s.url + "/volume/v3/"}},
		"media-types": []map[string]any{{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}}}}})
}

func cinderTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }

func (st *state) volumeType(nameOrID string) *volumeType {
	for _, t := range st.volumeTypes {
		if t.name == nameOrID || t.id == nameOrID {
			return t
		}
	}
	return nil
}

// volumeQuotaError is Cinder's quota message when count more volumes of size GiB in all do not
// fit, or "". Volumes count until they are gone.
func (s *Sim) volumeQuotaError(projectID string, count, size int) string {
	if count == 0 {
		return ""
	}
	q := s.st.quota(projectID)
	have, gigs := 0, 0
	for _, v := range s.st.volumes {
		if v.projectID == projectID {
			have++
			gigs += v.size
		}
	}
	if q.Volumes >= 0 && have+count > q.Volumes {
		return fmt.Sprintf("VolumeLimitExceeded: Maximum number of volumes allowed (%d) exceeded for quota 'volumes'.", q.Volumes)
	}
	if q.Gigabytes >= 0 && gigs+size > q.Gigabytes {
		return fmt.Sprintf("VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested %dG, quota is %dG and %dG has been consumed.", size, q.Gigabytes, gigs)
	}
	return ""
}

func (s *Sim) newVolume(projectID, userID, name string, size int, volumeType, az, imageID string) *volume {
	now := time.Now().UTC()
	v := &volume{seq: s.st.nextSeq(), id: newID(), name: name, projectID: projectID, userID: userID, size: size,
		volumeType: volumeType, az: az, imageID: imageID, bootable: imageID != "", status: "creating",
		metadata: map[string]string{}, created: now, updated: now, availableAt: now.Add(s.latency(volumeChange))}
	s.st.volumes[v.id] = v
	return v
}

func (c *call) volumeJSON(v *volume, detail bool) map[string]any {
	d := map[string]any{"id": v.id, "name": nilIfEmpty(v.name), "links": []map[string]any{
		{"rel": "self", "href": c.s.url + "/volume/v3/" + v.projectID + "/volumes/" + v.id},
		{"rel": "bookmark", "href": c.s.url + "/volume/" + v.projectID + "/volumes/" + v.id}}}
	if !detail {
		return d
	}
	attachments := []map[string]any{}
	if v.attachedTo != "" {
		attachments = append(attachments, map[string]any{"server_id": v.attachedTo, "attachment_id": stableID("attachment " + v.id + v.attachedTo),
			"volume_id": v.id, "id": v.id, "device": "/dev/sda", "host_name": nil, "attached_at": cinderTime(v.attachedAt)})
	}
	maps.Copy(d, map[string]any{
		"status": v.status, "size": v.size, "volume_type": v.volumeType, "availability_zone": v.az,
		"bootable": fmt.Sprint(v.bootable), "attachments": attachments, "metadata": v.metadata, "description": nilIfEmpty(v.description),
		"created_at": cinderTime(v.created), "updated_at": cinderTime(v.updated), "multiattach": false, "encrypted": false,
		"os-vol-tenant-attr:tenant_id": v.projectID, "user_id": v.userID, "replication_status": nil, "consistencygroup_id": nil,
		"snapshot_id": nil, "source_volid": nil, "migration_status": nil,
	})
	if v.imageID != "" {
		if img := c.st.images[v.imageID]; img != nil {
			meta := map[string]any{"image_id": img.id, "image_name": img.name, "min_disk": fmt.Sprint(img.minDisk),
				"min_ram": fmt.Sprint(img.minRAM), "size": fmt.Sprint(img.size), "disk_format": "qcow2", "container_format": "bare",
				"checksum": fmt.Sprintf("%032x", img.size)}
			for k, val := range img.properties {
				meta[k] = val
			}
			d["volume_image_metadata"] = meta
		}
	}
	if c.micro.atLeast(3, 13) {
		d["group_id"] = nil
	}
	if c.micro.atLeast(3, 48) {
		d["shared_targets"], d["service_uuid"] = false, nil
	}
	if c.micro.atLeast(3, 63) {
		if t := c.st.volumeType(v.volumeType); t != nil {
			d["volume_type_id"] = t.id
		}
	}
	if c.micro.atLeast(3, 65) {
		d["consumes_quota"] = true
	}
	return d
}

// createVolume checks as Cinder does (schema, type, image min_disk, quota) and answers 202 with
// a volume "creating" that turns "available" after VolumeTime.
func (c *call) createVolume() {
	var body struct {
		Volume *struct {
			Name             string            `json:"name"`
			Description      string            `json:"description"`
			Size             json.RawMessage   `json:"size"`
			VolumeType       string            `json:"volume_type"`
			ImageRef         string            `json:"imageRef"`
			ImageID          string            `json:"image_id"`
			AvailabilityZone string            `json:"availability_zone"`
			Metadata         map[string]string `json:"metadata"`
		} `json:"volume"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Volume == nil {
		c.fail(http.StatusBadRequest, "Invalid input for field/attribute volume. Value: None. None is not of type 'object'")
		return
	}
	in := body.Volume
	var size int
	if err := json.Unmarshal(in.Size, &size); err != nil || size < 1 {
		c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid input for field/attribute size. Value: %s. %s is less than the minimum of 1", in.Size, in.Size))
		return
	}
	vt := c.st.volumeTypes[0]
	if in.VolumeType != "" {
		if vt = c.st.volumeType(in.VolumeType); vt == nil {
			c.fail(http.StatusNotFound, "Volume type with name "+in.VolumeType+" could not be found.")
			return
		}
	}
	imageID := in.ImageRef
	if imageID == "" {
		imageID = in.ImageID
	}
	if imageID != "" {
		img := c.st.images[imageID]
		if img == nil || !c.imageVisible(img) {
			c.fail(http.StatusBadRequest, "Invalid input received: Invalid image identifier or unable to access requested image.")
			return
		}
		if size < img.minDisk {
			c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid input received: Volume size %dGB cannot be smaller than the image minDisk size %dGB.", size, img.minDisk))
			return
		}
	}
	az := in.AvailabilityZone
	if az == "" {
		az = "nova"
	} else if az != "nova" {
		c.fail(http.StatusBadRequest, "Invalid input received: Availability zone '"+az+"' is invalid.")
		return
	}
	if msg := c.s.volumeQuotaError(c.token.projectID, 1, size); msg != "" {
		// Cinder's QuotaError carries Retry-After: 0, which its fault wrapper copies into the body.
		c.w.Header().Set("Retry-After", "0")
		c.fail(http.StatusRequestEntityTooLarge, msg)
		return
	}
	v := c.s.newVolume(c.token.projectID, c.token.userID, in.Name, size, vt.name, az, imageID)
	v.description = in.Description
	maps.Copy(v.metadata, in.Metadata)
	c.json(http.StatusAccepted, map[string]any{"volume": c.volumeJSON(v, true)})
}

// pyDictEntry is one 'key': 'value' pair of a Python dict literal, the form gophercloud (and
// python-cinderclient) send the metadata filter in.
var pyDictEntry = regexp.MustCompile(`['"]([^'"]*)['"]\s*:\s*['"]([^'"]*)['"]`)

// listVolumes serves the volume lists, newest first, filtered by name, status, bootable,
// availability_zone and metadata (all given pairs must match); other filters are ignored.
func (c *call) listVolumes(detail bool) {
	q := c.r.URL.Query()
	meta := map[string]string{}
	for _, m := range pyDictEntry.FindAllStringSubmatch(q.Get("metadata"), -1) {
		meta[m[1]] = m[2]
	}
	var items []*volume
	for _, v := range c.st.volumes {
		if v.projectID != c.token.projectID ||
			(q.Has("name") && q.Get("name") != v.name) || (q.Has("status") && q.Get("status") != v.status) ||
			(q.Has("bootable") && normalizeBool(q.Get("bootable")) != fmt.Sprint(v.bootable)) ||
			(q.Has("availability_zone") && q.Get("availability_zone") != v.az) {
			continue
		}
		ok := true
		for k, want := range meta {
			ok = ok && v.metadata[k] == want
		}
		if ok {
			items = append(items, v)
		}
	}
	slices.SortFunc(items, func(a, b *volume) int { return b.seq - a.seq })
	path := "/volume/v3/" + c.token.projectID + "/volumes"
	if detail {
		path += "/detail"
	}
	novaList(c, "volumes", path, items, func(v *volume) string { return v.id }, func(v *volume) map[string]any { return c.volumeJSON(v, detail) })
}

func (c *call) volumeOf() *volume {
	v := c.st.volumes[c.r.PathValue("id")]
	if v == nil || v.projectID != c.token.projectID {
		c.fail(http.StatusNotFound, "Volume "+c.r.PathValue("id")+" could not be found.")
		return nil
	}
	return v
}

func (c *call) getVolume() {
	if v := c.volumeOf(); v != nil {
		c.json(http.StatusOK, map[string]any{"volume": c.volumeJSON(v, true)})
	}
}

func (c *call) updateVolume() {
	v := c.volumeOf()
	if v == nil {
		return
	}
	var body struct {
		Volume struct {
			Name        *string           `json:"name"`
			Description *string           `json:"description"`
			Metadata    map[string]string `json:"metadata"`
		} `json:"volume"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Volume.Name != nil {
		v.name = *body.Volume.Name
	}
	if body.Volume.Description != nil {
		v.description = *body.Volume.Description
	}
	if body.Volume.Metadata != nil {
		v.metadata = maps.Clone(body.Volume.Metadata)
	}
	v.updated = time.Now().UTC()
	c.json(http.StatusOK, map[string]any{"volume": c.volumeJSON(v, true)})
}

// deleteVolume accepts only volumes that are available (or in error) and not attached; the
// volume shows "deleting" for VolumeTime, then is gone.
func (c *call) deleteVolume() {
	v := c.volumeOf()
	if v == nil {
		return
	}
	if v.attachedTo != "" || (v.status != "available" && v.status != "error") {
		c.fail(http.StatusBadRequest, "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.")
		return
	}
	now := time.Now().UTC()
	v.status, v.deletedAt, v.updated, v.deleteTime = "deleting", now, now, c.s.latency(volumeChange)
	c.status(http.StatusAccepted)
}

func (c *call) volumeTypeJSON(t *volumeType) map[string]any {
	return map[string]any{"id": t.id, "name": t.name, "is_public": true, "description": nilIfEmpty(t.description),
		"os-volume-type-access:is_public": true, "qos_specs_id": nil, "extra_specs": map[string]any{}}
}

func (c *call) listVolumeTypes() {
	out := []map[string]any{}
	for _, t := range c.st.volumeTypes {
		out = append(out, c.volumeTypeJSON(t))
	}
	c.json(http.StatusOK, map[string]any{"volume_types": out})
}

func (c *call) getVolumeType() {
	id := c.r.PathValue("id")
	t := c.st.volumeType(id)
	if id == "default" {
		t = c.st.volumeTypes[0]
	}
	if t == nil {
		c.fail(http.StatusNotFound, "Volume type "+id+" could not be found.")
		return
	}
	c.json(http.StatusOK, map[string]any{"volume_type": c.volumeTypeJSON(t)})
}

// volumeLimits are Cinder's absolute limits from the project's quota.
func (c *call) volumeLimits() {
	q := c.st.quota(c.token.projectID)
	count, gigs := 0, 0
	for _, v := range c.st.volumes {
		if v.projectID == c.token.projectID {
			count++
			gigs += v.size
		}
	}
	c.json(http.StatusOK, map[string]any{"limits": map[string]any{"rate": []any{}, "absolute": map[string]any{
		"maxTotalVolumes": q.Volumes, "maxTotalVolumeGigabytes": q.Gigabytes, "totalVolumesUsed": count,
		"totalGigabytesUsed": gigs, "maxTotalSnapshots": 10, "totalSnapshotsUsed": 0, "maxTotalBackups": 10,
		"totalBackupsUsed": 0, "maxTotalBackupGigabytes": 1000, "totalBackupGigabytesUsed": 0}}})
}
