package ossim

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// The microversion ranges of Nova and Cinder in OpenStack Zed, the release pluscloud open runs.
var (
	computeMin = microversion{major: 2, minor: 1}
	computeMax = microversion{major: 2, minor: 93}
	volumeMin  = microversion{major: 3, minor: 0}
	volumeMax  = microversion{major: 3, minor: 70}
)

type microversion struct{ major, minor int }

func (m microversion) String() string { return fmt.Sprintf("%d.%d", m.major, m.minor) }

func (m microversion) atLeast(major, minor int) bool {
	return m.major > major || (m.major == major && m.minor >= minor)
}

var microversionPattern = regexp.MustCompile(`^([1-9]\d*)\.([1-9]\d*|0)$`)

// requestedMicroversion reads the version asked for from "OpenStack-API-Version: <service> X.Y"
// (the header may name several services, comma separated) or, for Nova only, the legacy
// X-OpenStack-Nova-API-Version header. "" means none was asked for.
func requestedMicroversion(r *http.Request, service string) string {
	for _, h := range r.Header.Values("OpenStack-API-Version") {
		for _, part := range strings.Split(h, ",") {
			if name, ver, ok := strings.Cut(strings.TrimSpace(part), " "); ok && strings.EqualFold(name, service) {
				return strings.TrimSpace(ver)
			}
		}
	}
	if service == "compute" {
		return strings.TrimSpace(r.Header.Get("X-OpenStack-Nova-API-Version"))
	}
	return ""
}

// negotiate picks the call's microversion as Nova and Cinder do: none asked for means the
// minimum, "latest" the maximum, a malformed one is 400 and one out of range 406. The answer
// echoes the version in both header spellings with Vary, as the services do.
func (c *call) negotiate(service string, lo, hi microversion) bool {
	raw := requestedMicroversion(c.r, service)
	var m microversion
	switch raw {
	case "":
		m = lo
	case "latest":
		m = hi
	default:
		parts := microversionPattern.FindStringSubmatch(raw)
		if parts == nil {
			c.fail(http.StatusBadRequest, "API Version String "+raw+" is of invalid format. Must be of format MajorNum.MinorNum.")
			return false
		}
		m.major, _ = strconv.Atoi(parts[1])
		m.minor, _ = strconv.Atoi(parts[2])
		if !m.atLeast(lo.major, lo.minor) || !hi.atLeast(m.major, m.minor) {
			c.fail(http.StatusNotAcceptable, fmt.Sprintf("Version %s is not supported by the API. Minimum is %s and maximum is %s.", raw, lo, hi))
			return false
		}
	}
	c.micro = m
	h := c.w.Header()
	h.Set("OpenStack-API-Version", service+" "+m.String())
	if service == "compute" {
		h.Set("X-OpenStack-Nova-API-Version", m.String())
		h.Add("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version")
	} else {
		h.Add("Vary", "OpenStack-API-Version")
	}
	return true
}
