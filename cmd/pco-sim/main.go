// Command pco-sim serves the OpenStack API simulator (Keystone v3, Nova, Neutron, Glance,
// Cinder) on loopback and writes a clouds.yaml for it, so any OpenStack client can use it:
//
//	go run ./cmd/pco-sim --listen 127.0.0.1:8774 --clouds-yaml clouds.yaml
//	OS_CLIENT_CONFIG_FILE=clouds.yaml OS_CLOUD=pco-sim openstack server list
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	ossim "github.com/pco-mcm/mcm-provider-pco/test/simulator/openstack"
)

func main() {
	var opts ossim.Options
	cloudsYAML := flag.String("clouds-yaml", "", "write a clouds.yaml with the cloud \"pco-sim\" for the default user to this file")
	flag.StringVar(&opts.Addr, "listen", "127.0.0.1:8774", "address to listen on (keep it on loopback)")
	flag.StringVar(&opts.Region, "region", "RegionOne", "region name in the service catalog")
	flag.DurationVar(&opts.BuildTime, "build-time", 0, "how long servers stay in BUILD (default 1s)")
	flag.DurationVar(&opts.TokenTTL, "token-ttl", 0, "Keystone token lifetime (default 1h)")
	flag.Parse()

	sim, err := ossim.Start(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pco-sim:", err)
		os.Exit(1)
	}
	defer sim.Close()
	if *cloudsYAML != "" {
		if err := os.WriteFile(*cloudsYAML, sim.CloudsYAML("pco-sim"), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "pco-sim:", err)
			os.Exit(1)
		}
		fmt.Printf("clouds.yaml: %s (OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=pco-sim)\n", *cloudsYAML, *cloudsYAML)
	}
	seed := sim.Seed()
	fmt.Printf("auth URL: %s\n", sim.AuthURL())
	fmt.Printf("project %s, user %s, region %s, network %s; admin API: %s/_sim/\n", seed.ProjectName, seed.Username, seed.Region, seed.NetworkName, sim.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
