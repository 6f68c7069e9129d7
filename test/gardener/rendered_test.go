package gardener

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	mcmv1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// rendered is one file of testdata/rendered: what `helm template` made of the extension's
// MachineClass chart for one worker pool.
type rendered struct {
	file    string
	classes []*mcmv1alpha1.MachineClass
	// userData are the per-class Secrets the chart renders (secretRef), by name.
	userData map[string]*corev1.Secret
}

// placeholder matches the SIM_* values the test binds to the simulator's IDs.
var placeholder = regexp.MustCompile(`SIM_[A-Z_]+`)

// loadRendered reads testdata/rendered/*.yaml, binds the placeholders and decodes the documents
// strictly: a field our MCM types do not know fails the load.
func loadRendered(t *testing.T, bind map[string]string) []rendered {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "rendered", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rendered MachineClasses in testdata/rendered (%v)", err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := mcmv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

	var out []rendered
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var unbound []string
		text := placeholder.ReplaceAllStringFunc(string(raw), func(p string) string {
			if v, ok := bind[p]; ok {
				return v
			}
			unbound = append(unbound, p)
			return p
		})
		if len(unbound) > 0 {
			t.Fatalf("%s: placeholders without a simulator value: %v", file, unbound)
		}
		r := rendered{file: filepath.Base(file), userData: map[string]*corev1.Secret{}}
		for i, doc := range strings.Split(text, "\n---\n") {
			if len(bytes.TrimSpace(stripComments([]byte(doc)))) == 0 {
				continue
			}
			obj, _, err := decoder.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("%s: document %d does not decode strictly: %v", file, i, err)
			}
			switch o := obj.(type) {
			case *mcmv1alpha1.MachineClass:
				r.classes = append(r.classes, o)
			case *corev1.Secret:
				r.userData[o.Name] = o
			default:
				t.Fatalf("%s: document %d is a %T, the chart renders only MachineClasses and Secrets", file, i, obj)
			}
		}
		if len(r.classes) == 0 {
			t.Fatalf("%s: no MachineClass", file)
		}
		out = append(out, r)
	}
	return out
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// machineSecret is the Secret MCM hands the driver: the class's userData Secret (secretRef) merged
// with the credentials Secret (credentialsSecretRef), as MCM's machine controller merges them.
func machineSecret(r rendered, class *mcmv1alpha1.MachineClass, credentials map[string][]byte) (*corev1.Secret, error) {
	if class.SecretRef == nil || class.CredentialsSecretRef == nil {
		return nil, fmt.Errorf("class %s has no secretRef or credentialsSecretRef", class.Name)
	}
	ud, ok := r.userData[class.SecretRef.Name]
	if !ok {
		return nil, fmt.Errorf("class %s: secretRef %s is not rendered", class.Name, class.SecretRef.Name)
	}
	data := map[string][]byte{}
	for k, v := range credentials {
		data[k] = v
	}
	for k, v := range ud.Data {
		data[k] = v
	}
	return &corev1.Secret{ObjectMeta: ud.ObjectMeta, Data: data}, nil
}
