package authapi_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestAuthAPI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "authapi")
}
