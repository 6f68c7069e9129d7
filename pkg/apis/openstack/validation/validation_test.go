package validation_test

import (
	"encoding/json"
	"os"
	"strings"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/validation"
)

func ptr[T any](v T) *T { return &v }

// validSpec is a minimal valid spec; each table entry breaks it in one way.
func validSpec() api.MachineProviderConfigSpec {
	return api.MachineProviderConfigSpec{
		ImageName: "Ubuntu 24.04", Region: "RegionOne", AvailabilityZone: "nova", FlavorName: "SCS-2V-4",
		KeyName: "shoot--a--b", NetworkID: "net-1", PodNetworkCIDRs: []string{"100.96.0.0/11"},
		Tags: map[string]string{"kubernetes.io-cluster-shoot--a--b": "1", "kubernetes.io-role-node": "1"},
	}
}

type specChange func(*api.MachineProviderConfigSpec)

// errorsAt lists "path type" of each error, for exact comparisons.
func errorsAt(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Field+" "+string(e.Type))
	}
	return out
}

func loadClass(path string) *mcmv1alpha1.MachineClass {
	raw, err := os.ReadFile(path)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	mc := &mcmv1alpha1.MachineClass{}
	ExpectWithOffset(1, yaml.Unmarshal(raw, mc)).To(Succeed())
	return mc
}

func classWithSpec(spec string) *mcmv1alpha1.MachineClass {
	return &mcmv1alpha1.MachineClass{Provider: "OpenStack", ProviderSpec: runtime.RawExtension{Raw: []byte(spec)}}
}

const (
	required  = string(field.ErrorTypeRequired)
	invalid   = string(field.ErrorTypeInvalid)
	forbidden = string(field.ErrorTypeForbidden)
	duplicate = string(field.ErrorTypeDuplicate)
	tooLong   = string(field.ErrorTypeTooLong)
)

