package main

import (
	"fmt"
	"sort"
	"strings"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// portDescriptionPrefix is how the driver marks the ports it makes (pkg/driver/ownership.go).
const portDescriptionPrefix = "mcm-provider-pco "

// comparison is the cloud held against the cluster.
type comparison struct {
	machines, running                         int
	leakedServers, leakedPorts, leakedVolumes int
	duplicateServers                          int
	details                                   []string
}

// serverIDOf returns the server ID of a provider ID (openstack:///<region>/<id>).
func serverIDOf(providerID string) string {
	rest, ok := strings.CutPrefix(providerID, "openstack:///")
	if !ok {
		return ""
	}
	return rest[strings.LastIndex(rest, "/")+1:]
}

func compare(machines []mcmv1alpha1.Machine, servers []ossim.Server, ports []ossim.Port, volumes []ossim.Volume) comparison {
	var c comparison
	c.machines = len(machines)
	byName := map[string]*mcmv1alpha1.Machine{}
	backed := map[string]bool{} // server IDs of the Machines' provider IDs
	for i := range machines {
		m := &machines[i]
		byName[m.Name] = m
		if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning {
			c.running++
		}
		if id := serverIDOf(m.Spec.ProviderID); id != "" {
			backed[id] = true
		}
	}
	live := map[string]bool{}
	perName := map[string][]string{}
	for _, s := range servers {
		live[s.ID] = true
		perName[s.Name] = append(perName[s.Name], s.ID)
		m := byName[s.Name]
		if backed[s.ID] || (m != nil && m.Spec.ProviderID == "") {
			continue
		}
		c.leakedServers++
		c.details = append(c.details, fmt.Sprintf("leaked server %s %s (%s%s)", s.Name, s.ID, s.Status, taskState(s.TaskState)))
	}
	for name, ids := range perName {
		if byName[name] != nil && len(ids) > 1 {
			c.duplicateServers += len(ids) - 1
			c.details = append(c.details, fmt.Sprintf("machine %s has %d servers: %s", name, len(ids), strings.Join(ids, " ")))
		}
	}
	for _, p := range ports {
		ours := strings.HasPrefix(p.Description, portDescriptionPrefix) || strings.HasPrefix(p.DeviceOwner, "compute:") || byName[p.Name] != nil
		if !ours {
			continue // network infrastructure (DHCP, router) ports
		}
		if p.DeviceID == "" || !live[p.DeviceID] {
			c.leakedPorts++
			c.details = append(c.details, fmt.Sprintf("leaked port %s %s (device %q, status %s)", p.Name, p.ID, p.DeviceID, p.Status))
		}
	}
	for _, v := range volumes {
		attached := false
		for _, a := range v.Attachments {
			attached = attached || live[a]
		}
		if !attached {
			c.leakedVolumes++
			c.details = append(c.details, fmt.Sprintf("leaked volume %s %s (%s, attachments %v)", v.Name, v.ID, v.Status, v.Attachments))
		}
	}
	sort.Strings(c.details)
	return c
}

func taskState(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}

func (c comparison) failed() bool {
	return c.leakedServers+c.leakedPorts+c.leakedVolumes+c.duplicateServers > 0
}
