package validation

import (
	"strings"
	"testing"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

// peerSample is the sample MachineClass of gardener's provider-openstack v0.27.1, unchanged.
const peerSample = `
apiVersion: machine.sapcloud.io/v1alpha1
kind: MachineClass
metadata:
  name: test-mc
  namespace: shoot--foobar--openstack
secretRef:
  name: core-openstack
  namespace: shoot--foobar--openstack
provider: OpenStack
providerSpec:
  apiVersion: openstack.machine.gardener.cloud/v1alpha1
  kind: MachineProviderConfig
  spec:
    availabilityZone: eu-nl-1b
    flavorName: m1.xmedium
    imageID: a40dff99-e78a-4c83-af12-26b97e13fc9f
    keyName: shoot--foobar--openstack
    networkID: 378c4e98-dcf9-438a-bf7f-89d964d18793
    podNetworkCidr: 100.96.0.0/11
    region: eu-nl-1
    securityGroups:
      - shoot--foobar-openstack
    tags:
      kubernetes.io-cluster-shoot--foobar--openstack: "1"
      kubernetes.io-role-node: "1"
`

func classFromYAML(t *testing.T, doc string) *mcmv1alpha1.MachineClass {
	t.Helper()
	mc := &mcmv1alpha1.MachineClass{}
	if err := yaml.Unmarshal([]byte(doc), mc); err != nil {
		t.Fatal(err)
	}
	return mc
}

func TestPeerSampleUnchanged(t *testing.T) {
	config, errs := ValidateMachineClass(classFromYAML(t, peerSample))
	if len(errs) > 0 {
		t.Fatalf("the peer's sample must validate unchanged: %v", errs)
	}
	if config.Spec.FlavorName != "m1.xmedium" || config.Spec.PodNetworkCidr != "100.96.0.0/11" || len(config.Spec.Tags) != 2 {
		t.Fatalf("decoded wrong: %+v", config.Spec)
	}
}

func validSpec() api.MachineProviderConfigSpec {
	return api.MachineProviderConfigSpec{ImageName: "Ubuntu", Region: "RegionOne", AvailabilityZone: "nova", FlavorName: "SCS-2V-4",
		KeyName: "k", NetworkID: "net", PodNetworkCIDRs: []string{"100.96.0.0/11"},
		Tags: map[string]string{"kubernetes.io-cluster-shoot--a": "1", "kubernetes.io-role-node": "1"}}
}

func ptr[T any](v T) *T { return &v }

func TestValidateProviderSpecRules(t *testing.T) {
	cases := map[string]struct {
		mod   func(*api.MachineProviderConfigSpec)
		paths []string
	}{
		"valid":                   {func(*api.MachineProviderConfigSpec) {}, nil},
		"no image":                {func(s *api.MachineProviderConfigSpec) { s.ImageName = "" }, []string{"spec.imageName"}},
		"image by id":             {func(s *api.MachineProviderConfigSpec) { s.ImageName, s.ImageID = "", "id" }, nil},
		"required fields":         {func(s *api.MachineProviderConfigSpec) { s.Region, s.FlavorName, s.AvailabilityZone, s.KeyName = "", "", "", "" }, []string{"spec.region", "spec.flavorName", "spec.availabilityZone", "spec.keyName"}},
		"network and networks":    {func(s *api.MachineProviderConfigSpec) { s.Networks = []api.OpenStackNetwork{{Id: "x"}} }, []string{"spec.networks"}},
		"no network":              {func(s *api.MachineProviderConfigSpec) { s.NetworkID = "" }, []string{"spec.networkID"}},
		"network id and name":     {func(s *api.MachineProviderConfigSpec) { s.NetworkID, s.Networks = "", []api.OpenStackNetwork{{Id: "x", Name: "y"}} }, []string{"spec.networks[0]"}},
		"network neither":         {func(s *api.MachineProviderConfigSpec) { s.NetworkID, s.Networks = "", []api.OpenStackNetwork{{}} }, []string{"spec.networks[0]"}},
		"subnets without network": {func(s *api.MachineProviderConfigSpec) { s.NetworkID, s.Networks, s.SubnetIDs = "", []api.OpenStackNetwork{{Id: "x"}}, []string{"s"} }, []string{"spec.subnetIDs"}},
		"empty subnetID":          {func(s *api.MachineProviderConfigSpec) { s.SubnetID = ptr("") }, []string{"spec.subnetID"}},
		"duplicate subnets":       {func(s *api.MachineProviderConfigSpec) { s.SubnetIDs = []string{"a", "a"} }, []string{"spec.subnetIDs[1]"}},
		"no pod CIDR":             {func(s *api.MachineProviderConfigSpec) { s.PodNetworkCIDRs = nil }, []string{"spec.podNetworkCIDRs"}},
		"bad pod CIDR":            {func(s *api.MachineProviderConfigSpec) { s.PodNetworkCIDRs = []string{"100.96.0.0"} }, []string{"spec.podNetworkCIDRs[0]"}},
		"bad legacy pod CIDR":     {func(s *api.MachineProviderConfigSpec) { s.PodNetworkCIDRs, s.PodNetworkCidr = nil, "x" }, []string{"spec.podNetworkCidr"}},
		"podNetwork without CIDR": {func(s *api.MachineProviderConfigSpec) { s.NetworkID, s.PodNetworkCIDRs, s.Networks = "", nil, []api.OpenStackNetwork{{Id: "x", PodNetwork: true}} }, []string{"spec.networks[0].podNetwork"}},
		"negative root disk":      {func(s *api.MachineProviderConfigSpec) { s.RootDiskSize = -1 }, []string{"spec.rootDiskSize"}},
		"empty root disk type":    {func(s *api.MachineProviderConfigSpec) { s.RootDiskType = ptr(" ") }, []string{"spec.rootDiskType"}},
		"empty server group":      {func(s *api.MachineProviderConfigSpec) { s.ServerGroupID = ptr("") }, []string{"spec.serverGroupID"}},
		"duplicate SG":            {func(s *api.MachineProviderConfigSpec) { s.SecurityGroups = []string{"a", "a", ""} }, []string{"spec.securityGroups[1]", "spec.securityGroups[2]"}},
		"no tags":                 {func(s *api.MachineProviderConfigSpec) { s.Tags = nil }, []string{"spec.tags"}},
		"contains is not prefix":  {func(s *api.MachineProviderConfigSpec) { s.Tags = map[string]string{"x-kubernetes.io-cluster-a": "1", "kubernetes.io-role-node": "1"} }, []string{"spec.tags"}},
		"empty cluster name":      {func(s *api.MachineProviderConfigSpec) { s.Tags["kubernetes.io-cluster-"] = "1"; delete(s.Tags, "kubernetes.io-cluster-shoot--a") }, []string{"spec.tags[kubernetes.io-cluster-]"}},
		"two clusters":            {func(s *api.MachineProviderConfigSpec) { s.Tags["kubernetes.io-cluster-b"] = "1" }, []string{"spec.tags"}},
		"long value":              {func(s *api.MachineProviderConfigSpec) { s.Tags["team"] = strings.Repeat("x", 256) }, []string{"spec.tags[team]"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := validSpec()
			tc.mod(&spec)
			errs := ValidateProviderSpec(&spec, field.NewPath("spec"))
			if len(tc.paths) == 0 && len(errs) > 0 {
				t.Fatalf("unexpected: %v", errs)
			}
			for _, p := range tc.paths {
				found := false
				for _, e := range errs {
					found = found || e.Field == p
				}
				if !found {
					t.Errorf("no error at %s in %v", p, errs)
				}
			}
		})
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	spec := validSpec()
	spec.Region, spec.FlavorName, spec.PodNetworkCIDRs, spec.Tags = "", "", nil, nil
	if errs := ValidateProviderSpec(&spec, field.NewPath("spec")); len(errs) < 5 {
		t.Fatalf("want every problem, got %v", errs)
	}
}

func TestValidateMachineClass(t *testing.T) {
	mc := classFromYAML(t, peerSample)
	mc.Provider = "AWS"
	if _, errs := ValidateMachineClass(mc); len(errs) == 0 || errs[0].Field != "provider" {
		t.Fatalf("provider must be OpenStack: %v", errs)
	}
	mc = classFromYAML(t, strings.Replace(peerSample, "flavorName:", "flavourName:", 1))
	_, errs := ValidateMachineClass(mc)
	if len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), "flavourName") {
		t.Fatalf("unknown fields are errors: %v", errs)
	}
	mc = classFromYAML(t, strings.Replace(peerSample, "kind: MachineProviderConfig", "kind: Other", 1))
	if _, errs = ValidateMachineClass(mc); len(errs) == 0 {
		t.Fatal("wrong kind must fail")
	}
	if _, errs = ValidateMachineClass(nil); len(errs) == 0 {
		t.Fatal("nil class must fail")
	}
	if _, errs = ValidateMachineClass(&mcmv1alpha1.MachineClass{Provider: "OpenStack", ProviderSpec: runtime.RawExtension{}}); len(errs) == 0 {
		t.Fatal("empty providerSpec must fail")
	}
}

func TestUserData(t *testing.T) {
	if errs := ValidateUserData(map[string][]byte{"userData": []byte("  \n")}); len(errs) != 1 || errs[0].Field != "data[userData]" {
		t.Fatalf("blank user data must fail: %v", errs)
	}
}

func FuzzDecodeProviderSpec(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"openstack.machine.gardener.cloud/v1alpha1","kind":"MachineProviderConfig","spec":{"region":"r"}}`))
	f.Add([]byte("apiVersion: openstack.machine.gardener.cloud/v1alpha1\nkind: MachineProviderConfig\nspec:\n  tags: {a: b}\n  networks: [{id: x, podNetwork: true}]\n"))
	f.Add([]byte(`{"spec":{"rootDiskSize":"big","subnetID":null}}`))
	f.Add([]byte(`{"spec":{"region":"a","region":"b"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		config, err := api.Decode(raw)
		if err != nil {
			return
		}
		_ = ValidateProviderSpec(&config.Spec, field.NewPath("spec"))
		_, _ = ValidateMachineClass(&mcmv1alpha1.MachineClass{Provider: api.ProviderName, ProviderSpec: runtime.RawExtension{Raw: raw}})
	})
}
