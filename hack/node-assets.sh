#!/usr/bin/env bash
# Builds kubelet, kube-controller-manager, kube-scheduler and kube-proxy (k8s.io/kubernetes) from
# the Go module proxy at the pinned version into a cache folder, reuses them when present, and
# prints the folder as the last line (like hack/envtest-assets.sh, whose kube-apiserver, etcd and
# kubectl complete the single-node cluster of make e2e-node). No prebuilt binaries are downloaded.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.5}"
STAGING_VERSION="v0${KUBE_VERSION#v1}"
GO_VERSION="$(go env GOVERSION)"
CACHE_ROOT="${PCO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcm-provider-pco}"
OUT="$CACHE_ROOT/node/kube-${KUBE_VERSION}_${GO_VERSION}"
bins=(kubelet kube-controller-manager kube-scheduler kube-proxy)

missing=()
for b in "${bins[@]}"; do [[ -x "$OUT/$b" ]] || missing+=("$b"); done
if (( ${#missing[@]} == 0 )); then
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
{
  echo "module local/nodebins"
  echo
  echo "go 1.26.0"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do echo "	k8s.io/$m => k8s.io/$m $STAGING_VERSION"; done
  echo ")"
} > "$work/go.mod"
{
  printf '//go:build tools\n\npackage tools\n\nimport (\n'
  for b in "${bins[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
  printf ')\n'
} > "$work/tools.go"
minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
ld="-s -w"
for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
done
(cd "$work" && go mod tidy >&2)
for b in "${missing[@]}"; do
  echo "building $b $KUBE_VERSION (kubelet about 6 minutes cold on 2 cores, the others 1-2)" >&2
  (cd "$work" && go build -trimpath -ldflags "$ld" -o "$OUT/$b.tmp" "k8s.io/kubernetes/cmd/$b")
  mv "$OUT/$b.tmp" "$OUT/$b"
done
echo "$OUT"
