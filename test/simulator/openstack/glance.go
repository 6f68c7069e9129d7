package ossim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

func (s *Sim) glanceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+imagePrefix+"/{$}", s.imageVersions)
	r := func(method, path string, h func(*call)) { s.route(mux, "image", imagePrefix, method, path, h) }
	r("GET", "/v2/images", (*call).listImages)
	r("GET", "/v2/images/{id}", (*call).getImage)
}

func (s *Sim) imageVersions(w http.ResponseWriter, _ *http.Request) {
	(&call{w: w, s: s}).json(http.StatusMultipleChoices, map[string]any{"versions": []map[string]any{{"id": "v2.16", "status": "CURRENT",
		"links": []map[string]any{{"rel": "self", "href": s.url + imagePrefix + "/v2/"}}}}})
}

func imageJSON(img *image) map[string]any {
	created := img.created.UTC().Format(time.RFC3339)
	return map[string]any{"id": img.id, "name": img.name, "status": "active", "visibility": img.visibility, "protected": false,
		"min_disk": img.minDisk, "min_ram": img.minRAM, "size": img.size, "virtual_size": nil, "disk_format": "qcow2",
		"container_format": "bare", "checksum": "d41d8cd98f00b204e9800998ecf8427e", "os_hidden": false, "tags": []string{},
		"owner": "pco-images", "created_at": created, "updated_at": created, "self": "/v2/images/" + img.id,
		"file": "/v2/images/" + img.id + "/file", "schema": "/v2/schemas/image", "os_distro": "linux"}
}

// listImages serves Glance's list with exact-match filters (name, id, status, visibility) and
// marker pagination ("next" is relative to the endpoint, as in Glance).
func (c *call) listImages() {
	var items []*image
	for _, img := range c.s.st.images {
		if v := c.query("name"); v != "" && v != img.name {
			continue
		}
		if v := c.query("id"); v != "" && v != img.id {
			continue
		}
		if v := c.query("status"); v != "" && v != "active" {
			continue
		}
		if v := c.query("visibility"); v != "" && v != "all" && v != img.visibility {
			continue
		}
		items = append(items, img)
	}
	slices.SortFunc(items, func(a, b *image) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	limit, ok := c.limit()
	if !ok {
		return
	}
	pageItems, more, ok := page(items, func(i *image) string { return i.id }, c.query("marker"), limit)
	if !ok {
		c.glanceError(http.StatusBadRequest, "marker not found")
		return
	}
	out := make([]map[string]any, 0, len(pageItems))
	for _, img := range pageItems {
		out = append(out, imageJSON(img))
	}
	body := map[string]any{"images": out, "first": "/v2/images", "schema": "/v2/schemas/images"}
	if more {
		q := c.r.URL.Query()
		q.Set("marker", pageItems[len(pageItems)-1].id)
		body["next"] = "/v2/images?" + q.Encode()
	}
	c.json(http.StatusOK, body)
}

func (c *call) getImage() {
	img := c.s.st.images[c.r.PathValue("id")]
	if img == nil {
		c.glanceError(http.StatusNotFound, "No image found with ID "+c.r.PathValue("id"))
		return
	}
	c.json(http.StatusOK, imageJSON(img))
}
