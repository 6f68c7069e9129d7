package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/test/integration/framework"
)

// benchRealCycles is the cycles group against a real OpenStack (--real-clouds): a run-scoped
// fixture (framework.NewRealCloud: network, subnet, security group, keypair), the counting proxy
// (proxy.go) in front of the cloud, then for each driver (fresh instances, counters reset just
// before its first cycle) the sequential cycles, and after them a check that nothing is left.
func benchRealCycles(cloudsFile, cloudName string, cycles int) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	setupCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cloud, err := framework.NewRealCloud(setupCtx, cloudsFile, cloudName)
	if err != nil {
		return fmt.Errorf("real cloud %s of %s: %w", cloudName, cloudsFile, err)
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "bench: removing the real cloud's fixture")
		cloud.Close()
	}()
	fx := cloud.Fixture()
	check, err := newServerChecker(setupCtx, cloudsFile, cloudName)
	if err != nil {
		return err
	}
	if left, err := check.benchServers(setupCtx); err != nil {
		return err
	} else if len(left) > 0 {
		return fmt.Errorf("the project already has servers named bench-* (an earlier run's?), delete them first: %s", strings.Join(left, ", "))
	}
	proxy, err := startCountingProxy(fx.AuthURL)
	if err != nil {
		return err
	}
	defer proxy.Close()
	seed := ossim.Seed{
		DomainName: fx.DomainName, ProjectName: fx.ProjectName, Username: fx.Username, Password: fx.Password,
		Region: fx.Region, NetworkID: fx.NetworkID, SecurityGroupName: fx.SecurityGroup, KeyName: fx.KeyName,
		ImageName: fx.ImageName,
	}
	// The flavor with a local disk, so neither driver needs a root volume.
	class, secret, err := objects(seed, proxy.AuthURL(fx.AuthURL), fx.OtherFlavor)
	if err != nil {
		return err
	}
	secret.Data["region"] = []byte(fx.Region)

	drivers, err := newDrivers()
	if err != nil {
		return err
	}
	run := fmt.Sprint(time.Now().UnixNano() % 1e6)
	var res [2]seqResult
	for i, nd := range drivers {
		proxy.Reset()
		start := time.Now()
		for c := range cycles {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			err := cycle(cctx, nd.d, class, secret, fmt.Sprintf("bench-%s-%d", run, c))
			cancel()
			if err != nil {
				logRequests(proxy, nd.name, c)
				return fmt.Errorf("cycles on the real cloud, %s driver: %w", nd.name, err)
			}
		}
		wall := time.Since(start)
		counts := logRequests(proxy, nd.name, cycles)
		if counts.unrouted > 0 {
			return fmt.Errorf("%s driver: %d requests to unknown proxy routes", nd.name, counts.unrouted)
		}
		if err := check.nothingLeft(ctx, cloud); err != nil {
			return fmt.Errorf("after the %s driver's cycles: %w", nd.name, err)
		}
		res[i] = seqResult{requests: counts.total(), auths: counts.auths, wall: wall}
	}
	ours, peer := res[0], res[1]
	n := float64(cycles)
	fmt.Printf("# real OpenStack: %s\n", fx.AuthURL)
	line("requests_per_cycle", float64(ours.requests)/n, float64(peer.requests)/n)
	line("keystone_auths_per_cycle", float64(ours.auths)/n, float64(peer.auths)/n)
	line("cycle_wall_seconds", ours.wall.Seconds()/n, peer.wall.Seconds()/n)
	return nil
}

// logRequests writes the requests the proxy counted for a driver's cycles to stderr.
func logRequests(proxy *countingProxy, driver string, cycles int) proxyCounts {
	counts := proxy.Counts()
	fmt.Fprintf(os.Stderr, "# %s driver, %d cycles: %d requests through the proxy, %d Keystone token requests (%d other JSON responses had origins rewritten)\n",
		driver, cycles, counts.total(), counts.auths, counts.rewrites)
	for _, l := range proxy.requestList(counts) {
		fmt.Fprintln(os.Stderr, "#   "+l)
	}
	return counts
}

// serverChecker looks at the real project directly (not through the proxy, not counted).
type serverChecker struct{ compute *gophercloud.ServiceClient }

func newServerChecker(ctx context.Context, cloudsFile, cloudName string) (*serverChecker, error) {
	ao, eo, tlsConfig, err := clouds.Parse(clouds.WithCloudName(cloudName), clouds.WithLocations(cloudsFile))
	if err != nil {
		return nil, err
	}
	provider, err := config.NewProviderClient(ctx, ao, config.WithTLSConfig(tlsConfig))
	if err != nil {
		return nil, err
	}
	compute, err := gopenstack.NewComputeV2(provider, eo)
	if err != nil {
		return nil, err
	}
	return &serverChecker{compute: compute}, nil
}

// benchServers lists the project's servers whose names start with "bench-", as "name (id, status)".
func (c *serverChecker) benchServers(ctx context.Context) ([]string, error) {
	pages, err := servers.List(c.compute, servers.ListOpts{Name: "^bench-"}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	list, err := servers.ExtractServers(pages)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range list {
		if strings.HasPrefix(s.Name, "bench-") {
			out = append(out, fmt.Sprintf("%s (%s, %s)", s.Name, s.ID, s.Status))
		}
	}
	return out, nil
}

// nothingLeft fails when a bench-* server exists or a port remains on the fixture's network.
// Nova removes a server's ports itself while deleting it; they get a few seconds to go.
func (c *serverChecker) nothingLeft(ctx context.Context, cloud framework.Cloud) error {
	left, err := c.benchServers(ctx)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("LEFT BEHIND: servers %s", strings.Join(left, ", "))
	}
	var ports []ossim.Port
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Second) {
		if ports, err = cloud.Ports(ctx); err != nil {
			return err
		}
		if len(ports) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
	}
	var names []string
	for _, p := range ports {
		names = append(names, fmt.Sprintf("%s (%s, device %s)", p.Name, p.ID, p.DeviceID))
	}
	return fmt.Errorf("LEFT BEHIND: ports on the fixture's network: %s", strings.Join(names, ", "))
}
