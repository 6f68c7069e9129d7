#!/usr/bin/env bash
# Builds kube-apiserver, kubectl (k8s.io/kubernetes) and etcd from the Go module proxy at pinned
# versions into a cache folder, reuses them when present, and prints the folder as the last line.
# Point KUBEBUILDER_ASSETS at that folder. No Docker and no download of prebuilt binaries.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.5}"     # newest k8s.io/kubernetes the proxy serves on our v0.36 line
STAGING_VERSION="v0${KUBE_VERSION#v1}"      # k8s.io/<staging> modules at the matching v0.36.x
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
GO_VERSION="$(go env GOVERSION)"
CACHE_ROOT="${PCO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcm-provider-pco}"
OUT="$CACHE_ROOT/envtest/kube-${KUBE_VERSION}_etcd-${ETCD_VERSION}_${GO_VERSION}"

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/kubectl" && -x "$OUT/etcd" ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod

# The staging modules kubernetes requires as v0.0.0 need a replace to a real version.
staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt
  kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver streaming)

if [[ ! -x "$OUT/kube-apiserver" || ! -x "$OUT/kubectl" ]]; then
  mkdir -p "$work/kube"
  {
    echo "module local/kubebins"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    for m in "${staging[@]}"; do echo "	k8s.io/$m => k8s.io/$m $STAGING_VERSION"; done
    echo ")"
  } > "$work/kube/go.mod"
  cat > "$work/kube/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  ld="-s -w"
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  (cd "$work/kube" && go mod tidy >&2 &&
    echo "building kube-apiserver $KUBE_VERSION (about 5-9 minutes cold on 2 cores)" >&2 &&
    go build -trimpath -ldflags "$ld" -o "$OUT/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver &&
    go build -trimpath -ldflags "$ld" -o "$OUT/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl)
  mv "$OUT/kube-apiserver.tmp" "$OUT/kube-apiserver"
  mv "$OUT/kubectl.tmp" "$OUT/kubectl"
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
