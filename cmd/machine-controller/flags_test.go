package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/app/options"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/pco-mcm/mcm-provider-pco/pkg/driver"
)

// providerFlags is the flag set main builds: MCM's provider app flags and ours.
func providerFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("machine-controller", pflag.ExitOnError)
	options.NewMCServer().AddFlags(fs)
	opts := driver.DefaultOptions()
	driver.AddFlags(fs, &opts)
	return fs
}

func TestParseFlagsAcceptsEveryArgumentOfGardenersInjectedSidecar(t *testing.T) {
	raw, err := os.ReadFile("../../test/integration/testdata/gardener-sidecar-openstack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c corev1.Container
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if exit, code := parseFlags(providerFlags(), c.Args, &stdout, &stderr); exit {
		t.Fatalf("Gardener's sidecar arguments %v end the program with code %d: %s", c.Args, code, stderr.String())
	}
}

func TestParseFlagsRefusesAnUnknownFlagWithCode2AndOneHintWithoutUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	exit, code := parseFlags(providerFlags(), []string{"--namespace=x", "--machine-future-flag=1"}, &stdout, &stderr)
	if !exit || code != 2 {
		t.Fatalf("exit %v code %d, want exit with code 2", exit, code)
	}
	out := stderr.String()
	if !strings.HasPrefix(out, "machine-controller: unknown flag: --machine-future-flag\n") || !strings.Contains(out, "docs/gardener.md") {
		t.Errorf("stderr %q does not name the flag and docs/gardener.md", out)
	}
	if strings.Contains(out, "--address") || stdout.Len() > 0 {
		t.Errorf("the flag error is buried in usage text: stdout %q stderr %q", stdout.String(), out)
	}
}

func TestParseFlagsPrintsUsageOnHelpAndExitsZero(t *testing.T) {
	var stdout, stderr bytes.Buffer
	exit, code := parseFlags(providerFlags(), []string{"--help"}, &stdout, &stderr)
	if !exit || code != 0 || !strings.Contains(stdout.String(), "--pco-") {
		t.Fatalf("--help: exit %v code %d, stdout %q", exit, code, stdout.String())
	}
}
