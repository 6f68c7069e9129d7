package ossim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The microversion ranges the simulator speaks (Nova and Cinder of OpenStack Zed).
var (
	computeMin = microversion{major: 2, minor: 1}
	computeMax = microversion{major: 2, minor: 93}
	volumeMin  = microversion{major: 3, minor: 0}
	volumeMax  = microversion{major: 3, minor: 70}
)

type microversion struct {
	major, minor int
	raw          string
}

func (m microversion) String() string { return fmt.Sprintf("%d.%d", m.major, m.minor) }

func (m microversion) atLeast(major, minor int) bool {
	return m.major > major || (m.major == major && m.minor >= minor)
}

// negotiate reads the requested microversion from OpenStack-API-Version ("compute 2.67") or the
// legacy X-OpenStack-Nova-API-Version header; none means the minimum, "latest" the maximum.
func negotiate(r *http.Request, service string, lo, hi microversion) (microversion, bool) {
	raw := ""
	if v := r.Header.Get("OpenStack-API-Version"); v != "" {
		if name, ver, ok := strings.Cut(strings.TrimSpace(v), " "); ok && name == service {
			raw = strings.TrimSpace(ver)
		}
	}
	if raw == "" && service == "compute" {
		raw = strings.TrimSpace(r.Header.Get("X-OpenStack-Nova-API-Version"))
	}
	switch raw {
	case "":
		return lo, true
	case "latest":
		return hi, true
	}
	major, minor, ok := strings.Cut(raw, ".")
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(minor)
	m := microversion{major: a, minor: b, raw: raw}
	if !ok || err1 != nil || err2 != nil || !m.atLeast(lo.major, lo.minor) || !hi.atLeast(a, b) {
		return microversion{raw: raw}, false
	}
	return m, true
}
