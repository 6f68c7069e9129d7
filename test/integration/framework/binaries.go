// Package framework runs what the Kubernetes-level tests and the demo need, all on loopback and
// without Docker: a real kube-apiserver and etcd (built from the Go module proxy and cached),
// machine-controller-manager's core controller and this project's machine-controller as real
// processes, the OpenStack simulator, and a node simulator that plays the kubelets. The control
// plane itself and the repository's folders come from internal/testenv.
package framework

import (
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/pco-mcm/mcm-provider-pco/internal/testenv"
)

// BuildBinaries builds MCM's core controller (from the pinned module) and this project's
// machine-controller into dir; Go's build cache makes repeated builds cheap.
func BuildBinaries(dir string) (mcm, provider string, err error) {
	mcm = filepath.Join(dir, "machine-controller-manager")
	provider = filepath.Join(dir, "machine-controller")
	for pkg, out := range map[string]string{
		"github.com/gardener/machine-controller-manager/cmd/machine-controller-manager": mcm,
		"./cmd/machine-controller": provider,
	} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = testenv.RepoRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("building %s: %w\n%s", pkg, err, b)
		}
	}
	return mcm, provider, nil
}
