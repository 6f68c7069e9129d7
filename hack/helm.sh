#!/usr/bin/env bash
# Builds (or reuses) the helm CLI from the Go module proxy into the cache and prints its path last.
# helm pulls k8s.io v0.37, so it is built in its own module, never in ours.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools.sh"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
OUT="$CACHE_ROOT/helm/$HELM_VERSION-$(go env GOVERSION)"
go_tool "$OUT" helm "about 2-3 minutes cold" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
  "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
echo "$OUT/helm"
