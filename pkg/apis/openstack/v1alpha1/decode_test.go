package v1alpha1_test

import (
	"encoding/json"
	"errors"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

// specJSON is a providerSpec as MCM stores it, with every field set.
const specJSON = `{
  "apiVersion": "openstack.machine.gardener.cloud/v1alpha1",
  "kind": "MachineProviderConfig",
  "spec": {
    "imageID": "img-1", "imageName": "Ubuntu 24.04", "region": "RegionOne", "availabilityZone": "nova",
    "flavorName": "SCS-2V-4", "keyName": "k", "securityGroups": ["nodes"],
    "tags": {"kubernetes.io-cluster-shoot--a--b": "1", "kubernetes.io-role-node": "1"},
    "networkID": "net-1", "subnetID": "sub-1", "subnetIDs": ["sub-1", "sub-2"],
    "podNetworkCidr": "100.96.0.0/11", "podNetworkCIDRs": ["100.96.0.0/11", "fd00::/48"],
    "rootDiskSize": 50, "rootDiskType": "ssd", "useConfigDrive": true, "serverGroupID": "sg-1"
  }
}`

// fieldsOf lists the paths of a decode error.
func fieldsOf(err error) []string {
	var de *api.DecodeError
	ExpectWithOffset(1, errors.As(err, &de)).To(BeTrue(), "want a *DecodeError, got %v", err)
	var out []string
	for _, e := range de.Errors {
		out = append(out, e.Field)
	}
	return out
}

func withSpec(spec string) string {
	return `{"apiVersion":"openstack.machine.gardener.cloud/v1alpha1","kind":"MachineProviderConfig","spec":` + spec + `}`
}

var _ = Describe("Decode", func() {
	It("decodes every field of a JSON providerSpec", func() {
		config, err := api.Decode([]byte(specJSON))
		Expect(err).NotTo(HaveOccurred())
		s := config.Spec
		Expect(config.APIVersion).To(Equal(api.APIVersion))
		Expect(config.Kind).To(Equal(api.Kind))
		Expect(s.ImageID).To(Equal("img-1"))
		Expect(s.FlavorName).To(Equal("SCS-2V-4"))
		Expect(*s.SubnetID).To(Equal("sub-1"))
		Expect(s.SubnetIDs).To(Equal([]string{"sub-1", "sub-2"}))
		Expect(s.PodNetworkCIDRs).To(HaveLen(2))
		Expect(s.RootDiskSize).To(Equal(50))
		Expect(*s.RootDiskType).To(Equal("ssd"))
		Expect(*s.UseConfigDrive).To(BeTrue())
		Expect(*s.ServerGroupID).To(Equal("sg-1"))
		Expect(s.Tags).To(HaveKeyWithValue("kubernetes.io-role-node", "1"))
	})

	It("decodes YAML the same as JSON", func() {
		yamlSpec := `
apiVersion: openstack.machine.gardener.cloud/v1alpha1
kind: MachineProviderConfig
spec:
  imageName: Ubuntu 24.04
  region: RegionOne
  networks:
  - name: shoot-net
    podNetwork: true
  - id: storage-net
  tags:
    kubernetes.io-cluster-x: "1"
`
		config, err := api.Decode([]byte(yamlSpec))
		Expect(err).NotTo(HaveOccurred())
		Expect(config.Spec.Networks).To(Equal([]api.OpenStackNetwork{{Name: "shoot-net", PodNetwork: true}, {Id: "storage-net"}}))
		Expect(config.Spec.Tags).To(Equal(map[string]string{"kubernetes.io-cluster-x": "1"}))
	})

	It("round-trips: what it decodes encodes to a providerSpec it decodes the same", func() {
		config, err := api.Decode([]byte(specJSON))
		Expect(err).NotTo(HaveOccurred())
		raw, err := json.Marshal(config)
		Expect(err).NotTo(HaveOccurred())
		again, err := api.Decode(raw)
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(config))
	})

	DescribeTable("rejects, naming the field",
		func(raw string, wantFields []string, wantText ...string) {
			_, err := api.Decode([]byte(raw))
			Expect(err).To(HaveOccurred())
			Expect(fieldsOf(err)).To(ConsistOf(wantFields))
			for _, text := range wantText {
				Expect(err.Error()).To(ContainSubstring(text))
			}
		},
		Entry("empty input", "", []string{""}, "empty"),
		Entry("only whitespace", " \n\t ", []string{""}, "empty"),
		Entry("a typo, with a suggestion", withSpec(`{"flavourName":"SCS-2V-4"}`),
			[]string{"spec.flavourName"}, `unknown field "flavourName"`, `did you mean "flavorName"?`),
		Entry("wrong case (field names are case-sensitive)", withSpec(`{"FlavorName":"SCS-2V-4"}`),
			[]string{"spec.FlavorName"}, `did you mean "flavorName"?`),
		Entry("an unknown field without a likely meaning", withSpec(`{"color":"blue"}`),
			[]string{"spec.color"}, `unknown field "color"`),
		Entry("an unknown top-level field", `{"apiVersion":"openstack.machine.gardener.cloud/v1alpha1","kind":"MachineProviderConfig","metadata":{}}`,
			[]string{"metadata"}, "unknown field"),
		Entry("an unknown field in a network", withSpec(`{"networks":[{"id":"a"},{"nmae":"b"}]}`), //nolint:misspell // the typo is the input under test
			[]string{"spec.networks[1].nmae"}, `did you mean "name"?`), //nolint:misspell // the typo is the input under test
		Entry("a duplicate field", withSpec(`{"region":"a","region":"b"}`),
			[]string{"spec.region"}, "Duplicate value", "more than once"),
		Entry("a duplicate tag key with dots in it", withSpec(`{"tags":{"kubernetes.io-role-node":"1","kubernetes.io-role-node":"2"}}`),
			[]string{"spec.tags[kubernetes.io-role-node]"}),
		Entry("a duplicate YAML key", "apiVersion: openstack.machine.gardener.cloud/v1alpha1\nkind: MachineProviderConfig\nspec:\n  region: a\n  region: b\n",
			[]string{""}, "line 5"),
		Entry("a string for an integer", withSpec(`{"rootDiskSize":"50"}`),
			[]string{"spec.rootDiskSize"}, "must be an integer, not a string"),
		Entry("a string for a list", withSpec(`{"securityGroups":"nodes"}`),
			[]string{"spec.securityGroups"}, "must be a list of strings, not a string"),
		Entry("a list for a map", withSpec(`{"tags":["a"]}`),
			[]string{"spec.tags"}, "must be a map of strings, not an array"),
		Entry("a string for a boolean in a list", withSpec(`{"networks":[{"podNetwork":"yes"}]}`),
			[]string{"spec.networks.podNetwork"}, "must be a boolean, not a string"),
		Entry("a number for a string pointer", withSpec(`{"rootDiskType":1}`),
			[]string{"spec.rootDiskType"}, "must be a string, not a number"),
		Entry("a list instead of an object", `[1,2]`, []string{""}, "must be an object, not an array"),
		Entry("a string instead of an object", `"spec"`, []string{""}, "must be an object, not a string"),
		Entry("broken JSON", `{"apiVersion": `, []string{""}, "not valid JSON"),
		Entry("broken YAML", "spec:\n  region: a\n bad: [", []string{""}, "not valid YAML"),
		Entry("no apiVersion and kind", `{"spec":{}}`, []string{"apiVersion", "kind"}, "Required value"),
		Entry("null", `null`, []string{"apiVersion", "kind"}),
		Entry("another apiVersion", `{"apiVersion":"openstack.machine.gardener.cloud/v1","kind":"MachineProviderConfig"}`,
			[]string{"apiVersion"}, `supported values: "openstack.machine.gardener.cloud/v1alpha1"`),
		Entry("another kind", `{"apiVersion":"openstack.machine.gardener.cloud/v1alpha1","kind":"MachineClass"}`,
			[]string{"kind"}, `supported values: "MachineProviderConfig"`),
		Entry("several problems at once", `{"apiVersion":"x","kind":"y","spec":{"flavourName":"a","region":"a","region":"b"}}`,
			[]string{"apiVersion", "kind", "spec.flavourName", "spec.region"}),
	)

	It("never repeats a long value or name", func() {
		long := strings.Repeat("Z", 5000)
		for _, raw := range []string{
			withSpec(`{"` + long + `":1}`),
			`{"apiVersion":"` + long + `","kind":"` + long + `"}`,
			withSpec(`{"tags":{"` + long + `":"1","` + long + `":"2"}}`),
			"spec: [" + long,
			withSpec(`{"rootDiskSize":1` + strings.Repeat("0", 500) + `}`),
		} {
			_, err := api.Decode([]byte(raw))
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).NotTo(ContainSubstring(strings.Repeat("Z", 100)))
			Expect(err.Error()).NotTo(ContainSubstring(strings.Repeat("0", 100)))
			Expect(len(err.Error())).To(BeNumerically("<", 1000))
		}
	})

	Describe("DecodeAt", func() {
		It("roots every path at the given field", func() {
			_, errs := api.DecodeAt([]byte(withSpec(`{"flavourName":"a"}`)), field.NewPath("providerSpec"))
			Expect(errs).To(HaveLen(1))
			Expect(errs[0].Field).To(Equal("providerSpec.spec.flavourName"))

			_, errs = api.DecodeAt(nil, field.NewPath("providerSpec"))
			Expect(errs).To(HaveLen(1))
			Expect(errs[0].Field).To(Equal("providerSpec"))
			Expect(errs[0].Type).To(Equal(field.ErrorTypeRequired))
		})

		It("returns what it could read along with the errors, for further validation", func() {
			config, errs := api.DecodeAt([]byte(specJSON), field.NewPath("providerSpec"))
			Expect(errs).To(BeEmpty())
			Expect(config).NotTo(BeNil())

			config, errs = api.DecodeAt([]byte(withSpec(`{"flavourName":"a","region":"r","rootDiskSize":"x"}`)), nil)
			Expect(errs).NotTo(BeEmpty())
			Expect(config.Spec.Region).To(Equal("r"))

			for _, unreadable := range []string{"", "{", "[1]"} {
				config, errs = api.DecodeAt([]byte(unreadable), nil)
				Expect(errs).NotTo(BeEmpty())
				Expect(config).To(BeNil())
			}
		})

		It("Decode returns no config with errors", func() {
			config, err := api.Decode([]byte(withSpec(`{"flavourName":"a"}`)))
			Expect(err).To(HaveOccurred())
			Expect(config).To(BeNil())
		})
	})
})
