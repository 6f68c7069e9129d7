package registrar_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// TestRegistrar runs the package's Ginkgo specs (one RunSpecs per package: add further specs
// of package registrar to this suite rather than starting another).
func TestRegistrar(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Registrar (real kube-apiservers)")
}
