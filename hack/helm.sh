#!/usr/bin/env bash
# Builds (or reuses) the helm CLI from the Go module proxy into the cache and prints its path last.
# helm pulls k8s.io v0.37, so it is built in its own module, never in ours.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CACHE_ROOT="${PCO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcm-provider-pco}"
OUT="$CACHE_ROOT/helm/$HELM_VERSION-$(go env GOVERSION)"
if [[ ! -x "$OUT/helm" ]]; then
  mkdir -p "$OUT"
  echo "building helm $HELM_VERSION (about 2-3 minutes cold)" >&2
  CGO_ENABLED=0 GOBIN="$OUT" GOFLAGS=-mod=mod go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
fi
echo "$OUT/helm"