var _ = Describe("ValidateProviderSpec", func() {
	DescribeTable("rules",
		func(change specChange, want ...string) {
			spec := validSpec()
			change(&spec)
			errs := validation.ValidateProviderSpec(&spec, field.NewPath("spec"))
			if len(want) == 0 {
				Expect(errs).To(BeEmpty())
				return
			}
			Expect(errorsAt(errs)).To(ConsistOf(want))
		},
		Entry("the base spec is valid", func(*api.MachineProviderConfigSpec) {}),

		// image
		Entry("no image", func(s *api.MachineProviderConfigSpec) { s.ImageName = "" }, "spec.imageName "+required),
		Entry("a blank image name", func(s *api.MachineProviderConfigSpec) { s.ImageName = "  " }, "spec.imageName "+required),
		Entry("an image ID alone", func(s *api.MachineProviderConfigSpec) { s.ImageName, s.ImageID = "", "img-1" }),
		Entry("image ID and name (the ID wins)", func(s *api.MachineProviderConfigSpec) { s.ImageID = "img-1" }),

		// required strings
		Entry("no region", func(s *api.MachineProviderConfigSpec) { s.Region = "" }, "spec.region "+required),
		Entry("no flavor", func(s *api.MachineProviderConfigSpec) { s.FlavorName = " " }, "spec.flavorName "+required),
		Entry("no availability zone", func(s *api.MachineProviderConfigSpec) { s.AvailabilityZone = "" }, "spec.availabilityZone "+required),
		Entry("no keypair", func(s *api.MachineProviderConfigSpec) { s.KeyName = "" }, "spec.keyName "+required),

		// networks
		Entry("neither networkID nor networks", func(s *api.MachineProviderConfigSpec) { s.NetworkID = "" }, "spec.networkID "+required),
		Entry("networkID and networks", func(s *api.MachineProviderConfigSpec) { s.Networks = []api.OpenStackNetwork{{Id: "x"}} },
			"spec.networks "+forbidden),
		Entry("networks by id and by name", func(s *api.MachineProviderConfigSpec) {
			s.NetworkID, s.Networks = "", []api.OpenStackNetwork{{Id: "x", PodNetwork: true}, {Name: "storage"}}
		}),
		Entry("a network with id and name", func(s *api.MachineProviderConfigSpec) {
			s.NetworkID, s.Networks = "", []api.OpenStackNetwork{{Name: "ok"}, {Id: "x", Name: "y"}}
		}, "spec.networks[1] "+forbidden),
		Entry("a network with neither id nor name", func(s *api.MachineProviderConfigSpec) {
			s.NetworkID, s.Networks = "", []api.OpenStackNetwork{{PodNetwork: false}}
		}, "spec.networks[0] "+required),

		// subnets
		Entry("subnetID and subnetIDs with networkID", func(s *api.MachineProviderConfigSpec) {
			s.SubnetID, s.SubnetIDs = ptr("sub-1"), []string{"sub-1", "sub-2"}
		}),
		Entry("an empty subnetID", func(s *api.MachineProviderConfigSpec) { s.SubnetID = ptr("") }, "spec.subnetID "+invalid),
		Entry("subnetID without networkID", func(s *api.MachineProviderConfigSpec) {
			s.NetworkID, s.Networks, s.SubnetID = "", []api.OpenStackNetwork{{Id: "x"}}, ptr("sub-1")
		}, "spec.subnetID "+forbidden),
		Entry("subnetIDs without networkID", func(s *api.MachineProviderConfigSpec) {
			s.NetworkID, s.Networks, s.SubnetIDs = "", []api.OpenStackNetwork{{Id: "x"}}, []string{"sub-1"}
		}, "spec.subnetIDs "+forbidden),
		Entry("an empty entry in subnetIDs", func(s *api.MachineProviderConfigSpec) { s.SubnetIDs = []string{"sub-1", ""} },
			"spec.subnetIDs[1] "+invalid),
		Entry("a repeated subnet", func(s *api.MachineProviderConfigSpec) { s.SubnetIDs = []string{"sub-1", "sub-2", "sub-1"} },
			"spec.subnetIDs[2] "+duplicate),

		// pod CIDRs
		Entry("no pod CIDR", func(s *api.MachineProviderConfigSpec) { s.PodNetworkCIDRs = nil }, "spec.podNetworkCIDRs "+required),
		Entry("only the older podNetworkCidr", func(s *api.MachineProviderConfigSpec) {
			s.PodNetworkCIDRs, s.PodNetworkCidr = nil, "100.96.0.0/11"
		}),
		Entry("both pod CIDR fields (Gardener sets both)", func(s *api.MachineProviderConfigSpec) { s.PodNetworkCidr = "100.96.0.0/11" }),
		Entry("IPv6 pod CIDRs", func(s *api.MachineProviderConfigSpec) { s.PodNetworkCIDRs = []string{"100.96.0.0/11", "fd00:10::/48"} }),
		Entry("an address without a prefix length", func(s *api.MachineProviderConfigSpec) { s.PodNetworkCIDRs = []string{"100.96.0.0"} },
			"spec.podNetworkCIDRs[0] "+invalid),
		Entry("a bad second CIDR", func(s *api.MachineProviderConfigSpec) { s.PodNetworkCIDRs = []string{"100.96.0.0/11", "100.64.0.0/33"} },
			"spec.podNetworkCIDRs[1] "+invalid),
		Entry("a bad older podNetworkCidr", func(s *api.MachineProviderConfigSpec) { s.PodNetworkCidr = "pods" },
			"spec.podNetworkCidr "+invalid),
		Entry("a pod network without pod CIDRs", func(s *api.MachineProviderConfigSpec) {
			s.NetworkID, s.PodNetworkCIDRs = "", nil
			s.Networks = []api.OpenStackNetwork{{Id: "x"}, {Id: "y", PodNetwork: true}}
		}, "spec.podNetworkCIDRs "+required, "spec.networks[1].podNetwork "+invalid),

		// disks and scheduling
		Entry("a root disk size", func(s *api.MachineProviderConfigSpec) { s.RootDiskSize, s.RootDiskType = 50, ptr("ssd") }),
		Entry("a negative root disk size", func(s *api.MachineProviderConfigSpec) { s.RootDiskSize = -1 }, "spec.rootDiskSize "+invalid),
		Entry("an empty root disk type", func(s *api.MachineProviderConfigSpec) { s.RootDiskType = ptr(" ") }, "spec.rootDiskType "+invalid),
		Entry("a server group", func(s *api.MachineProviderConfigSpec) { s.ServerGroupID = ptr("sg-1") }),
		Entry("an empty server group", func(s *api.MachineProviderConfigSpec) { s.ServerGroupID = ptr("") }, "spec.serverGroupID "+invalid),

		// security groups
		Entry("security groups", func(s *api.MachineProviderConfigSpec) { s.SecurityGroups = []string{"nodes", "ssh"} }),
		Entry("an empty and a repeated security group", func(s *api.MachineProviderConfigSpec) {
			s.SecurityGroups = []string{"nodes", "", "nodes"}
		}, "spec.securityGroups[1] "+invalid, "spec.securityGroups[2] "+duplicate),

		// tags
		Entry("no tags", func(s *api.MachineProviderConfigSpec) { s.Tags = nil }, "spec.tags "+required, "spec.tags "+required),
		Entry("no role tag", func(s *api.MachineProviderConfigSpec) { delete(s.Tags, "kubernetes.io-role-node") }, "spec.tags "+required),
		Entry("no cluster tag", func(s *api.MachineProviderConfigSpec) { delete(s.Tags, "kubernetes.io-cluster-shoot--a--b") }, "spec.tags "+required),
		Entry("the cluster marker inside a key, not as its prefix (the peer accepted it)", func(s *api.MachineProviderConfigSpec) {
			s.Tags = map[string]string{"x-kubernetes.io-cluster-a": "1", "kubernetes.io-role-node": "1"}
		}, "spec.tags "+required),
		Entry("the role marker inside a key, not as its prefix", func(s *api.MachineProviderConfigSpec) {
			s.Tags = map[string]string{"kubernetes.io-cluster-a": "1", "my-kubernetes.io-role-node": "1"}
		}, "spec.tags "+required),
		Entry("a cluster tag without a cluster name", func(s *api.MachineProviderConfigSpec) {
			s.Tags = map[string]string{"kubernetes.io-cluster-": "1", "kubernetes.io-role-node": "1"}
		}, "spec.tags[kubernetes.io-cluster-] "+invalid),
		Entry("two cluster tags", func(s *api.MachineProviderConfigSpec) { s.Tags["kubernetes.io-cluster-other"] = "1" }, "spec.tags "+invalid),
		Entry("two role tags", func(s *api.MachineProviderConfigSpec) { s.Tags["kubernetes.io-role-worker"] = "1" }),
		Entry("further tags (Gardener adds pool labels)", func(s *api.MachineProviderConfigSpec) {
			s.Tags["worker.gardener.cloud_pool"] = "pool-1"
			s.Tags["node.kubernetes.io_role"] = "node"
		}),
		Entry("an empty tag key", func(s *api.MachineProviderConfigSpec) { s.Tags[""] = "x" }, "spec.tags[] "+invalid),
		Entry("a tag key of 255 characters", func(s *api.MachineProviderConfigSpec) { s.Tags[strings.Repeat("k", 255)] = "x" }),
		Entry("a tag key of 256 characters", func(s *api.MachineProviderConfigSpec) { s.Tags[strings.Repeat("k", 256)] = "x" },
			"spec.tags["+strings.Repeat("k", 64)+"...] "+tooLong),
		Entry("a tag key with a slash (Nova refuses it)", func(s *api.MachineProviderConfigSpec) { s.Tags["a/b"] = "x" },
			"spec.tags[a/b] "+invalid),
		Entry("a tag value of 255 characters, multi-byte", func(s *api.MachineProviderConfigSpec) { s.Tags["team"] = strings.Repeat("ü", 255) }),
		Entry("a tag value of 256 characters", func(s *api.MachineProviderConfigSpec) { s.Tags["team"] = strings.Repeat("v", 256) },
			"spec.tags[team] "+tooLong),
	)

	It("reports every problem at once", func() {
		spec := api.MachineProviderConfigSpec{RootDiskSize: -5, SecurityGroups: []string{""}}
		errs := validation.ValidateProviderSpec(&spec, field.NewPath("providerSpec", "spec"))
		Expect(errorsAt(errs)).To(ConsistOf(
			"providerSpec.spec.imageName "+required, "providerSpec.spec.region "+required,
			"providerSpec.spec.flavorName "+required, "providerSpec.spec.availabilityZone "+required,
			"providerSpec.spec.keyName "+required, "providerSpec.spec.networkID "+required,
			"providerSpec.spec.podNetworkCIDRs "+required, "providerSpec.spec.securityGroups[0] "+invalid,
			"providerSpec.spec.tags "+required, "providerSpec.spec.tags "+required,
			"providerSpec.spec.rootDiskSize "+invalid,
		))
	})

	It("reports tag problems in a stable order", func() {
		spec := validSpec()
		for _, k := range []string{"a/1", "b/2", "c/3", "d/4"} {
			spec.Tags[k] = "x"
		}
		first := errorsAt(validation.ValidateProviderSpec(&spec, field.NewPath("spec")))
		for range 5 {
			Expect(errorsAt(validation.ValidateProviderSpec(&spec, field.NewPath("spec")))).To(Equal(first))
		}
	})

	It("refuses a nil spec", func() {
		Expect(errorsAt(validation.ValidateProviderSpec(nil, field.NewPath("spec")))).To(ConsistOf("spec " + required))
	})
})

