package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestStringNamesCommandVersionAndPlatform(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v9.8.7"
	got := String("machine-controller")
	for _, want := range []string{"machine-controller v9.8.7 (", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(got, want) {
			t.Errorf("String() = %q, want it to contain %q", got, want)
		}
	}
}

func TestStringCarriesTheStampedRevision(t *testing.T) {
	old := Revision
	t.Cleanup(func() { Revision = old })
	Revision = "0123456789abcdef"
	if got := String("pco-sim"); !strings.Contains(got, " 0123456789abcdef)") {
		t.Errorf("String() = %q, want the revision before the closing parenthesis", got)
	}
}
