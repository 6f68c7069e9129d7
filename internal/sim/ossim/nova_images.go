package ossim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Nova's image proxy (GET /images, /images/detail, /images/{id}): deprecated and gone from
// microversion 2.36 on, but still served below it, and clients that set no microversion (such as
// gardener's provider-openstack) resolve image names through it.
func (c *call) proxyImagesAllowed() bool {
	if c.micro.atLeast(2, 36) {
		c.novaError(http.StatusNotFound, "The resource could not be found.")
		return false
	}
	return true
}

func (c *call) proxyImageJSON(img *image, detail bool) map[string]any {
	d := map[string]any{"id": img.id, "name": img.name,
		"links": []map[string]any{{"rel": "self", "href": c.s.url + computePrefix + "/images/" + img.id}}}
	if detail {
		d["status"], d["progress"], d["minDisk"], d["minRam"] = "ACTIVE", 100, img.minDisk, img.minRAM
		d["created"], d["updated"] = img.created.UTC().Format(time.RFC3339), img.created.UTC().Format(time.RFC3339)
		d["metadata"], d["OS-EXT-IMG-SIZE:size"] = map[string]string{}, img.size
	}
	return d
}

func (c *call) listProxyImages(detail bool) {
	if !c.proxyImagesAllowed() {
		return
	}
	name := c.query("name")
	var list []*image
	for _, img := range c.st.images {
		if name == "" || img.name == name {
			list = append(list, img)
		}
	}
	slices.SortFunc(list, func(a, b *image) int { return strings.Compare(a.id, b.id) })
	out := make([]map[string]any, 0, len(list))
	for _, img := range list {
		out = append(out, c.proxyImageJSON(img, detail))
	}
	c.json(http.StatusOK, map[string]any{"images": out})
}

func (c *call) getProxyImage() {
	if !c.proxyImagesAllowed() {
		return
	}
	img := c.st.images[c.r.PathValue("id")]
	if img == nil {
		c.novaError(http.StatusNotFound, "Image not found.")
		return
	}
	c.json(http.StatusOK, map[string]any{"image": c.proxyImageJSON(img, true)})
}