var _ = Describe("ValidateMachineClass", func() {
	It("accepts the peer's sample MachineClass unchanged", func() {
		config, errs := validation.ValidateMachineClass(loadClass("testdata/peer-machine-class.yaml"))
		Expect(errs).To(BeEmpty())
		s := config.Spec
		Expect(s.AvailabilityZone).To(Equal("eu-nl-1b"))
		Expect(s.FlavorName).To(Equal("m1.xmedium"))
		Expect(s.ImageID).To(Equal("a40dff99-e78a-4c83-af12-26b97e13fc9f"))
		Expect(s.KeyName).To(Equal("shoot--foobar--openstack"))
		Expect(s.NetworkID).To(Equal("378c4e98-dcf9-438a-bf7f-89d964d18793"))
		Expect(s.PodNetworkCidr).To(Equal("100.96.0.0/11"))
		Expect(s.Region).To(Equal("eu-nl-1"))
		Expect(s.SecurityGroups).To(Equal([]string{"shoot--foobar-openstack"}))
		Expect(s.Tags).To(Equal(map[string]string{"kubernetes.io-cluster-shoot--foobar--openstack": "1", "kubernetes.io-role-node": "1"}))
	})

	It("accepts this project's example MachineClass", func() {
		_, errs := validation.ValidateMachineClass(loadClass("../../../../kubernetes/examples/machine-class.yaml"))
		Expect(errs).To(BeEmpty())
	})

	It("accepts a providerSpec given as an object instead of raw JSON", func() {
		mc := &mcmv1alpha1.MachineClass{Provider: "OpenStack", ProviderSpec: runtime.RawExtension{Object: &api.MachineProviderConfig{
			TypeMeta: metav1.TypeMeta{APIVersion: api.APIVersion, Kind: api.Kind}, Spec: validSpec(),
		}}}
		config, errs := validation.ValidateMachineClass(mc)
		Expect(errs).To(BeEmpty())
		Expect(config.Spec).To(Equal(validSpec()))
	})

	DescribeTable("rejects, naming the field",
		func(mc *mcmv1alpha1.MachineClass, want ...string) {
			config, errs := validation.ValidateMachineClass(mc)
			Expect(config).To(BeNil())
			Expect(errorsAt(errs)).To(ConsistOf(want))
		},
		Entry("no MachineClass", nil, "machineClass "+required),
		Entry("another provider", func() *mcmv1alpha1.MachineClass {
			mc := loadClass("testdata/peer-machine-class.yaml")
			mc.Provider = "AWS"
			return mc
		}(), "provider "+string(field.ErrorTypeNotSupported)),
		Entry("no provider", func() *mcmv1alpha1.MachineClass {
			mc := loadClass("testdata/peer-machine-class.yaml")
			mc.Provider = ""
			return mc
		}(), "provider "+required),
		Entry("no providerSpec", &mcmv1alpha1.MachineClass{Provider: "OpenStack"}, "providerSpec "+required),
		Entry("a typo in the providerSpec", classWithSpec(strings.Replace(peerSpecJSON(), "flavorName", "flavourName", 1)),
			"providerSpec.spec.flavourName "+invalid, "providerSpec.spec.flavorName "+required),
		Entry("another kind", classWithSpec(strings.Replace(peerSpecJSON(), "MachineProviderConfig", "Other", 1)),
			"providerSpec.kind "+string(field.ErrorTypeNotSupported)),
		Entry("a provider and a spec problem together", func() *mcmv1alpha1.MachineClass {
			mc := classWithSpec(strings.Replace(peerSpecJSON(), "eu-nl-1b", "", 1))
			mc.Provider = "openstack"
			return mc
		}(), "provider "+string(field.ErrorTypeNotSupported), "providerSpec.spec.availabilityZone "+required),
	)

	It("says what the typo should be", func() {
		_, errs := validation.ValidateMachineClass(classWithSpec(strings.Replace(peerSpecJSON(), "flavorName", "flavourName", 1)))
		Expect(errs.ToAggregate().Error()).To(ContainSubstring(`providerSpec.spec.flavourName: Invalid value: unknown field "flavourName", did you mean "flavorName"?`))
	})
})

// peerSpecJSON is the peer sample's providerSpec as MCM stores it.
func peerSpecJSON() string {
	return string(loadClass("testdata/peer-machine-class.yaml").ProviderSpec.Raw)
}

var _ = Describe("ValidateUserData", func() {
	DescribeTable("user data",
		func(data map[string][]byte, want ...string) {
			Expect(errorsAt(validation.ValidateUserData(data))).To(ConsistOf(want))
		},
		Entry("present", map[string][]byte{"userData": []byte("#cloud-config\n")}),
		Entry("missing", map[string][]byte{"password": []byte("x")}, "data[userData] "+required),
		Entry("blank", map[string][]byte{"userData": []byte(" \n\t")}, "data[userData] "+required),
		Entry("no data at all", nil, "data[userData] "+required),
	)

	It("never repeats the user data", func() {
		errs := validation.ValidateUserData(map[string][]byte{"userData": []byte("   ")})
		raw, _ := json.Marshal(errs)
		Expect(string(raw)).NotTo(ContainSubstring("   "))
	})
})
