package v1alpha1_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestCRDsInSync checks that the chart ships the generated CRDs unchanged (make generate copies
// them) and that each serves v1alpha1 of pco.plusserver.com with a status subresource.
func TestCRDsInSync(t *testing.T) {
	root := filepath.Join("..", "..", "..", "..")
	files, err := filepath.Glob(filepath.Join(root, "kubernetes", "crds", "pco.plusserver.com_*.yaml"))
	if err != nil || len(files) != 4 {
		t.Fatalf("want 4 CRDs in kubernetes/crds, got %v (%v)", files, err)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, "charts", "mcm-provider-pco", "crds", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: the chart's copy differs or is missing; run make generate", filepath.Base(f))
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(want, &crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if crd.Spec.Group != "pco.plusserver.com" || len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != "v1alpha1" || crd.Spec.Versions[0].Subresources == nil {
			t.Errorf("%s: want one served version v1alpha1 of pco.plusserver.com with a status subresource", f)
		}
	}
}
