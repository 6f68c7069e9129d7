package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// tally is what the run counts: the converged final count, what the cloud still holds after
// scale to 0, and the duplicates of the whole run.
type tally struct {
	machines, running                         int // at the final count, before scale to 0
	leakedServers, leakedPorts, leakedVolumes int
	duplicateServers                          int
	posts, maxPostsPerMachine                 int
	details                                   []string
}

// baseline is what the cloud held before the run (the simulator's seed): not ours.
type baseline struct{ servers, ports, volumes map[string]bool }

func takeBaseline(servers []ossim.Server, ports []ossim.Port, volumes []ossim.Volume) baseline {
	b := baseline{map[string]bool{}, map[string]bool{}, map[string]bool{}}
	for _, s := range servers {
		b.servers[s.ID] = true
	}
	for _, p := range ports {
		b.ports[p.ID] = true
	}
	for _, v := range volumes {
		b.volumes[v.ID] = true
	}
	return b
}

// countLeaks counts everything the cloud holds after scale to 0 that it did not hold before
// the run: servers, ports (the driver's, Nova's, and those Nova left behind) and volumes.
func (t *tally) countLeaks(b baseline, servers []ossim.Server, ports []ossim.Port, volumes []ossim.Volume) {
	for _, s := range servers {
		if !b.servers[s.ID] {
			t.leakedServers++
			t.details = append(t.details, fmt.Sprintf("leaked server %s %s (%s%s)", s.Name, s.ID, s.Status, taskState(s.TaskState)))
		}
	}
	for _, p := range ports {
		if !b.ports[p.ID] && !strings.HasPrefix(p.DeviceOwner, "network:") {
			t.leakedPorts++
			t.details = append(t.details, fmt.Sprintf("leaked port %q %s (%s, device %q owner %q, status %s)", p.Name, p.ID, portMaker(p), p.DeviceID, p.DeviceOwner, p.Status))
		}
	}
	for _, v := range volumes {
		if !b.volumes[v.ID] {
			t.leakedVolumes++
			t.details = append(t.details, fmt.Sprintf("leaked volume %q %s (%s, attachments %v)", v.Name, v.ID, v.Status, v.Attachments))
		}
	}
}

// portDescriptionPrefix is how the driver marks the ports it makes (pkg/driver/ownership.go).
const portDescriptionPrefix = "mcm-provider-pco "

func portMaker(p ossim.Port) string {
	if strings.HasPrefix(p.Description, portDescriptionPrefix) {
		return "driver-made"
	}
	return "Nova-made"
}

// countDuplicates goes through every server the run made: a server created while another
// server of the same name (machine) was live is a duplicate, even if it was removed later.
func (t *tally) countDuplicates(history []ossim.ServerRecord, baselineServers map[string]bool) {
	byName := map[string][]ossim.ServerRecord{}
	for _, r := range history {
		if !baselineServers[r.ID] {
			byName[r.Name] = append(byName[r.Name], r)
			t.posts++
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		rs := byName[name]
		t.maxPostsPerMachine = max(t.maxPostsPerMachine, len(rs))
		slices.SortFunc(rs, func(a, b ossim.ServerRecord) int { return a.Created.Compare(b.Created) })
		for i, r := range rs {
			for _, earlier := range rs[:i] {
				if earlier.Ended.IsZero() || earlier.Ended.After(r.Created) {
					t.duplicateServers++
					t.details = append(t.details, fmt.Sprintf("machine %s: server %s created at %s while %s (created %s) was live",
						name, r.ID, r.Created.Format("15:04:05.000"), earlier.ID, earlier.Created.Format("15:04:05.000")))
					break
				}
			}
		}
	}
}

func taskState(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}

func (t *tally) failed() bool {
	return t.leakedServers+t.leakedPorts+t.leakedVolumes+t.duplicateServers > 0
}
