package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const versionPkg = "github.com/pco-mcm/mcm-provider-pco/pkg/version"

// buildBinaries builds every binary of the images for platform into dir/<name>: one go build
// per module and platform, so packages compile once and the links run in parallel; Go's build
// cache makes reruns cheap.
func buildBinaries(o options, p v1.Platform, dir string) error {
	groups := map[bool][]binary{}
	seen := map[string]bool{}
	for _, img := range o.images {
		for _, b := range img.binaries {
			if !seen[b.name] {
				seen[b.name] = true
				groups[b.hackModule] = append(groups[b.hackModule], b)
			}
		}
	}
	for hack, bins := range groups {
		moduleDir := o.src
		if hack {
			moduleDir = filepath.Join(o.src, "hack", "image")
		}
		// One -X per binary's version variable: a variable of a package a binary does not link is ignored.
		ldflags := "-s -w"
		var pkgs []string
		for _, b := range bins {
			if filepath.Base(b.pkg) != b.name {
				return fmt.Errorf("binary %s: go build -o dir/ names it %s", b.name, filepath.Base(b.pkg))
			}
			x, err := versionFlags(o, b, moduleDir)
			if err != nil {
				return err
			}
			if !strings.Contains(ldflags, x) {
				ldflags += x
			}
			pkgs = append(pkgs, b.pkg)
		}
		// -buildvcs=false: a binary must not depend on whether the work tree is dirty.
		args := append([]string{"build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", dir + string(filepath.Separator)}, pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture, "GOFLAGS=-mod=mod")
		if p.Variant != "" && p.Architecture == "arm" {
			cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s for %s: %w\n%s", strings.Join(pkgs, " "), p.String(), err, out)
		}
	}
	return nil
}

// versionFlags are the -X flags that stamp b's version.
func versionFlags(o options, b binary, moduleDir string) (string, error) {
	switch {
	case b.moduleVersion != "":
		v, err := moduleVersion(moduleDir, b.moduleVersion)
		if err != nil {
			return "", err
		}
		return " -X github.com/gardener/machine-controller-manager/pkg/version.Version=" + v, nil
	case !b.hackModule:
		x := " -X " + versionPkg + ".Version=" + o.version
		if o.revision != "" {
			x += " -X " + versionPkg + ".Revision=" + o.revision
		}
		return x, nil
	}
	return "", nil
}

func moduleVersion(dir, module string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("version of %s: %w", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// gitRevision is HEAD's commit in dir, or "" outside a git checkout.
func gitRevision(dir string) string {
	cmd := exec.Command("git", "rev-parse", "HEAD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func parsePlatform(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(strings.TrimSpace(s))
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	return *p, nil
}
