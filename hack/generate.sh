#!/usr/bin/env bash
# Regenerates the deepcopy functions and CRDs of pkg/apis/pco and pkg/apis/registry, and the
# deepcopy functions of pkg/apis/auth, with controller-gen (built once from the module proxy
# into the cache).
set -euo pipefail
cd "$(dirname "$0")/.."
version=v0.23.0
cache="${XDG_CACHE_HOME:-$HOME/.cache}/mcm-provider-pco/controller-gen-$version"
if [[ ! -x "$cache/controller-gen" ]]; then
	GOBIN="$cache" GOFLAGS=-mod=mod go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$version"
fi
"$cache/controller-gen" object paths=./pkg/apis/pco/... paths=./pkg/apis/registry/...
# The auth API is aggregated, served by the registrar, not a CRD: deepcopy only.
"$cache/controller-gen" object paths=./pkg/apis/auth/...
"$cache/controller-gen" crd paths=./pkg/apis/pco/... paths=./pkg/apis/registry/... output:crd:artifacts:config=kubernetes/crds
cp kubernetes/crds/*.yaml charts/mcm-provider-pco/crds/
# The MachineClass providerSpec: deepcopy only, it is no CRD.
"$cache/controller-gen" object paths=./pkg/apis/openstack/v1alpha1/...
