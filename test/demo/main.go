// Command demo starts the OpenStack simulator and drives machines through the driver's whole
// lifecycle, exactly as machine-controller-manager calls it, printing what happens.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	mcmdriver "github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
	ossim "github.com/pco-mcm/mcm-provider-pco/test/simulator/openstack"
)

func main() {
	machines := flag.Int("machines", 3, "how many machines to create")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *machines); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n int) error {
	sim, err := ossim.Start(ossim.Options{BuildTime: 2 * time.Second})
	if err != nil {
		return err
	}
	defer sim.Close()
	seed := sim.Seed()
	fmt.Printf("OpenStack simulator: %s (region %s, project %s)\n", sim.AuthURL(), seed.Region, seed.ProjectName)

	spec := api.MachineProviderConfigSpec{
		ImageName: seed.ImageWithMinDisk, Region: seed.Region, AvailabilityZone: "nova", FlavorName: "SCS-2V-4",
		KeyName: seed.KeyName, SecurityGroups: []string{seed.SecurityGroupName}, NetworkID: seed.NetworkID,
		PodNetworkCIDRs: []string{"100.96.0.0/11"},
		Tags:            map[string]string{"kubernetes.io-cluster-shoot--demo--pco": "1", "kubernetes.io-role-node": "1"},
	}
	raw, err := json.Marshal(api.MachineProviderConfig{TypeMeta: metav1.TypeMeta{APIVersion: api.APIVersion, Kind: api.Kind}, Spec: spec})
	if err != nil {
		return err
	}
	class := &v1alpha1.MachineClass{Provider: api.ProviderName, ProviderSpec: runtime.RawExtension{Raw: raw}}
	secret := &corev1.Secret{Data: map[string][]byte{
		"authURL": []byte(sim.AuthURL()), "domainName": []byte(seed.DomainName), "tenantName": []byte(seed.ProjectName),
		"username": []byte(seed.Username), "password": []byte(seed.Password), "userData": []byte("#cloud-config\n"),
	}}
	d := driver.New(driver.DefaultOptions())

	providerIDs := map[string]string{}
	for i := range n {
		m := &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("demo-worker-%d", i), Namespace: "demo"}}
		fmt.Printf("creating %s (flavor %s boots from a Cinder volume) ...\n", m.Name, spec.FlavorName)
		resp, err := d.CreateMachine(ctx, &mcmdriver.CreateMachineRequest{Machine: m, MachineClass: class, Secret: secret})
		if err != nil {
			return err
		}
		providerIDs[m.Name] = resp.ProviderID
		fmt.Printf("  %s is ACTIVE: %s %v\n", m.Name, resp.ProviderID, resp.Addresses)
	}
	list, err := d.ListMachines(ctx, &mcmdriver.ListMachinesRequest{MachineClass: class, Secret: secret})
	if err != nil {
		return err
	}
	fmt.Printf("ListMachines found %d machines of the cluster:\n", len(list.MachineList))
	for id, name := range list.MachineList {
		fmt.Printf("  %s -> %s\n", name, id)
	}
	for name, id := range providerIDs {
		m := &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo"}, Spec: v1alpha1.MachineSpec{ProviderID: id}}
		if _, err := d.DeleteMachine(ctx, &mcmdriver.DeleteMachineRequest{Machine: m, MachineClass: class, Secret: secret}); err != nil {
			return err
		}
		fmt.Printf("deleted %s\n", name)
	}
	counts := sim.Counts()
	fmt.Printf("DEMO machines=%d keystone_tokens=%d openstack_requests=%d servers_left=%d ports_left=%d volumes_left=%d\n",
		n, counts.Get("identity POST /v3/auth/tokens"), counts.Total(), len(sim.Servers()), len(sim.Ports()), len(sim.Volumes()))
	return nil
}
