// Command bench drives this project's driver and gardener's machine-controller-manager-provider-
// openstack v0.27.1 ("the peer") through the same MachineClass, Secret and MCM call sequence
// against one OpenStack simulator, and prints one line per metric:
//
//	BENCH <metric> ours=<x> peer=<y> ratio=<ours/peer>
//
// It is its own Go module so the peer's dependencies never enter the project's go.mod.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gardener/machine-controller-manager-provider-openstack/pkg/apis/openstack/install"
	peerdriver "github.com/gardener/machine-controller-manager-provider-openstack/pkg/driver"
	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
	ossim "github.com/pco-mcm/mcm-provider-pco/test/simulator/openstack"
)

func main() {
	cycles := flag.Int("cycles", 5, "machine cycles per driver (the peer waits 10s per create and per delete)")
	flag.Parse()
	if err := run(*cycles); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// result is what one driver cost for its cycles.
type result struct {
	requests, auths int
	wall            time.Duration
}

func run(cycles int) error {
	scheme := runtime.NewScheme()
	if err := install.AddToScheme(scheme); err != nil {
		return err
	}
	peer := peerdriver.NewOpenstackDriver(serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDecoder())
	ours := driver.New(driver.DefaultOptions())

	var results [2]result
	for i, d := range []mcmdriver.Driver{ours, peer} {
		// A fresh simulator per driver, same settings, so neither pays for the other's state.
		sim, err := ossim.Start(ossim.Options{BuildTime: 3 * time.Second, DeleteTime: time.Second})
		if err != nil {
			return err
		}
		results[i], err = runCycles(d, sim, cycles)
		sim.Close()
		if err != nil {
			return fmt.Errorf("driver %d: %w", i, err)
		}
	}
	oursRes, peerRes := results[0], results[1]
	line("requests_per_cycle", float64(oursRes.requests)/float64(cycles), float64(peerRes.requests)/float64(cycles))
	line("keystone_auths_per_cycle", float64(oursRes.auths)/float64(cycles), float64(peerRes.auths)/float64(cycles))
	line("cycle_wall_seconds", oursRes.wall.Seconds()/float64(cycles), peerRes.wall.Seconds()/float64(cycles))
	return nil
}

func line(metric string, ours, peer float64) {
	ratio := 0.0
	if peer > 0 {
		ratio = ours / peer
	}
	fmt.Printf("BENCH %s ours=%.2f peer=%.2f ratio=%.2f\n", metric, ours, peer, ratio)
}

// runCycles drives what MCM does per machine: GetMachineStatus (create if NotFound or
// Unimplemented), CreateMachine, InitializeMachine (skipped when Unimplemented),
// GetMachineStatus, DeleteMachine.
func runCycles(d mcmdriver.Driver, sim *ossim.Sim, cycles int) (result, error) {
	ctx := context.Background()
	class, secret, err := objects(sim)
	if err != nil {
		return result{}, err
	}
	sim.ResetCounts()
	start := time.Now()
	for i := range cycles {
		m := &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%d", i), Namespace: "bench"}}
		_, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: m, MachineClass: class, Secret: secret})
		if c := code(err); c != codes.NotFound && c != codes.Unimplemented {
			return result{}, fmt.Errorf("status before create: %v", err)
		}
		created, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: m, MachineClass: class, Secret: secret})
		if err != nil {
			return result{}, fmt.Errorf("create: %w", err)
		}
		m.Spec.ProviderID = created.ProviderID
		if _, err := d.InitializeMachine(ctx, &mcmdriver.InitializeMachineRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil && code(err) != codes.Unimplemented {
			return result{}, fmt.Errorf("initialize: %w", err)
		}
		if _, err := d.GetMachineStatus(ctx, &mcmdriver.GetMachineStatusRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil && code(err) != codes.Unimplemented {
			return result{}, fmt.Errorf("status: %w", err)
		}
		if _, err := d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil {
			return result{}, fmt.Errorf("delete: %w", err)
		}
	}
	counts := sim.Counts()
	if n := len(sim.Servers()) + len(sim.Ports()); n != 0 {
		return result{}, fmt.Errorf("%d servers/ports left behind", n)
	}
	return result{requests: counts.Total(), auths: counts.Get("identity POST /v3/auth/tokens"), wall: time.Since(start)}, nil
}

func code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	st, _ := status.FromError(err)
	return st.Code()
}

// objects are the MachineClass and Secret both drivers get: a provider-openstack v0.27.1
// providerSpec and Secret for the simulator's project.
func objects(sim *ossim.Sim) (*v1alpha1.MachineClass, *corev1.Secret, error) {
	seed := sim.Seed()
	raw, err := json.Marshal(api.MachineProviderConfig{
		TypeMeta: metav1.TypeMeta{APIVersion: api.APIVersion, Kind: api.Kind},
		Spec: api.MachineProviderConfigSpec{
			ImageName: seed.ImageName, Region: seed.Region, AvailabilityZone: "nova", FlavorName: "SCS-2V-4-20s",
			KeyName: seed.KeyName, SecurityGroups: []string{seed.SecurityGroupName}, NetworkID: seed.NetworkID,
			PodNetworkCidr: "100.96.0.0/11",
			Tags:           map[string]string{"kubernetes.io-cluster-bench": "1", "kubernetes.io-role-node": "1"},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	class := &v1alpha1.MachineClass{Provider: api.ProviderName, ProviderSpec: runtime.RawExtension{Raw: raw}}
	secret := &corev1.Secret{Data: map[string][]byte{
		"authURL": []byte(sim.AuthURL()), "domainName": []byte(seed.DomainName), "tenantName": []byte(seed.ProjectName),
		"username": []byte(seed.Username), "password": []byte(seed.Password), "userData": []byte("#cloud-config\n"),
	}}
	return class, secret, nil
}
