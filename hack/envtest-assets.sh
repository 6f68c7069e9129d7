#!/usr/bin/env bash
# Builds kube-apiserver, kubectl (k8s.io/kubernetes) and etcd from the Go module proxy at pinned
# versions into a cache folder, reuses them when present, and prints the folder as the last line.
# Point KUBEBUILDER_ASSETS at that folder. No Docker and no download of prebuilt binaries.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.5}"     # newest k8s.io/kubernetes the proxy serves on our v0.36 line
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
GO_VERSION="$(go env GOVERSION)"
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools.sh"
OUT="$CACHE_ROOT/envtest/kube-${KUBE_VERSION}_etcd-${ETCD_VERSION}_${GO_VERSION}"

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/kubectl" && -x "$OUT/etcd" ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod
source "$(dirname "$0")/lib/kube-build.sh"

missing=()
for b in kube-apiserver kubectl; do [[ -x "$OUT/$b" ]] || missing+=("$b"); done
if (( ${#missing[@]} > 0 )); then
  kube_build "$OUT" "kube-apiserver about 5-9 minutes cold on 2 cores" "${missing[@]}"
fi

if [[ ! -x "$OUT/etcd" ]]; then
  mkdir -p "$work/etcd"
  printf 'module local/etcdbin\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > "$work/etcd/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > "$work/etcd/tools.go"
  (cd "$work/etcd" && go mod tidy >&2 &&
    echo "building etcd $ETCD_VERSION" >&2 &&
    go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$OUT/etcd.tmp" "$OUT/etcd"
fi
echo "$OUT"
