package connect_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// TestConnect runs the package's Ginkgo specs (one RunSpecs per package: add further specs
// of package connect to this suite rather than starting another).
func TestConnect(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "ClusterConnect (real kube-apiservers)")
}
