package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// sbomToolVersion is the CycloneDX Go SBOM tool, built from the module proxy and cached.
const sbomToolVersion = "v1.10.0"

// sbomTool returns the path of cyclonedx-gomod, installing it into the cache on first use.
func sbomTool() (string, error) {
	cache := os.Getenv("PCO_CACHE_DIR")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(dir, "mcm-provider-pco")
	}
	gover, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "tools", "cyclonedx-gomod-"+sbomToolVersion+"-"+strings.TrimSpace(string(gover)))
	bin := filepath.Join(dir, "cyclonedx-gomod")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.Command("go", "install", "-trimpath", "github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@"+sbomToolVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("installing cyclonedx-gomod %s: %w\n%s", sbomToolVersion, err, out)
	}
	return bin, nil
}

// writeSBOMs writes a CycloneDX SBOM (JSON, from the binary's build information: Go version,
// modules and versions) of every binary of spec for platform p into o.out/sbom, without serial
// number or timestamp so that it is as reproducible as the image.
func writeSBOMs(o options, tool string, spec imageSpec, p v1.Platform, binDir string) error {
	dir := filepath.Join(o.out, "sbom")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	for _, b := range spec.binaries {
		out := filepath.Join(dir, fmt.Sprintf("%s_%s_%s.cdx.json", spec.name, b.name, strings.ReplaceAll(p.String(), "/", "-")))
		cmd := exec.Command(tool, "bin", "-json", "-noserial", "-notimestamp", "-output", out, "-version", o.version, filepath.Join(binDir, b.name))
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("SBOM of %s: %w\n%s", b.name, err, msg)
		}
	}
	return nil
}
