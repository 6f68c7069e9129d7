package ossim

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

func (s *Sim) cinderRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /volume/{$}", s.volumeVersions)
	r := func(method, path string, h func(*call)) { s.route(mux, "volume", volumePrefix, method, path, h) }
	r("POST", "/volumes", (*call).createVolume)
	r("GET", "/volumes", func(c *call) { c.listVolumes(false) })
	r("GET", "/volumes/detail", func(c *call) { c.listVolumes(true) })
	r("GET", "/volumes/{id}", (*call).getVolume)
	r("DELETE", "/volumes/{id}", (*call).deleteVolume)
	r("GET", "/types", (*call).listVolumeTypes)
}

func (s *Sim) volumeVersions(w http.ResponseWriter, _ *http.Request) {
	(&call{w: w, s: s}).json(http.StatusMultipleChoices, map[string]any{"versions": []map[string]any{{"id": "v3.0", "status": "CURRENT",
		"version": volumeMax.String(), "min_version": volumeMin.String(), "updated": "2022-08-31T00:00:00Z",
		"links": []map[string]any{{"rel": "self", "href": s.url + "/volume/v3/"}}}}})
}

// volumeQuotaError returns Cinder's quota message when one more volume of size GiB does not fit.
func (s *Sim) volumeQuotaError(projectID string, size int) string {
	q := s.quota(projectID)
	count, gigs := 0, 0
	for _, v := range s.st.volumes {
		if v.projectID == projectID && !v.deleting {
			count++
			gigs += v.size
		}
	}
	if q.Volumes >= 0 && count+1 > q.Volumes {
		return fmt.Sprintf("VolumeLimitExceeded: Maximum number of volumes allowed (%d) exceeded for quota 'volumes'.", q.Volumes)
	}
	if q.Gigabytes >= 0 && gigs+size > q.Gigabytes {
		return fmt.Sprintf("VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested %dG, quota is %dG and %dG has been consumed.", size, q.Gigabytes, gigs)
	}
	return ""
}

func (s *Sim) newVolume(projectID, name string, size int, volumeType, az, imageID string) *volume {
	now := time.Now()
	v := &volume{seq: s.st.nextSeq(), id: newID(), name: name, projectID: projectID, size: size, volumeType: volumeType, az: az,
		imageID: imageID, bootable: imageID != "", status: "creating", metadata: map[string]string{}, created: now,
		availableAt: now.Add(s.opts.VolumeTime)}
	s.st.volumes[v.id] = v
	return v
}

func (s *Sim) volumeJSON(v *volume, detail bool) map[string]any {
	d := map[string]any{"id": v.id, "name": nilIfEmpty(v.name), "links": []map[string]any{{"rel": "self", "href": s.url + "/volume/v3/" + v.projectID + "/volumes/" + v.id}}}
	if !detail {
		return d
	}
	attachments := []map[string]any{}
	if v.attachedTo != "" {
		attachments = append(attachments, map[string]any{"server_id": v.attachedTo, "attachment_id": v.id[:8] + "-att", "volume_id": v.id,
			"id": v.id, "device": "/dev/vda", "host_name": "sim-compute-1", "attached_at": v.created.UTC().Format("2006-01-02T15:04:05.000000")})
	}
	d["status"], d["size"], d["volume_type"], d["availability_zone"] = v.status, v.size, v.volumeType, v.az
	d["bootable"], d["attachments"], d["metadata"], d["description"] = fmt.Sprint(v.bootable), attachments, v.metadata, nilIfEmpty(v.description)
	d["created_at"], d["updated_at"] = v.created.UTC().Format("2006-01-02T15:04:05.000000"), nil
	d["multiattach"], d["encrypted"], d["os-vol-tenant-attr:tenant_id"], d["user_id"] = false, false, v.projectID, ""
	d["replication_status"], d["consistencygroup_id"], d["snapshot_id"], d["source_volid"] = nil, nil, nil, nil
	if v.imageID != "" {
		d["volume_image_metadata"] = map[string]any{"image_id": v.imageID}
	}
	return d
}

