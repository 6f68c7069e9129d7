package main

import (
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// imageSpec is one image: its binaries (the first is the entrypoint) and what its labels say.
type imageSpec struct {
	name        string
	description string
	binaries    []binary
	// test marks images only make e2e-node needs (not released).
	test bool
}

// binary is a Go main package built into the image's root as /name.
type binary struct {
	name string
	pkg  string
	// hackModule: the package is in this module (hack/image), not in the repository's.
	hackModule bool
	// moduleVersion: stamp the version of this module (from the repository's go.mod) instead.
	moduleVersion string
}

var releaseImages = []string{"machine-controller", "cluster-registrar", "reseller-controller", "pco-sim"}

var imageSpecs = map[string]imageSpec{
	"machine-controller": {name: "machine-controller",
		description: "machine-controller-manager provider for pluscloud open (OpenStack); /healthprobe serves the chart's helm test",
		binaries:    []binary{{name: "machine-controller", pkg: "./cmd/machine-controller"}, {name: "healthprobe", pkg: "./cmd/healthprobe"}}},
	"cluster-registrar": {name: "cluster-registrar",
		description: "Registers the clusters the machines form (registry.pco-mcm.io) and serves the per-user auth API",
		binaries:    []binary{{name: "cluster-registrar", pkg: "./cmd/cluster-registrar"}}},
	"reseller-controller": {name: "reseller-controller",
		description: "Reconciles pluscloud open Regions, Projects, Users and bindings against the Reseller API",
		binaries:    []binary{{name: "reseller-controller", pkg: "./cmd/reseller-controller"}}},
	"pco-sim": {name: "pco-sim",
		description: "OpenStack (Keystone, Nova, Neutron, Glance, Cinder) and pluscloud open Reseller API simulator",
		binaries:    []binary{{name: "pco-sim", pkg: "./cmd/pco-sim"}}},
	// machine-controller-manager at the version go.mod pins, with the binary in / as gardener's
	// image has it (the chart runs ./machine-controller-manager from the working directory /).
	"machine-controller-manager": {name: "machine-controller-manager", test: true,
		description: "gardener machine-controller-manager, built from the module go.mod pins (for make e2e-node)",
		binaries: []binary{{name: "machine-controller-manager", pkg: "github.com/gardener/machine-controller-manager/cmd/machine-controller-manager",
			moduleVersion: "github.com/gardener/machine-controller-manager"}}},
	"pause": {name: "pause", test: true,
		description: "pod sandbox for make e2e-node's containerd",
		binaries:    []binary{{name: "pause", pkg: "./pause", hackModule: true}}},
}

func knownImages() []string {
	var names []string
	for n := range imageSpecs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// options are the flags, resolved.
type options struct {
	src, out, version, revision, repo string
	tarDir, tarPlatform, caFile       string
	created                           time.Time
	sbom                              bool
	platforms                         []v1.Platform
	images                            []imageSpec
}
