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
