package v1alpha1

import (
	"errors"
	"fmt"
	"strings"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Decode reads a providerSpec strictly: unknown and duplicate fields are errors (a typo must not
// silently drop a setting), and apiVersion and kind must be this API's. YAML is accepted too.
func Decode(raw []byte) (*MachineProviderConfig, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, errors.New("providerSpec is empty")
	}
	data, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, errors.New("providerSpec is neither JSON nor YAML")
	}
	config := &MachineProviderConfig{}
	strictErrs, err := sigsjson.UnmarshalStrict(data, config, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return nil, fmt.Errorf("providerSpec does not decode: %s", shorten(err.Error()))
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, 0, len(strictErrs))
		for _, e := range strictErrs {
			msgs = append(msgs, shorten(e.Error()))
		}
		return nil, fmt.Errorf("providerSpec: %s", strings.Join(msgs, "; "))
	}
	if config.APIVersion != APIVersion {
		return nil, fmt.Errorf("providerSpec apiVersion %q is not supported, expected %q", shorten(config.APIVersion), APIVersion)
	}
	if config.Kind != Kind {
		return nil, fmt.Errorf("providerSpec kind %q is not supported, expected %q", shorten(config.Kind), Kind)
	}
	return config, nil
}

// shorten keeps error texts readable when they quote user input.
func shorten(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}
