package framework

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
)

// PeerModule is gardener's provider-openstack, the peer driver this project replaces.
const PeerModule = "github.com/gardener/machine-controller-manager-provider-openstack"

// PeerProviderBinary returns the peer's machine-controller, built from its module at the version
// test/bench's go.mod pins (it lists the module as a tool, so go.sum covers its packages) once
// into the project's cache folder and reused after that.
func PeerProviderBinary() (string, error) {
	dir := filepath.Join(testenv.RepoRoot(), "test", "bench")
	list := exec.Command("go", "list", "-m", "-f", "{{.Version}}", PeerModule)
	list.Dir = dir
	version, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("finding the version of %s: %w", PeerModule, err)
	}
	bin := filepath.Join(testenv.CacheRoot(), "bench", fmt.Sprintf("provider-openstack-%s-machine-controller_%s", strings.TrimSpace(string(version)), runtime.Version()))
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o750); err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, PeerModule+"/cmd/machine-controller")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("building the peer's machine-controller: %w\n%s", err, out)
	}
	return bin, os.Rename(tmp, bin)
}
