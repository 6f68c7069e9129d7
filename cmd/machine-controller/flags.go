package main

import (
	"bytes"
	"errors"
	goflag "flag"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/klog/v2"
)

// unknownFlagHint follows a flag error: the caller is most likely a newer gardenlet or
// gardener-extension-provider-openstack that passes a flag MCM v0.62.1's provider app does not have.
const unknownFlagHint = "machine-controller takes the flags of machine-controller-manager v0.62.1's provider app " +
	"and its own --pco-* flags (--help lists them); a flag it does not know is refused, not ignored. " +
	"docs/gardener.md lists the gardenlet and extension versions whose sidecar arguments are known to work"

// parseFlags parses the command line as component-base's flag.InitFlags does, except that a flag
// error ends the program with exit code 2 and one clear message on stderr instead of pflag's full
// usage text followed by the error: under Gardener, a sidecar that crash-loops must say why in
// its last log lines. --help still prints the usage, to stdout, and exits 0.
func parseFlags(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) (exit bool, code int) {
	fs.Init(fs.Name(), pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	fs.AddGoFlagSet(goflag.CommandLine)
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		_, _ = stdout.Write(out.Bytes())
		return true, 0
	case err != nil:
		fmt.Fprintf(stderr, "machine-controller: %v\n%s\n", err, unknownFlagHint)
		return true, 2
	}
	fs.VisitAll(func(f *pflag.Flag) { klog.V(2).Infof("FLAG: --%s=%q", f.Name, f.Value) })
	return false, 0
}

// mustParseFlags is parseFlags on the process's command line.
func mustParseFlags() {
	if exit, code := parseFlags(pflag.CommandLine, os.Args[1:], os.Stdout, os.Stderr); exit {
		os.Exit(code)
	}
}
