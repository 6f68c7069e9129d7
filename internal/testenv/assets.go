package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// RepoRoot is the root of this repository (found from this source file).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// EnvtestAssets returns the folder holding kube-apiserver, etcd and kubectl: KUBEBUILDER_ASSETS
// when set, else what hack/envtest-assets.sh builds or finds in the cache.
func EnvtestAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	return lastLineOf(filepath.Join(RepoRoot(), "hack", "envtest-assets.sh"))
}

// HelmBinary returns the path of the helm CLI that hack/helm.sh builds or finds in the cache.
func HelmBinary() (string, error) {
	if p := os.Getenv("HELM"); p != "" {
		return p, nil
	}
	return lastLineOf(filepath.Join(RepoRoot(), "hack", "helm.sh"))
}

func lastLineOf(script string) (string, error) {
	var out, stderr bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Dir = RepoRoot()
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w\n%s", filepath.Base(script), err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1], nil
}

// MCMModuleDir is the folder of the pinned machine-controller-manager module (its CRDs).
func MCMModuleDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/gardener/machine-controller-manager").Output()
	if err != nil {
		return "", fmt.Errorf("finding the machine-controller-manager module: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// CacheRoot is the project's cache folder, as hack/envtest-assets.sh finds it.
func CacheRoot() string {
	if d := os.Getenv("PCO_CACHE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "mcm-provider-pco")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "mcm-provider-pco")
}
