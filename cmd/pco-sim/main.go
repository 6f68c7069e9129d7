// Command pco-sim serves the OpenStack API simulator (Keystone v3, Nova, Neutron, Glance,
// Cinder) on loopback and writes a clouds.yaml for it, so any OpenStack client can use it:
//
//	go run ./cmd/pco-sim --listen 127.0.0.1:8774 --clouds-yaml clouds.yaml
//	OS_CLIENT_CONFIG_FILE=clouds.yaml OS_CLOUD=pco-sim openstack server list
//
// It also serves pluscloud open's Reseller API (see ossim.Sim.ResellerEndpoint); with
// --reseller-credentials FILE it writes that API's endpoint and the reseller account's
// credentials to FILE (mode 0600) as KEY=value lines (RESELLER_ENDPOINT, RESELLER_USERNAME,
// RESELLER_PASSWORD, RESELLER_DOMAIN), e.g. for a pco-reseller-operator Region:
//
//	go run ./cmd/pco-sim --reseller-credentials reseller.env
//
// It runs until SIGINT or SIGTERM. The simulator's admin API (faults, quotas, counters, state)
// is under /_sim/ on the same address; see package ossim.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/pkg/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pco-sim:", err)
		os.Exit(1)
	}
}

// run parses the flags, serves until ctx ends and reports where to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	var opts ossim.Options
	fs := flag.NewFlagSet("pco-sim", flag.ContinueOnError)
	cloudsYAML := fs.String("clouds-yaml", "", "write a clouds.yaml with the cloud \"pco-sim\" for the seeded user and project to this file")
	fs.StringVar(&opts.Addr, "listen", "127.0.0.1:8774", "address to listen on (keep it on loopback)")
	fs.StringVar(&opts.Region, "region", "RegionOne", "region name in the service catalog")
	latencies := latencyFlags(fs)
	fs.DurationVar(&opts.TokenTTL, "token-ttl", 0, "Keystone token lifetime (default 1h)")
	fs.IntVar(&opts.MaxLimit, "max-limit", 0, "largest page of a list (default 1000)")
	fs.DurationVar(&opts.ResellerTokenTTL, "reseller-token-ttl", 0, "Reseller API token lifetime (default 30m)")
	resellerCreds := fs.String("reseller-credentials", "", "write the Reseller API endpoint and the reseller account's username and password to this file (KEY=value lines, mode 0600)")
	quiet := fs.Bool("quiet", false, "do not log requests to stderr")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if opts.Latencies, err = latencies(); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(out, version.String("pco-sim"))
		return nil
	}
	if !*quiet {
		opts.Log = os.Stderr
	}
	sim, err := ossim.Start(opts)
	if err != nil {
		return err
	}
	defer sim.Close()
	if *cloudsYAML != "" {
		if err := os.WriteFile(*cloudsYAML, sim.CloudsYAML("pco-sim"), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out, "clouds.yaml: %s (OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=pco-sim)\n", *cloudsYAML, *cloudsYAML)
	}
	seed := sim.Seed()
	if *resellerCreds != "" {
		if err := writeResellerCredentials(*resellerCreds, sim.ResellerEndpoint(), seed); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "project %s, user %s, region %s, network %s; admin API: %s/_sim/\n", seed.ProjectName, seed.Username, seed.Region, seed.NetworkName, sim.URL())
	fmt.Fprintf(out, "auth URL: %s\n", sim.AuthURL())
	if *resellerCreds != "" {
		fmt.Fprintf(out, "reseller API: %s (username %s, password in %s)\n", sim.ResellerEndpoint(), seed.ResellerUsername, *resellerCreds)
	} else {
		fmt.Fprintf(out, "reseller API: %s user %s\n", sim.ResellerEndpoint(), seed.ResellerUsername)
	}
	<-ctx.Done()
	return nil
}

// writeResellerCredentials writes the Reseller API's endpoint and credentials as KEY=value
// lines, readable by the owner only.
func writeResellerCredentials(path, endpoint string, seed ossim.Seed) error {
	content := fmt.Sprintf("RESELLER_ENDPOINT=%s\nRESELLER_USERNAME=%s\nRESELLER_PASSWORD=%s\nRESELLER_DOMAIN=%s\n",
		endpoint, seed.ResellerUsername, seed.ResellerPassword, seed.ResellerDomain)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600) // WriteFile keeps the mode of a file that exists
}
