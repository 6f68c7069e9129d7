package ossim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (c *call) json(code int, body any) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(code)
	_ = json.NewEncoder(c.w).Encode(body)
}

func (c *call) status(code int) { c.w.WriteHeader(code) }

// decode reads the JSON body into v; on failure it answers 400 in the service's shape.
func (c *call) decode(v any) bool {
	if err := json.NewDecoder(c.r.Body).Decode(v); err != nil {
		c.fail(http.StatusBadRequest, "Malformed request body: "+err.Error())
		return false
	}
	return true
}

// fail answers an error in the shape of the call's service.
func (c *call) fail(code int, msg string) {
	switch c.service {
	case "identity":
		c.keystoneError(code, msg)
	case "network":
		c.neutronError(code, neutronType(code), msg)
	case "image":
		c.glanceError(code, msg)
	case "reseller":
		c.resellerError(code, msg)
	default:
		c.novaError(code, msg)
	}
}

// novaFaultNames is the Fault wrapper's table of Nova (Cinder has the same): every other code
// is a "computeFault".
var novaFaultNames = map[int]string{
	400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 405: "badMethod",
	409: "conflictingRequest", 413: "overLimit", 415: "badMediaType", 429: "overLimit", 501: "notImplemented",
	503: "serviceUnavailable",
}

// novaError is Nova's (and Cinder's) error body: {"<fault name>": {"code": N, "message": "..."}},
// with "retryAfter" for 413 and 429 when the answer carries a Retry-After header.
func (c *call) novaError(code int, msg string) {
	name := novaFaultNames[code]
	if name == "" {
		name = "computeFault"
	}
	fault := map[string]any{"code": code, "message": msg}
	if ra := c.w.Header().Get("Retry-After"); ra != "" && (code == 413 || code == 429) {
		fault["retryAfter"] = ra
	}
	c.json(code, map[string]any{name: fault})
}

// keystoneError is Keystone's error body, which keystonemiddleware copies for its 401s.
func (c *call) keystoneError(code int, msg string) {
	c.json(code, map[string]any{"error": map[string]any{"code": code, "title": http.StatusText(code), "message": msg}})
}

func (c *call) neutronError(code int, typ, msg string) {
	c.json(code, map[string]any{"NeutronError": map[string]any{"type": typ, "message": msg, "detail": ""}})
}

// neutronType names the webob exception Neutron reports when no specific one applies.
func neutronType(code int) string {
	return "HTTP" + strings.ReplaceAll(http.StatusText(code), " ", "")
}

// glanceError answers as Glance does: its errors are webob's, which render the explanation as
// JSON, HTML or plain text depending on what the client accepts (gophercloud accepts JSON).
func (c *call) glanceError(code int, msg string) {
	status := strconv.Itoa(code) + " " + http.StatusText(code)
	accept := c.r.Header.Get("Accept")
	switch {
	case strings.Contains(accept, "application/json"):
		c.json(code, map[string]any{"message": msg + "<br /><br />\n\n\n", "code": status, "title": http.StatusText(code)})
	case strings.Contains(accept, "text/html"):
		c.w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		c.w.WriteHeader(code)
		fmt.Fprintf(c.w, "<html>\n <head>\n  <title>%s</title>\n </head>\n <body>\n  <h1>%s</h1>\n  %s<br /><br />\n\n\n\n </body>\n</html>", status, status, msg)
	default:
		c.w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		c.w.WriteHeader(code)
		fmt.Fprintf(c.w, "%s\n\n%s\n\n   ", status, msg)
	}
}

// unauthorized is keystonemiddleware's answer for a missing, expired or revoked token, the same
// in front of every service.
func (c *call) unauthorized() {
	c.w.Header().Set("WWW-Authenticate", `Keystone uri="`+c.s.url+identityPrefix+`"`)
	c.keystoneError(http.StatusUnauthorized, "The request you have made requires authentication.")
}

func (c *call) query(name string) string { return c.r.URL.Query().Get(name) }

// pageLimit returns the page size asked for: absent or 0 means def, more than MaxLimit is cut to
// MaxLimit (Nova's max_limit, Neutron's pagination_max_limit, Glance's api_limit_max, Cinder's
// osapi_max_limit). A limit that is no integer or negative is answered with 400.
func (c *call) pageLimit(def int) (int, bool) {
	limitMax := c.s.opts.MaxLimit
	v := c.query("limit")
	if v == "" {
		return min(def, limitMax), true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		switch c.service {
		case "network":
			c.neutronError(http.StatusBadRequest, "HTTPBadRequest", "Limit must be an integer 0 or greater and not '"+v+"'")
		case "image":
			c.glanceError(http.StatusBadRequest, "limit param must be an integer")
		default:
			c.fail(http.StatusBadRequest, fmt.Sprintf("Invalid input for query parameters limit. Value: %s. '%s' is not a 'positive_integer_with_zero'", v, v))
		}
		return 0, false
	}
	if n == 0 {
		n = def
	}
	return min(n, limitMax), true
}

// pageOf cuts the page after marker out of items (already in list order). found is false when
// the marker names no item; each service answers that differently.
func pageOf[T any](items []T, id func(T) string, marker string, limit int) (out []T, found bool) {
	start := 0
	if marker != "" {
		start = -1
		for i, it := range items {
			if id(it) == marker {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, false
		}
	}
	return items[start:min(start+limit, len(items))], true
}

// nextLink is the request's URL with the marker moved on; the services keep every other query
// parameter, limit included, as the client sent it.
func (c *call) nextLink(path, marker string) string {
	q := c.r.URL.Query()
	q.Set("marker", marker)
	return c.s.url + path + "?" + q.Encode()
}

// splitComma splits a comma-separated filter value.
func splitComma(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orEmpty keeps JSON lists as [] rather than null, as the services render them.
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// dedupe drops repeated values, keeping the first of each (tags are sets in every service).
func dedupe(list []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