func (c *call) createVolume() {
	var body struct {
		Volume struct {
			Name             string            `json:"name"`
			Description      string            `json:"description"`
			Size             int               `json:"size"`
			VolumeType       string            `json:"volume_type"`
			ImageRef         string            `json:"imageRef"`
			AvailabilityZone string            `json:"availability_zone"`
			Metadata         map[string]string `json:"metadata"`
		} `json:"volume"`
	}
	if !c.decode(&body) {
		return
	}
	in := body.Volume
	if in.Size <= 0 {
		c.novaError(http.StatusBadRequest, "Invalid input received: Volume size must be an integer and greater than 0.")
		return
	}
	vt := in.VolumeType
	if vt == "" {
		vt = "__DEFAULT__"
	} else if !slices.Contains(c.s.st.volumeTypes, vt) {
		c.novaError(http.StatusNotFound, "Volume type with name "+vt+" could not be found.")
		return
	}
	if in.ImageRef != "" {
		img := c.s.st.images[in.ImageRef]
		if img == nil {
			c.novaError(http.StatusBadRequest, "Invalid image identifier or unable to access requested image.")
			return
		}
		if in.Size < img.minDisk {
			c.novaError(http.StatusBadRequest, fmt.Sprintf("Invalid input received: Volume size %dGB cannot be smaller than the image minDisk size %dGB.", in.Size, img.minDisk))
			return
		}
	}
	az := in.AvailabilityZone
	if az == "" {
		az = "nova"
	}
	if msg := c.s.volumeQuotaError(c.token.projectID, in.Size); msg != "" {
		c.novaError(http.StatusRequestEntityTooLarge, msg)
		return
	}
	v := c.s.newVolume(c.token.projectID, in.Name, in.Size, vt, az, in.ImageRef)
	v.description = in.Description
	maps.Copy(v.metadata, in.Metadata)
	c.json(http.StatusAccepted, map[string]any{"volume": c.s.volumeJSON(v, true)})
}

func (c *call) listVolumes(detail bool) {
	var items []*volume
	for _, v := range c.s.st.volumes {
		if v.projectID != c.token.projectID {
			continue
		}
		if name := c.query("name"); name != "" && name != v.name {
			continue
		}
		if status := c.query("status"); status != "" && status != v.status {
			continue
		}
		items = append(items, v)
	}
	slices.SortFunc(items, func(a, b *volume) int { return b.seq - a.seq })
	limit, ok := c.limit()
	if !ok {
		return
	}
	pageItems, more, ok := page(items, func(v *volume) string { return v.id }, c.query("marker"), limit)
	if !ok {
		c.novaError(http.StatusBadRequest, "Invalid input received: marker not found: "+c.query("marker"))
		return
	}
	out := make([]map[string]any, 0, len(pageItems))
	for _, v := range pageItems {
		out = append(out, c.s.volumeJSON(v, detail))
	}
	body := map[string]any{"volumes": out}
	if more {
		base := "/volume/v3/" + c.token.projectID + "/volumes"
		if detail {
			base += "/detail"
		}
		body["volumes_links"] = []map[string]any{{"rel": "next", "href": c.nextLink(base, pageItems[len(pageItems)-1].id, limit)}}
	}
	c.json(http.StatusOK, body)
}

func (c *call) volumeOf() *volume {
	v := c.s.st.volumes[c.r.PathValue("id")]
	if v == nil || v.projectID != c.token.projectID {
		c.novaError(http.StatusNotFound, "Volume "+c.r.PathValue("id")+" could not be found.")
		return nil
	}
	return v
}

func (c *call) getVolume() {
	if v := c.volumeOf(); v != nil {
		c.json(http.StatusOK, map[string]any{"volume": c.s.volumeJSON(v, true)})
	}
}

func (c *call) deleteVolume() {
	v := c.volumeOf()
	if v == nil {
		return
	}
	if v.attachedTo != "" || v.status == "in-use" {
		c.novaError(http.StatusBadRequest, "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.")
		return
	}
	if !v.deleting {
		v.status, v.deleting, v.deletedAt = "deleting", true, time.Now()
	}
	c.w.WriteHeader(http.StatusAccepted)
}

func (c *call) listVolumeTypes() {
	var out []map[string]any
	for _, t := range c.s.st.volumeTypes {
		out = append(out, map[string]any{"id": t, "name": t, "is_public": true, "extra_specs": map[string]any{}, "description": nil})
	}
	c.json(http.StatusOK, map[string]any{"volume_types": out})
}
