#!/usr/bin/env bash
# Builds (or reuses) golangci-lint from the Go module proxy at a pinned version into the cache.
# Without arguments it prints the binary's path; with arguments it execs it with them
# (./hack/golangci-lint.sh run ./...). Built with the Go that builds the project: golangci-lint's
# analyzers must understand that Go's version, so the cache key carries GOVERSION.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools.sh"
GOLANGCI_LINT_VERSION="${GOLANGCI_LINT_VERSION:-v2.15.0}"
OUT="$CACHE_ROOT/tools/golangci-lint-$GOLANGCI_LINT_VERSION-$(go env GOVERSION)"
# Version info via ldflags, as upstream's release build does.
go_tool "$OUT" golangci-lint "a few minutes cold" "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION" \
  "-s -w -X main.version=${GOLANGCI_LINT_VERSION#v} -X main.commit=proxy -X main.date=unknown"
if [[ $# -eq 0 ]]; then
  echo "$OUT/golangci-lint"
  exit 0
fi
exec "$OUT/golangci-lint" "$@"
