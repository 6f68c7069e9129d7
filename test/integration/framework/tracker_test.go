package framework

import (
	"encoding/json"
	"testing"
	"time"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
)

// TestResourcesTracker checks the orphan finder MCM's integration-test framework relies on: it
// removes servers an earlier run left, ignores what existed before, and reports a new server
// until it is gone.
func TestResourcesTracker(t *testing.T) {
	sim, err := ossim.Start(ossim.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	seed := sim.Seed()
	before := sim.AddServers(1, ossim.Server{Name: "someone-elses"})
	leftover := sim.AddServers(1, ossim.Server{Name: "earlier-run", Metadata: map[string]string{IntegrationTestRoleTag: "1"}})

	spec, _ := json.Marshal(map[string]any{
		"apiVersion": "openstack.machine.gardener.cloud/v1alpha1", "kind": "MachineProviderConfig",
		"spec": map[string]any{"region": seed.Region, "flavorName": "SCS-2V-4-20s", "imageName": seed.ImageName,
			"keyName": seed.KeyName, "networkID": seed.NetworkID, "securityGroups": []string{seed.SecurityGroupName},
			"tags": map[string]string{"kubernetes.io-cluster-x": "1", "kubernetes.io-role-node": "1"}},
	})
	mc := &mcmv1alpha1.MachineClass{ProviderSpec: runtime.RawExtension{Raw: spec}}
	secret := map[string][]byte{"authURL": []byte(sim.AuthURL()), "domainName": []byte(seed.DomainName),
		"tenantName": []byte(seed.ProjectName), "username": []byte(seed.Username), "password": []byte(seed.Password)}

	tr := &ResourcesTracker{}
	if err := tr.InitializeResourcesTracker(mc, secret, "x"); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range sim.Servers() {
		ids[s.ID] = true
	}
	if !ids[before[0]] || ids[leftover[0]] {
		t.Fatalf("after initialization the earlier run's server must be gone and the other kept: %v", ids)
	}
	if tr.IsOrphanedResourcesAvailable() {
		t.Fatalf("nothing new yet, but orphans reported: %v", tr.Last)
	}
	orphan := sim.AddServers(1, ossim.Server{Name: "orphan"})
	if !tr.IsOrphanedResourcesAvailable() || len(tr.Last) != 1 {
		t.Fatalf("want the new server reported, got %v", tr.Last)
	}
	sim.DeleteServerOutOfBand(orphan[0])
	deadline := time.Now().Add(10 * time.Second)
	for tr.IsOrphanedResourcesAvailable() {
		if time.Now().After(deadline) {
			t.Fatalf("still reported after deletion: %v", tr.Last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
