// Package openstack_test runs the driver against a real OpenStack (the Zed lab that setup.sh
// starts on loopback). It is skipped unless PCO_E2E_CLOUDS names a clouds.yaml.
package openstack_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRealOpenStack(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Driver on a real OpenStack")
}

// cloudsFile and cloudName select the real cloud: PCO_E2E_CLOUDS (a clouds.yaml) and
// PCO_E2E_CLOUD (default oslab-demo, the lab's non-admin user).
func cloudsFile() string { return os.Getenv("PCO_E2E_CLOUDS") }

func cloudName() string {
	if c := os.Getenv("PCO_E2E_CLOUD"); c != "" {
		return c
	}
	return "oslab-demo"
}
