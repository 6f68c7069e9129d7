# Sourced by hack/envtest-assets.sh and hack/node-assets.sh: builds commands of k8s.io/kubernetes
# from the Go module proxy at KUBE_VERSION, stamped with that version, without prebuilt binaries.

# The staging modules kubernetes requires as v0.0.0 need a replace to a real version.
kube_staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt
  kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver streaming)

# kube_build OUT NOTE CMD... builds k8s.io/kubernetes/cmd/CMD for each CMD into OUT (through a
# .tmp file, so an interrupted build leaves no half binary). NOTE tells how long it takes.
kube_build() {
  local out=$1 note=$2; shift 2
  local work; work="$(mktemp -d)"
  local staging_version="v0${KUBE_VERSION#v1}" # k8s.io/<staging> modules at the matching v0.x
  {
    echo "module local/kubebins"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    for m in "${kube_staging[@]}"; do echo "	k8s.io/$m => k8s.io/$m $staging_version"; done
    echo ")"
  } > "$work/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for b in "$@"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
    printf ')\n'
  } > "$work/tools.go"
  local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local ld="-s -w" p
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go mod tidy >&2) || { rm -rf "$work"; return 1; }
  local b
  for b in "$@"; do
    echo "building $b $KUBE_VERSION ($note)" >&2
    (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ld" -o "$out/$b.tmp" "k8s.io/kubernetes/cmd/$b") ||
      { rm -rf "$work"; return 1; }
    mv "$out/$b.tmp" "$out/$b"
  done
  rm -rf "$work"
}
