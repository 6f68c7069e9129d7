package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

const (
	listServers  = 5000 // servers in the project
	listClusters = 10   // clusters sharing it, listServers/listClusters servers each
	listOwned    = listServers / listClusters
	ownedPrefix  = "bench-owned" // names of the bench cluster's servers
	listRuns     = 3             // measured calls per driver, after one warm-up call
)

// How each driver recognises the servers of a MachineClass's cluster and role (class tags
// "kubernetes.io-cluster-<name>" and "kubernetes.io-role-<role>"):
//   - ours (pkg/driver/list.go, ownership.go): asks Nova for servers with both keys as server
//     tags (GET /servers/detail?tags=<cluster>,<role>, pages of 1000), and also accepts servers
//     whose metadata has both keys;
//   - the peer (executor.listServers in provider-openstack v0.27.1): lists every server of the
//     project (no filter, gophercloud follows Nova's pages) and keeps those whose metadata has
//     both keys.
//
// So every server here carries both markers of its cluster: the keys as Nova tags (ours) and
// as metadata "<key>": "1" (the peer's, which is how the peer's CreateMachine marks them). The
// other nine clusters' servers share the role key but not the cluster key.

// markers returns the Nova tags and metadata that mark a server of the cluster key with the
// bench's role.
func markers(cluster string) ([]string, map[string]string, error) {
	tags := []string{}
	for _, key := range []string{cluster, roleKey} {
		// Our driver turns a key into a Nova tag by replacing "/" and "," and, past Nova's 60
		// characters, hashing; the bench's keys need neither, so the tag is the key.
		if len(key) > 60 || strings.ContainsAny(key, "/,") {
			return nil, nil, fmt.Errorf("tag key %q is not a valid Nova tag as it is", key)
		}
		tags = append(tags, key)
	}
	return tags, map[string]string{cluster: "1", roleKey: "1"}, nil
}

// benchList measures each driver's ListMachines against a fresh simulator holding 5,000
// servers, 500 of them the bench cluster's.
func benchList() error {
	drivers, err := newDrivers()
	if err != nil {
		return err
	}
	var walls [2]time.Duration
	var requests [2]int
	for i, nd := range drivers {
		sim, err := listSim()
		if err != nil {
			return err
		}
		walls[i], requests[i], err = measureList(nd.d, sim)
		sim.Close()
		if err != nil {
			return fmt.Errorf("list, %s driver: %w", nd.name, err)
		}
	}
	fmt.Printf("# listmachines_*_5000: ListMachines over %d servers (%d clusters, %d the MachineClass's), page size %d; median of %d calls after 1 warm-up; each returned exactly %d\n",
		listServers, listClusters, listOwned, 1000, listRuns, listOwned)
	line("listmachines_wall_5000", walls[0].Seconds(), walls[1].Seconds())
	line("listmachines_requests_5000", float64(requests[0]), float64(requests[1]))
	return nil
}

// listSim starts a simulator at default settings (MaxLimit 1000) with the 5,000 servers.
func listSim() (*ossim.Sim, error) {
	sim, err := ossim.Start(ossim.Options{})
	if err != nil {
		return nil, err
	}
	for c := range listClusters {
		cluster, name := fmt.Sprintf("%sother-%d", api.ServerTagClusterPrefix, c), fmt.Sprintf("other-%d", c)
		if c == listClusters/2 {
			cluster, name = clusterKey, ownedPrefix
		}
		tags, metadata, err := markers(cluster)
		if err != nil {
			sim.Close()
			return nil, err
		}
		sim.AddServers(listOwned, ossim.Server{Name: name, Tags: tags, Metadata: metadata})
	}
	if n := len(sim.Servers()); n != listServers {
		sim.Close()
		return nil, fmt.Errorf("simulator holds %d servers, want %d", n, listServers)
	}
	return sim, nil
}

// measureList calls ListMachines once to warm up and listRuns times measured, checks every
// answer is exactly the bench cluster's servers, and returns the median wall time and the
// median number of OpenStack requests per call.
func measureList(d mcmdriver.Driver, sim *ossim.Sim) (time.Duration, int, error) {
	ctx := context.Background()
	class, secret, err := objects(sim.Seed(), sim.AuthURL(), simFlavor)
	if err != nil {
		return 0, 0, err
	}
	req := &mcmdriver.ListMachinesRequest{MachineClass: class, Secret: secret}
	var walls []time.Duration
	var requests []int
	for run := range listRuns + 1 {
		before := sim.Counts().Total()
		start := time.Now()
		resp, err := d.ListMachines(ctx, req)
		wall := time.Since(start)
		if err != nil {
			return 0, 0, fmt.Errorf("ListMachines: %w", err)
		}
		if n := len(resp.MachineList); n != listOwned {
			return 0, 0, fmt.Errorf("ListMachines returned %d machines, want exactly %d", n, listOwned)
		}
		for id, name := range resp.MachineList {
			if !strings.HasPrefix(name, ownedPrefix+"-") {
				return 0, 0, fmt.Errorf("ListMachines returned %s (%s), which is not the MachineClass's cluster's", name, id)
			}
		}
		if run == 0 {
			continue // warm-up
		}
		walls = append(walls, wall)
		requests = append(requests, sim.Counts().Total()-before)
	}
	return median(walls), median(requests), nil
}

func median[T int | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
