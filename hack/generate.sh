#!/usr/bin/env bash
# Regenerates the deepcopy functions and CRDs of pkg/apis/pco and pkg/apis/registry, and the
# deepcopy functions of pkg/apis/auth, with controller-gen (built once from the module proxy
# into the cache).
set -euo pipefail
cd "$(dirname "$0")/.."
source hack/lib/tools.sh
version=v0.23.0
cache="$CACHE_ROOT/controller-gen-$version"
go_tool "$cache" controller-gen "about a minute cold" "sigs.k8s.io/controller-tools/cmd/controller-gen@$version"
"$cache/controller-gen" object paths=./pkg/apis/pco/... paths=./pkg/apis/registry/...
# The auth API is aggregated, served by the registrar, not a CRD: deepcopy only.
"$cache/controller-gen" object paths=./pkg/apis/auth/...
"$cache/controller-gen" crd paths=./pkg/apis/pco/... paths=./pkg/apis/registry/... output:crd:artifacts:config=kubernetes/crds
cp kubernetes/crds/*.yaml charts/mcm-provider-pco/crds/
# The MachineClass providerSpec: deepcopy only, it is no CRD.
"$cache/controller-gen" object paths=./pkg/apis/openstack/v1alpha1/...
