package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// faultRates are the shares of requests that get each fault.
type faultRates struct {
	errors, rateLimit, drop, afterCommit, latency, identityErrors float64
}

// services are the APIs the chaos is aimed at; Keystone is treated gently (a Keystone outage is
// another test).
var services = []string{"compute", "network", "image", "volume"}

// injectFaults arms the faults of the run.
//
// How the simulator applies Fault.Rate: each matching fault rolls its own dice per request
// (Rate 0 means always). Every latency fault that fires adds its Delay; of the other faults only
// the first one that fires, in the order they were injected, is applied, and later ones are not
// even rolled. So the second and later non-latency faults of a service get their rate divided by
// the chance that none before them fired, which makes the shares of requests come out as asked.
func injectFaults(sim *ossim.Sim, r faultRates) {
	for _, svc := range services {
		left := 1.0 // chance that no earlier non-latency fault of svc fired
		conditional := func(share float64) float64 {
			if share <= 0 || left <= 0 {
				return 0
			}
			p := min(share/left, 1)
			left -= share
			return p
		}
		if r.afterCommit > 0 {
			// Creates only: the work is done, the answer lost (dropped connection).
			sim.InjectFault(ossim.Fault{Service: svc, Method: http.MethodPost, Kind: ossim.FaultAfterCommit, Rate: r.afterCommit})
		}
		// The after-commit rule only matches POSTs, so it does not shift the others much.
		if p := conditional(r.errors / 2); p > 0 {
			sim.InjectFault(ossim.Fault{Service: svc, Kind: ossim.FaultError, Status: http.StatusInternalServerError, Rate: p})
		}
		if p := conditional(r.errors / 2); p > 0 {
			sim.InjectFault(ossim.Fault{Service: svc, Kind: ossim.FaultError, Status: http.StatusServiceUnavailable, Rate: p})
		}
		if p := conditional(r.rateLimit); p > 0 {
			sim.InjectFault(ossim.Fault{Service: svc, Kind: ossim.FaultRateLimit, RetryAfter: time.Second, Rate: p})
		}
		// The driver's HTTP timeout is 60s and not a flag, so a latency beyond it would stall the
		// run; a dropped connection is what a client sees of a timed-out proxy in front of the API.
		if p := conditional(r.drop); p > 0 {
			sim.InjectFault(ossim.Fault{Service: svc, Kind: ossim.FaultDrop, Rate: p})
		}
		if r.latency > 0 {
			// Three independent delays: 50ms, 150ms, 300ms, adding up to 500ms.
			for _, l := range []struct {
				share float64
				delay time.Duration
			}{{0.5, 50 * time.Millisecond}, {0.3, 150 * time.Millisecond}, {0.2, 300 * time.Millisecond}} {
				sim.InjectFault(ossim.Fault{Service: svc, Kind: ossim.FaultLatency, Delay: l.delay, Rate: r.latency * l.share})
			}
		}
	}
	sim.InjectFault(ossim.Fault{Service: "identity", Kind: ossim.FaultLatency, Delay: 100 * time.Millisecond, Rate: 0.1})
	if r.identityErrors > 0 {
		sim.InjectFault(ossim.Fault{Service: "identity", Kind: ossim.FaultError, Status: http.StatusServiceUnavailable, Rate: r.identityErrors})
	}
}

// faultsUsed sums how often the armed faults were applied, from the admin API (the Go API does
// not expose the counters).
func faultsUsed(sim *ossim.Sim) (int, error) {
	resp, err := http.Get(sim.URL() + "/_sim/faults")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Faults []struct {
			Used int `json:"used"`
		} `json:"faults"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, fmt.Errorf("decoding /_sim/faults: %w", err)
	}
	n := 0
	for _, f := range body.Faults {
		n += f.Used
	}
	return n, nil
}

// novaFaultRates are the shares of server creates (and deletes) that meet each fault inside
// Nova.
type novaFaultRates struct {
	noValidHost, networkLeavesPort, volumeLeftBehind, stuckBuild, lostDelete float64
}

// injectNovaFaults arms the faults inside Nova's build, as a real Nova has them: ERROR with
// "No valid host", ERROR after a failed network allocation with Nova's port left behind, ERROR
// after a boot volume that did not finish with the volume left behind, BUILD for good, and
// deletes that are accepted and then lost (the server stays ACTIVE with task_state deleting).
// Server-level faults are taken in the order armed, one per server, so the rates are made
// conditional as in injectFaults.
func injectNovaFaults(sim *ossim.Sim, r novaFaultRates) {
	left := 1.0
	conditional := func(share float64) float64 {
		if share <= 0 || left <= 0 {
			return 0
		}
		p := min(share/left, 1)
		left -= share
		return p
	}
	kinds := []struct {
		share float64
		fault ossim.Fault
	}{
		{r.noValidHost, ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultNoValidHost}},
		{r.networkLeavesPort, ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultNetworkAllocation, LeavePorts: true}},
		{r.volumeLeftBehind, ossim.Fault{Kind: ossim.FaultServerError, Message: ossim.FaultVolumeNotCreated, LeaveVolumes: true}},
		{r.stuckBuild, ossim.Fault{Kind: ossim.FaultServerStuckBuild}},
	}
	// Each kind once for sure (on the first creates, one each, in this order), then at its rate.
	for _, k := range kinds {
		if k.share > 0 {
			once := k.fault
			once.Count = 1
			sim.InjectFault(once)
		}
	}
	for _, k := range kinds {
		if p := conditional(k.share); p > 0 {
			k.fault.Rate = p
			sim.InjectFault(k.fault)
		}
	}
	if r.lostDelete > 0 {
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerDeleteLingers, Count: 1})
		sim.InjectFault(ossim.Fault{Kind: ossim.FaultServerDeleteLingers, Rate: r.lostDelete})
	}
}

// novaFaultsSeen counts the Nova faults the servers of the run met, from the simulator's
// history (armed faults used up are no longer listed by its admin API).
func novaFaultsSeen(history []ossim.ServerRecord) map[string]int {
	out := map[string]int{}
	for _, r := range history {
		switch {
		case strings.HasPrefix(r.Fault, "No valid host"):
			out["no_valid_host"]++
		case strings.Contains(r.Fault, "Failed to allocate the network(s)"):
			out["network_left_port"]++
		case strings.Contains(r.Fault, "did not finish being created"):
			out["volume_left_behind"]++
		}
		if r.Stuck {
			out["stuck_build"]++
		}
		out["lost_delete"] += r.LostDeletes
	}
	return out
}

// armed tells whether a kind of Nova fault (a novaFaultKinds name) has a rate above 0.
func (r novaFaultRates) armed(kind string) bool {
	return map[string]float64{"no_valid_host": r.noValidHost, "network_left_port": r.networkLeavesPort,
		"volume_left_behind": r.volumeLeftBehind, "stuck_build": r.stuckBuild, "lost_delete": r.lostDelete}[kind] > 0
}

// novaFaultKinds are the names novaFaultsUsed gives, in print order.
var novaFaultKinds = []string{"no_valid_host", "network_left_port", "volume_left_behind", "stuck_build", "lost_delete"}
