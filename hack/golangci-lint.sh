#!/usr/bin/env bash
# Builds (or reuses) golangci-lint from the Go module proxy at a pinned version into the cache.
# Without arguments it prints the binary's path; with arguments it execs it with them
# (./hack/golangci-lint.sh run ./...). Built with the Go that builds the project: golangci-lint's
# analyzers must understand that Go's version, so the cache key carries GOVERSION.
set -euo pipefail
GOLANGCI_LINT_VERSION="${GOLANGCI_LINT_VERSION:-v2.15.0}"
CACHE_ROOT="${PCO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcm-provider-pco}"
OUT="$CACHE_ROOT/tools/golangci-lint-$GOLANGCI_LINT_VERSION-$(go env GOVERSION)"
if [[ ! -x "$OUT/golangci-lint" ]]; then
  mkdir -p "$OUT"
  echo "building golangci-lint $GOLANGCI_LINT_VERSION (a few minutes cold)" >&2
  # Its own module graph (go install pkg@version), never ours; version info via ldflags as upstream does.
  CGO_ENABLED=0 GOBIN="$OUT" GOFLAGS=-mod=mod go install -trimpath \
    -ldflags "-s -w -X main.version=${GOLANGCI_LINT_VERSION#v} -X main.commit=proxy -X main.date=unknown" \
    "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION" >&2
fi
if [[ $# -eq 0 ]]; then
  echo "$OUT/golangci-lint"
  exit 0
fi
exec "$OUT/golangci-lint" "$@"
