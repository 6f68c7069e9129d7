#!/usr/bin/env bash
# make e2e-node: a single-node Kubernetes (hack/node-up.sh), this project's images built for
# the host's platform (hack/image) and imported into its containerd, the chart suite
# test/e2e/node against it, and the node torn down again whatever happened (hack/node-down.sh).
# Prints E2E-NODE lines with the durations. Needs root, containerd, runc and the CNI plugins.
set -euo pipefail
cd "$(dirname "$0")/.."
export PCO_NODE_DIR="${PCO_NODE_DIR:-/tmp/pco-e2e-node}"
start=$(date +%s)
trap './hack/node-down.sh' EXIT
./hack/node-up.sh
echo "E2E-NODE node_ready=$(( $(date +%s) - start ))s"
# shellcheck disable=SC1091
source "$PCO_NODE_DIR/env"

t=$(date +%s)
repo=localhost/pco
tag="v$(cat VERSION)"
images=machine-controller,cluster-registrar,reseller-controller,machine-controller-manager
(cd hack/image && SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)" go run . --src ../.. --images "$images" \
  --platforms "linux/$(go env GOARCH)" --out "$PCO_NODE_DIR/images" --tar-dir "$PCO_NODE_DIR/images/tar" --repo "$repo" --version "$tag")
for i in ${images//,/ }; do
  ctr --address "$CONTAINERD_SOCK" -n k8s.io images import "$PCO_NODE_DIR/images/tar/$i.tar" >/dev/null
done
echo "E2E-NODE images_built_and_imported=$(( $(date +%s) - t ))s"

HELM="$(./hack/helm.sh | tail -1)"
t=$(date +%s)
PCO_E2E_NODE_ENV="$PCO_NODE_DIR/env" PCO_E2E_IMAGE_REPO="$repo" PCO_E2E_IMAGE_TAG="$tag" HELM="$HELM" \
  go test -count=1 -v -timeout 20m ./test/e2e/node/ -ginkgo.v
echo "E2E-NODE suite=$(( $(date +%s) - t ))s total=$(( $(date +%s) - start ))s"
