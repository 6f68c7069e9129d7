package ossim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

func (c *call) json(code int, body any) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(code)
	_ = json.NewEncoder(c.w).Encode(body)
}

func (c *call) noContent() { c.w.WriteHeader(http.StatusNoContent) }

// decode reads the JSON body; on failure it answers 400 in the service's shape and returns false.
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
	default:
		c.novaError(code, msg)
	}
}

// novaError is Nova's (and Cinder's) error shape: {"<kind>": {"code": N, "message": "..."}}.
func (c *call) novaError(code int, msg string) {
	kind := map[int]string{
		http.StatusBadRequest: "badRequest", http.StatusUnauthorized: "unauthorized", http.StatusForbidden: "forbidden",
		http.StatusNotFound: "itemNotFound", http.StatusConflict: "conflictingRequest", http.StatusRequestEntityTooLarge: "overLimit",
		http.StatusTooManyRequests: "overLimit", http.StatusNotAcceptable: "notAcceptable", http.StatusServiceUnavailable: "serviceUnavailable",
	}[code]
	if kind == "" {
		kind = "computeFault"
	}
	c.json(code, map[string]any{kind: map[string]any{"code": code, "message": msg}})
}

func (c *call) keystoneError(code int, msg string) {
	c.json(code, map[string]any{"error": map[string]any{"code": code, "title": http.StatusText(code), "message": msg}})
}

func (c *call) neutronError(code int, typ, msg string) {
	c.json(code, map[string]any{"NeutronError": map[string]any{"type": typ, "message": msg, "detail": ""}})
}

// glanceError is Glance's plain-text-in-HTML style error body.
func (c *call) glanceError(code int, msg string) {
	c.w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	c.w.WriteHeader(code)
	_, _ = c.w.Write([]byte("<html>\n <head>\n  <title>" + strconv.Itoa(code) + " " + http.StatusText(code) + "</title>\n </head>\n <body>\n  <h1>" +
		strconv.Itoa(code) + " " + http.StatusText(code) + "</h1>\n  " + msg + "<br /><br />\n\n\n </body>\n</html>"))
}

func neutronType(code int) string {
	switch code {
	case http.StatusNotFound:
		return "NotFound"
	case http.StatusConflict:
		return "Conflict"
	case http.StatusBadRequest:
		return "HTTPBadRequest"
	case http.StatusForbidden:
		return "Forbidden"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	}
	return "InternalError"
}

// unauthorized answers 401 as every service does for a missing or expired token.
func (c *call) unauthorized() {
	c.w.Header().Set("WWW-Authenticate", "Keystone uri=\""+c.s.AuthURL()+"\"")
	const msg = "The request you have made requires authentication."
	switch c.service {
	case "identity":
		c.keystoneError(http.StatusUnauthorized, msg)
	case "network", "image":
		c.json(http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "title": "Unauthorized", "message": msg}})
	default:
		c.novaError(http.StatusUnauthorized, msg)
	}
}

// query returns a query parameter.
func (c *call) query(name string) string { return c.r.URL.Query().Get(name) }

// queryList returns all values of a (possibly repeated) query parameter.
func (c *call) queryList(name string) []string { return c.r.URL.Query()[name] }

// limit returns the page size asked for, capped at MaxLimit; ok=false after answering 400.
func (c *call) limit() (int, bool) {
	max := c.s.opts.MaxLimit
	v := c.query("limit")
	if v == "" {
		return max, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		c.fail(http.StatusBadRequest, "limit must be a non-negative integer")
		return 0, false
	}
	if n == 0 || n > max {
		n = max
	}
	return n, true
}

// nextLink rebuilds the request URL with a new marker (other query parameters kept).
func (c *call) nextLink(base, marker string, limit int) string {
	q := c.r.URL.Query()
	q.Set("marker", marker)
	q.Set("limit", strconv.Itoa(limit))
	return c.s.url + base + "?" + q.Encode()
}

// page cuts one page out of ids (already in list order) after marker; ok=false when the marker
// is unknown (the caller answers 400 as the service does).
func page[T any](items []T, id func(T) string, marker string, limit int) (out []T, more bool, ok bool) {
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
			return nil, false, false
		}
	}
	end := min(start+limit, len(items))
	return items[start:end], end < len(items) && end-start == limit, true
}

func splitComma(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
