package v1alpha1_test

import (
	"reflect"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
)

func ptr[T any](v T) *T { return &v }

// fullConfig sets every field, so the checks below see every pointer, slice and map. The
// deepcopy functions are generated; these checks catch a zz_generated.deepcopy.go left stale
// (a reference field added without make generate is shared between original and copy).
func fullConfig() *api.MachineProviderConfig {
	return &api.MachineProviderConfig{
		Spec: api.MachineProviderConfigSpec{
			ImageID: "i", ImageName: "n", Region: "r", AvailabilityZone: "az", FlavorName: "f", KeyName: "k",
			SecurityGroups: []string{"sg"}, Tags: map[string]string{"a": "b"}, NetworkID: "net",
			SubnetID: ptr("s"), SubnetIDs: []string{"s1"}, PodNetworkCidr: "10.0.0.0/8", PodNetworkCIDRs: []string{"10.0.0.0/8"},
			RootDiskSize: 1, RootDiskType: ptr("t"), UseConfigDrive: ptr(true), ServerGroupID: ptr("g"),
			Networks: []api.OpenStackNetwork{{Id: "x", PodNetwork: true}},
		},
	}
}

// referencesOf returns the address of every pointer, slice and map reachable from v.
func referencesOf(v reflect.Value, out map[uintptr]string, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			out[v.Pointer()] = path
			referencesOf(v.Elem(), out, path)
		}
	case reflect.Slice:
		if !v.IsNil() {
			out[v.Pointer()] = path
			for i := range v.Len() {
				referencesOf(v.Index(i), out, path+"[]")
			}
		}
	case reflect.Map:
		if !v.IsNil() {
			out[v.Pointer()] = path
		}
	case reflect.Struct:
		for i := range v.NumField() {
			referencesOf(v.Field(i), out, path+"."+v.Type().Field(i).Name)
		}
	}
}

var _ = Describe("DeepCopy", func() {
	It("sets every reference field in the fixture (so a new field cannot hide from this test)", func() {
		spec := reflect.ValueOf(fullConfig().Spec)
		for i := range spec.NumField() {
			f := spec.Field(i)
			switch f.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map:
				Expect(f.IsNil()).To(BeFalse(), "fullConfig leaves %s nil", spec.Type().Field(i).Name)
			}
		}
	})

	It("copies equal values into new memory", func() {
		in := fullConfig()
		out := in.DeepCopy()
		Expect(out).To(Equal(in))
		inRefs, outRefs := map[uintptr]string{}, map[uintptr]string{}
		referencesOf(reflect.ValueOf(in), inRefs, "")
		referencesOf(reflect.ValueOf(out), outRefs, "")
		for addr, path := range outRefs {
			Expect(inRefs).NotTo(HaveKey(addr), "%s is shared with the original", path)
		}
	})

	It("keeps the original when the copy changes", func() {
		in := fullConfig()
		out := in.DeepCopy()
		*out.Spec.SubnetID, out.Spec.Tags["a"], out.Spec.Networks[0].Id = "changed", "changed", "changed"
		Expect(in).To(Equal(fullConfig()))
	})

	It("handles nil and is a runtime.Object", func() {
		var nilConfig *api.MachineProviderConfig
		Expect(nilConfig.DeepCopy()).To(BeNil())
		Expect(nilConfig.DeepCopyObject()).To(BeNil())
		var nilSpec *api.MachineProviderConfigSpec
		Expect(nilSpec.DeepCopy()).To(BeNil())
		var nilNet *api.OpenStackNetwork
		Expect(nilNet.DeepCopy()).To(BeNil())
		var obj runtime.Object = fullConfig()
		Expect(obj.DeepCopyObject()).To(Equal(fullConfig()))
		Expect(api.MachineProviderConfigSpec{}.Tags).To(BeNil())
		Expect((&api.MachineProviderConfigSpec{}).DeepCopy().Tags).To(BeNil(), "nil stays nil")
	})
})
