package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

// ExampleObjects reads kubernetes/examples and points the Secret and MachineClass at the
// simulator: its Keystone URL and default user, and its seeded network, image and keypair.
func (s *Stack) ExampleObjects() ([]*unstructured.Unstructured, error) {
	fx := s.Cloud.Fixture()
	objs, err := s.readExamples(filepath.Join(testenv.RepoRoot(), "kubernetes", "examples"), strings.NewReplacer(
		"http://127.0.0.1:8774/identity/v3", fx.AuthURL,
		"REPLACE-WITH-NETWORK-ID", fx.NetworkID,
		"imageName: Ubuntu 24.04", "imageName: "+fx.ImageName,
		"keyName: pco-demo", "keyName: "+fx.KeyName,
		"- pco-nodes", "- "+fx.SecurityGroup,
		"region: RegionOne", "region: "+fx.Region,
		"flavorName: SCS-2V-4 ", "flavorName: "+fx.Flavor+" ",
		"machine-controller", s.Opts.Namespace,
	))
	for _, u := range objs {
		if u.GetKind() == "Secret" {
			s.fillSecret(u)
		}
	}
	return objs, err
}

// ResellerExampleObjects reads kubernetes/examples/reseller and points the Region at the
// simulator's Reseller API (its reseller account) and Keystone, and the MachineClass at the
// shared network every reseller project may use.
func (s *Stack) ResellerExampleObjects() ([]*unstructured.Unstructured, error) {
	seed := s.Sim.Seed()
	return s.readExamples(filepath.Join(testenv.RepoRoot(), "kubernetes", "examples", "reseller"), strings.NewReplacer(
		"https://prod1.api.pco.get-cloud.io:60312/", s.Sim.ResellerEndpoint(),
		"MY_RESELLER_USERNAME", seed.ResellerUsername,
		"MY_RESELLER_PASSWORD", seed.ResellerPassword,
		"# identityEndpoint: https://prod1.api.pco.get-cloud.io:5000/v3", "identityEndpoint: "+s.Sim.AuthURL(),
		"REPLACE-WITH-NETWORK-ID", seed.SharedNetworkID,
		"machine-controller", s.Opts.Namespace,
	))
}

// readExamples decodes every YAML document of dir's *.yaml files (Namespaces left out) after
// replacing placeholders.
func (s *Stack) readExamples(dir string, replacer *strings.Replacer) ([]*unstructured.Unstructured, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, doc := range strings.Split(replacer.Replace(string(b)), "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
				return nil, fmt.Errorf("%s: %w", e.Name(), err)
			}
			if u.GetKind() == "Namespace" {
				continue
			}
			objs = append(objs, u)
		}
	}
	return objs, nil
}

func (s *Stack) fillSecret(u *unstructured.Unstructured) {
	fx := s.Cloud.Fixture()
	_ = unstructured.SetNestedField(u.Object, fx.ProjectName, "stringData", "tenantName")
	_ = unstructured.SetNestedField(u.Object, fx.Username, "stringData", "username")
	_ = unstructured.SetNestedField(u.Object, fx.Password, "stringData", "password")
	_ = unstructured.SetNestedField(u.Object, fx.DomainName, "stringData", "domainName")
}

// Apply creates or updates objects with server-side apply.
func (s *Stack) Apply(ctx context.Context, objs ...*unstructured.Unstructured) error {
	for _, u := range objs {
		u.SetManagedFields(nil)
		if err := s.CP.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("pco-tests"), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	return nil
}

// ProviderSpec returns a MachineClass's decoded providerSpec.
func ProviderSpec(mc *mcmv1alpha1.MachineClass) (*api.MachineProviderConfig, error) {
	return api.Decode(mc.ProviderSpec.Raw)
}

// SetProviderSpec encodes config into the MachineClass.
func SetProviderSpec(mc *mcmv1alpha1.MachineClass, config *api.MachineProviderConfig) error {
	raw, err := json.Marshal(config)
	if err != nil {
		return err
	}
	mc.ProviderSpec.Raw = raw
	return nil
}

// Machines lists the Machines of the control namespace.
func (s *Stack) Machines(ctx context.Context) ([]mcmv1alpha1.Machine, error) {
	var list mcmv1alpha1.MachineList
	if err := s.CP.Client.List(ctx, &list, client.InNamespace(s.Opts.Namespace)); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// RunningMachines counts Machines in phase Running.
func (s *Stack) RunningMachines(ctx context.Context) (int, error) {
	machines, err := s.Machines(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range machines {
		if m.Status.CurrentStatus.Phase == mcmv1alpha1.MachineRunning {
			n++
		}
	}
	return n, nil
}

// ActiveServers counts the cloud's ACTIVE servers (of this test) that are not being deleted.
func (s *Stack) ActiveServers() int {
	n := 0
	list, _ := s.Cloud.Servers(context.Background())
	for _, srv := range list {
		if srv.Status == "ACTIVE" && srv.TaskState == "" {
			n++
		}
	}
	return n
}

// UpdateMachineDeployment changes a MachineDeployment, re-reading and retrying when MCM wrote it
// in between (its controllers update MachineDeployments all the time).
func (s *Stack) UpdateMachineDeployment(ctx context.Context, name string, change func(*mcmv1alpha1.MachineDeployment)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		md := &mcmv1alpha1.MachineDeployment{}
		if err := s.CP.Client.Get(ctx, client.ObjectKey{Namespace: s.Opts.Namespace, Name: name}, md); err != nil {
			return err
		}
		change(md)
		return s.CP.Client.Update(ctx, md)
	})
}
