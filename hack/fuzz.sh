#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 5s). Go can fuzz only one
# target per invocation, so targets are discovered with `go test -list` and run one by one.
# CI (make test) gives an execution count (10000x) instead of a duration: with a duration, Go's
# fuzz coordinator can report a bare "context deadline exceeded" failure when the deadline fires
# while a worker is mid-execution on a loaded machine (golang/go#75804); it wrote no failing
# input and never reproduced (seen here on FuzzParseCredentials and FuzzParseKubeconfig). A
# count has no deadline to race.
set -euo pipefail
FUZZTIME="${FUZZTIME:-5s}"
found=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    found=$((found + 1))
    echo "fuzz $pkg $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
  done
done
echo "fuzzed $found targets"
