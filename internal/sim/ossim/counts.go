package ossim

import (
	"fmt"
	"sort"
	"strings"
)

// Counts are request counters keyed "<service> <METHOD> <route>", e.g. "compute GET /servers/{id}".
type Counts map[string]int

// Total is the number of API requests.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Service is the number of requests to one service (identity, compute, network, image, volume).
func (c Counts) Service(name string) int {
	n := 0
	for k, v := range c {
		if strings.HasPrefix(k, name+" ") {
			n += v
		}
	}
	return n
}

// Get is the count of one route key.
func (c Counts) Get(key string) int { return c[key] }

// String lists the counters, sorted.
func (c Counts) String() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%6d  %s\n", c[k], k)
	}
	return b.String()
}

// Counts returns a snapshot of the request counters.
func (s *Sim) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(Counts, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// ResetCounts zeroes the request counters.
func (s *Sim) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}
