package v1alpha1_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	api "github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/v1alpha1"
	"github.com/pco-mcm/mcm-provider-pco/pkg/apis/openstack/validation"
)

// FuzzDecodeProviderSpec feeds Decode (and the validation after it) arbitrary bytes. Properties:
// no panic; errors are *DecodeError whose parts stay short whatever the input (no pasted blob is
// echoed); what decodes survives validation, a deep copy and a JSON round trip unchanged.
func FuzzDecodeProviderSpec(f *testing.F) {
	for _, seed := range []string{
		specJSON,
		withSpec(`{"flavourName":"x","region":"a","region":"b"}`),
		withSpec(`{"tags":{"a.b":"1","a.b":"2"},"networks":[{"id":"x","nme":"y","podNetwork":true}]}`),
		withSpec(`{"rootDiskSize":"big","subnetID":null,"rootDiskType":1}`),
		withSpec(`{"rootDiskSize":1e999}`),
		"apiVersion: openstack.machine.gardener.cloud/v1alpha1\nkind: MachineProviderConfig\nspec:\n  tags: {a: b}\n  networks: [{id: x, podNetwork: true}]\n",
		"spec:\n  region: a\n  region: b\n",
		"a: &x [*x]",
		`[1]`, `"x"`, `null`, `{`, "", "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		config, err := api.Decode(raw)
		if err != nil {
			var de *api.DecodeError
			if !errors.As(err, &de) || len(de.Errors) == 0 {
				t.Fatalf("want a non-empty *DecodeError, got %T %v", err, err)
			}
			if config != nil {
				t.Fatal("a config came back with an error")
			}
			for _, e := range de.Errors {
				checkShort(t, e)
			}
			return
		}
		_ = validation.ValidateProviderSpec(&config.Spec, field.NewPath("spec"))
		_, _ = validation.ValidateMachineClass(&mcmv1alpha1.MachineClass{Provider: api.ProviderName, ProviderSpec: runtime.RawExtension{Raw: raw}})

		if cp := config.DeepCopy(); !reflect.DeepEqual(cp, config) {
			t.Fatalf("deep copy differs: %+v vs %+v", cp, config)
		}
		encoded, err := json.Marshal(config)
		if err != nil {
			t.Fatalf("a decoded config does not encode: %v", err)
		}
		again, err := api.Decode(encoded)
		if err != nil {
			t.Fatalf("an encoded config does not decode: %v\n%s", err, encoded)
		}
		if !reflect.DeepEqual(again, config) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", config, again)
		}
	})
}

// checkShort asserts that an error's parts are short: paths are made of clipped names, values
// and details of clipped input.
func checkShort(t *testing.T, e *field.Error) {
	t.Helper()
	if s, ok := e.BadValue.(string); ok && len(s) > 70 {
		t.Fatalf("error repeats a long value (%d bytes): %v", len(s), e)
	}
	if len(e.Detail) > 300 {
		t.Fatalf("error detail is long (%d bytes): %v", len(e.Detail), e)
	}
	if len(e.Field) > 400 {
		t.Fatalf("error path is long (%d bytes): %v", len(e.Field), e)
	}
}
