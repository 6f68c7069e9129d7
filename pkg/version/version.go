// Package version holds the release version stamped into the binaries at build time
// (-ldflags "-X github.com/pco-mcm/mcm-provider-pco/pkg/version.Version=v0.2.0"); the semver
// itself lives in the repository's VERSION file only.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Revision are set by the linker; a plain go build says "dev" and falls back to
// the VCS revision Go recorded, if any. The image builder sets both and builds with
// -buildvcs=false, so a binary depends on the commit only, not on the state of the work tree.
var (
	Version  = "dev"
	Revision = ""
)

// String is the one line every command prints for --version and logs at start:
// name, version, Go version and platform, and the VCS revision when the build recorded one.
func String(name string) string {
	s := fmt.Sprintf("%s %s (%s %s/%s", name, Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if rev := revision(); rev != "" {
		s += " " + rev
	}
	return s + ")"
}

// revision is the commit the binary was built from, when known.
func revision() string {
	if Revision != "" {
		return Revision
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, kv := range info.Settings {
		if kv.Key == "vcs.revision" {
			return kv.Value
		}
	}
	return ""
}
