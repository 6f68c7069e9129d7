#!/usr/bin/env bash
# Builds kubelet, kube-controller-manager, kube-scheduler and kube-proxy (k8s.io/kubernetes) from
# the Go module proxy at the pinned version into a cache folder, reuses them when present, and
# prints the folder as the last line (like hack/envtest-assets.sh, whose kube-apiserver, etcd and
# kubectl complete the single-node cluster of make e2e-node). No prebuilt binaries are downloaded.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.5}"
GO_VERSION="$(go env GOVERSION)"
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools.sh"
OUT="$CACHE_ROOT/node/kube-${KUBE_VERSION}_${GO_VERSION}"
bins=(kubelet kube-controller-manager kube-scheduler kube-proxy)

missing=()
for b in "${bins[@]}"; do [[ -x "$OUT/$b" ]] || missing+=("$b"); done
if (( ${#missing[@]} == 0 )); then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
source "$(dirname "$0")/lib/kube-build.sh"
kube_build "$OUT" "kubelet about 6 minutes cold on 2 cores, the others 1-2" "${missing[@]}"
echo "$OUT"
