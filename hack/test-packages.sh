#!/usr/bin/env bash
# Prints the Go packages of one test tier, one a line.
#
#   hack/test-packages.sh unit         packages whose test binary does not link envtest
#   hack/test-packages.sh integration  packages whose test binary links envtest: they start a real
#                                      kube-apiserver + etcd (and often MCM's controllers)
#
# The split is by what a test binary links, not by a list of names, so a new package, or a test
# helper that moves, lands in the right tier without editing this file or the Makefile.
set -euo pipefail
cd "$(dirname "$0")/.."

tier=${1:?usage: $0 unit|integration}
marker=sigs.k8s.io/controller-runtime/pkg/envtest

# -test lists each package and, for packages with tests, its test binary "p.test" whose Deps are
# everything the tests link. A package without a test binary has nothing to run; go test lists it
# as "[no test files]" either way, so it goes to unit.
all=$(go list -f '{{.ImportPath}}' ./...)
cp=$(go list -test -f '{{.ImportPath}}{{range .Deps}}{{if eq . "'"$marker"'"}} CP{{end}}{{end}}' ./... |
	awk '$1 ~ /\.test$/ && $2 == "CP" { sub(/\.test$/, "", $1); print $1 }' | sort -u)

case $tier in
unit) comm -23 <(sort <<<"$all") <(printf '%s\n' "$cp") ;;
integration) printf '%s\n' "$cp" ;;
*) echo "$0: unknown tier $tier (unit|integration)" >&2; exit 2 ;;
esac
