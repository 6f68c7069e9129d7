package ossim

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// glanceDefaultLimit is Glance's limit_param_default: a list without limit has 25 images.
const glanceDefaultLimit = 25

func (s *Sim) glanceRoutes(mux *http.ServeMux) {
	s.doc(mux, "image", imagePrefix, []string{"", "/"}, func(c *call) { c.imageVersions(http.StatusMultipleChoices) })
	s.doc(mux, "image", imagePrefix, []string{"/versions"}, func(c *call) { c.imageVersions(http.StatusOK) })
	r := func(method, path string, h func(*call)) { s.handle(mux, "image", imagePrefix, method, path, h) }
	r("GET", "/v2/images", (*call).listImages)
	r("GET", "/v2/images/{id}", (*call).getImage)
	s.unrouted(mux, "image", imagePrefix+"/v2/")
}

// imageVersions lists Glance's API versions of Zed: v2.16 current, the older v2.x supported.
func (c *call) imageVersions(code int) {
	var versions []map[string]any
	for minor := 16; minor >= 0; minor-- {
		status := "SUPPORTED"
		if minor == 16 {
			status = "CURRENT"
		}
		versions = append(versions, map[string]any{"id": fmt.Sprintf("v2.%d", minor), "status": status,
			"links": []map[string]any{{"rel": "self", "href": c.s.url + imagePrefix + "/v2/"}}})
	}
	c.json(code, map[string]any{"versions": versions})
}

func (c *call) imageVisible(img *image) bool {
	return img.visibility == "public" || img.visibility == "community" || img.owner == c.token.projectID
}

func glanceTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func imageJSON(img *image) map[string]any {
	d := map[string]any{"id": img.id, "name": img.name, "status": "active", "visibility": img.visibility, "protected": false,
		"os_hidden": false, "min_disk": img.minDisk, "min_ram": img.minRAM, "size": img.size, "virtual_size": nil,
		"disk_format": "qcow2", "container_format": "bare", "checksum": fmt.Sprintf("%032x", img.size),
		"os_hash_algo": "sha512", "os_hash_value": fmt.Sprintf("%0128x", img.size), "owner": img.owner,
		"tags": orEmpty(slices.Clone(img.tags)), "created_at": glanceTime(img.created), "updated_at": glanceTime(img.created),
		"self": "/v2/images/" + img.id, "file": "/v2/images/" + img.id + "/file", "schema": "/v2/schemas/image"}
	for k, v := range img.properties {
		d[k] = v
	}
	return d
}

// imageListControls are the list parameters that are not image properties.
var imageListControls = []string{"limit", "marker", "sort_key", "sort_dir", "sort", "name", "id", "status", "visibility",
	"owner", "tag", "os_hidden", "member_status", "size_min", "size_max", "created_at", "updated_at", "protected",
	"container_format", "disk_format"}

// inFilter matches Glance's "value" or "in:v1,v2" filter syntax.
func inFilter(filter, v string) bool {
	if list, ok := strings.CutPrefix(filter, "in:"); ok {
		return slices.Contains(strings.Split(list, ","), v)
	}
	return filter == v
}

// listImages serves Glance's image list: filters by name and id (exact or "in:"), status,
// visibility, owner, tag and any other image property; newest first (or sort_key/sort_dir);
// 25 a page by default with a relative "next" link whenever the page is full.
func (c *call) listImages() {
	q := c.r.URL.Query()
	var items []*image
	for _, img := range c.st.images {
		if !c.imageVisible(img) {
			continue
		}
		attrs := map[string]string{"name": img.name, "id": img.id, "status": "active", "owner": img.owner,
			"os_hidden": "false", "protected": "false", "container_format": "bare", "disk_format": "qcow2"}
		ok := true
		for key, values := range q {
			v := values[0]
			switch {
			case key == "visibility":
				ok = ok && (v == "all" || v == img.visibility || (v == "private" && img.owner == c.token.projectID && img.visibility == "private"))
			case key == "tag":
				ok = ok && hasAll(img.tags, values)
			case key == "size_min":
				ok = ok && img.size >= int64(atoiOr(v, 0))
			case key == "size_max":
				ok = ok && img.size <= int64(atoiOr(v, 0))
			case attrs[key] != "" || slices.Contains([]string{"name", "id", "status", "owner"}, key):
				ok = ok && inFilter(v, attrs[key])
			case !slices.Contains(imageListControls, key):
				// Anything else filters on an image property.
				ok = ok && img.properties[key] == v
			}
		}
		if ok {
			items = append(items, img)
		}
	}
	sortKey, sortDir := q.Get("sort_key"), q.Get("sort_dir")
	if sortKey == "" {
		sortKey = "created_at"
	}
	if sortDir == "" {
		sortDir = "desc"
	}
	if sortKey != "created_at" && sortKey != "name" && sortKey != "updated_at" && sortKey != "id" && sortKey != "size" {
		c.glanceError(http.StatusBadRequest, "Unsupported sort_key. Acceptable values: name, status, container_format, disk_format, size, id, created_at, updated_at")
		return
	}
	key := func(img *image) string {
		switch sortKey {
		case "name":
			return img.name
		case "id":
			return img.id
		case "size":
			return fmt.Sprintf("%020d", img.size)
		}
		return img.created.UTC().Format(time.RFC3339Nano)
	}
	slices.SortFunc(items, func(a, b *image) int {
		r := strings.Compare(key(a), key(b))
		if r == 0 {
			r = strings.Compare(a.id, b.id)
		}
		if sortDir == "desc" {
			return -r
		}
		return r
	})
	limit, ok := c.pageLimit(glanceDefaultLimit)
	if !ok {
		return
	}
	pageItems, found := pageOf(items, func(i *image) string { return i.id }, q.Get("marker"), limit)
	if !found {
		c.glanceError(http.StatusBadRequest, "No image found with ID "+q.Get("marker"))
		return
	}
	out := make([]map[string]any, 0, len(pageItems))
	for _, img := range pageItems {
		out = append(out, imageJSON(img))
	}
	body := map[string]any{"images": out, "first": "/v2/images", "schema": "/v2/schemas/images"}
	if len(pageItems) > 0 && len(pageItems) == limit {
		next := maps.Clone(q)
		next.Set("marker", pageItems[len(pageItems)-1].id)
		next.Set("limit", strconv.Itoa(limit))
		body["next"] = "/v2/images?" + next.Encode()
	}
	c.json(http.StatusOK, body)
}

func (c *call) getImage() {
	img := c.st.images[c.r.PathValue("id")]
	if img == nil || !c.imageVisible(img) {
		c.glanceError(http.StatusNotFound, "No image found with ID "+c.r.PathValue("id"))
		return
	}
	c.json(http.StatusOK, imageJSON(img))
}
