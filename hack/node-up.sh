#!/usr/bin/env bash
# Starts a single-node Kubernetes on this machine for make e2e-node: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, containerd + runc (Debian packages), kubelet and
# kube-proxy, a bridge CNI network, and a locally built pause image. Everything lives in
# $PCO_NODE_DIR (default /tmp/pco-e2e-node); hack/node-down.sh stops it and cleans up what
# kubelet and containerd leave outside it. Needs root. Verified recipe:
# /work/shared/reference/real-node-recipe.md (cgroup v1 host, no cap_sys_resource).
# Writes $PCO_NODE_DIR/env (KUBECONFIG, NODE_IP, NODE_NAME, CONTAINERD_SOCK) when the node is Ready.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${PCO_NODE_DIR:-/tmp/pco-e2e-node}"
NODE_NAME="${PCO_NODE_NAME:-pco-e2e-node}"
NODE_IP="${PCO_NODE_IP:-$(ip -4 route get 1.1.1.1 | awk '{for (i=1;i<NF;i++) if ($i=="src") print $(i+1)}')}"
API_PORT=16443
SERVICE_CIDR=10.96.0.0/24
POD_CIDR=10.244.0.0/24
log() { echo "node-up: $*" >&2; }

[[ "$(id -u)" == 0 ]] || { log "needs root"; exit 1; }
for p in containerd runc; do command -v "$p" >/dev/null || { log "missing $p: apt-get install -y containerd runc containernetworking-plugins"; exit 1; }; done
[[ -x /usr/lib/cni/bridge ]] || { log "missing /usr/lib/cni/bridge: apt-get install -y containernetworking-plugins"; exit 1; }
if [[ -e "$DIR/pids" ]]; then log "$DIR/pids exists: run hack/node-down.sh first"; exit 1; fi

ENVTEST="$(./hack/envtest-assets.sh | tail -1)"
NODEBIN="$(./hack/node-assets.sh | tail -1)"
mkdir -p "$DIR"/{pki,etcd,logs,containerd/root,containerd/state,cni/net.d,cni-ipam,kubelet/pod-logs,kubelet/root}
: > "$DIR/pids"

# Sysctls kubelet changes (and ip_forward for pod traffic): recorded for node-down to restore.
if [[ ! -e "$DIR/sysctls" ]]; then
  for k in vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward; do
    echo "$k=$(sysctl -n "$k")" >> "$DIR/sysctls"
  done
fi
sysctl -qw net.ipv4.ip_forward=1

start() { # name binary args...: runs in its own session, logs to $DIR/logs/name.log
  local name="$1"; shift
  setsid "$@" > "$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo "$name $!" >> "$DIR/pids"
}
wait_for() { # what seconds command...
  local what="$1" t="$2"; shift 2
  for ((i = 0; i < t * 4; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "$what not up after ${t}s"; return 1
}

# --- PKI (openssl): one CA for everything; the apiserver trusts client certs signed by it.
pki="$DIR/pki"
if [[ ! -e "$pki/ca.crt" ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pco-e2e-ca" -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
fi
cert() { # name subject [sans]
  local name="$1" subj="$2" sans="${3:-}"
  [[ -e "$pki/$name.crt" ]] && return 0
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  local ext="$pki/$name.ext"
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=digitalSignature,keyEncipherment"
    if [[ -n "$sans" ]]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans"; else echo "extendedKeyUsage=clientAuth"; fi; } > "$ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
}
cert apiserver "/CN=kube-apiserver" "IP:$NODE_IP,IP:127.0.0.1,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
cert admin "/O=system:masters/CN=pco-e2e-admin"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kube-proxy "/CN=system:kube-proxy"
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
kubeconfig() { # name
  cat > "$DIR/$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "https://$NODE_IP:$API_PORT", certificate-authority: "$pki/ca.crt"}}]
users: [{name: $1, user: {client-certificate: "$pki/$1.crt", client-key: "$pki/$1.key"}}]
contexts: [{name: e2e, context: {cluster: e2e, user: $1}}]
current-context: e2e
KC
}
for k in admin controller-manager scheduler kube-proxy kubelet; do kubeconfig "$k"; done

# --- etcd and the control plane.
start etcd "$ENVTEST/etcd" --data-dir "$DIR/etcd" --listen-client-urls http://127.0.0.1:12379 \
  --advertise-client-urls http://127.0.0.1:12379 --listen-peer-urls http://127.0.0.1:12380 --unsafe-no-fsync
wait_for etcd 30 curl -sf http://127.0.0.1:12379/health
start kube-apiserver "$ENVTEST/kube-apiserver" --etcd-servers=http://127.0.0.1:12379 \
  --advertise-address="$NODE_IP" --bind-address=0.0.0.0 --secure-port=$API_PORT \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" --service-cluster-ip-range=$SERVICE_CIDR \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=false
KUBECTL=("$ENVTEST/kubectl" --kubeconfig "$DIR/admin.kubeconfig")
wait_for kube-apiserver 90 "${KUBECTL[@]}" get --raw /readyz
start kube-controller-manager "$NODEBIN/kube-controller-manager" --kubeconfig="$DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$DIR/controller-manager.kubeconfig" --authorization-kubeconfig="$DIR/controller-manager.kubeconfig" \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" --use-service-account-credentials=true \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --leader-elect=false --secure-port=10357 --service-cluster-ip-range=$SERVICE_CIDR
start kube-scheduler "$NODEBIN/kube-scheduler" --kubeconfig="$DIR/scheduler.kubeconfig" \
  --authentication-kubeconfig="$DIR/scheduler.kubeconfig" --authorization-kubeconfig="$DIR/scheduler.kubeconfig" \
  --leader-elect=false --secure-port=10359

# --- containerd with its own root, state and socket.
cat > "$DIR/containerd/config.toml" <<TOML
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
[grpc]
  address = "$DIR/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:local"
  # Without it every sandbox fails here: the test container lacks cap_sys_resource.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni/net.d"
TOML
cat > "$DIR/cni/net.d/10-bridge.conflist" <<JSON
{"cniVersion":"1.0.0","name":"pco-e2e","plugins":[
 {"type":"bridge","bridge":"pcoe2e0","isGateway":true,"ipMasq":false,"hairpinMode":true,
  "ipam":{"type":"host-local","dataDir":"$DIR/cni-ipam","ranges":[[{"subnet":"$POD_CIDR"}]],"routes":[{"dst":"0.0.0.0/0"}]}},
 {"type":"loopback"}]}
JSON
start containerd containerd --config "$DIR/containerd/config.toml"
CTR=(ctr --address "$DIR/containerd/containerd.sock" -n k8s.io)
wait_for containerd 30 "${CTR[@]}" version

# The pause image, built like ours (hack/image) and imported before the first pod.
(cd hack/image && go run . --src ../.. --images pause --platforms "linux/$(go env GOARCH)" \
  --out "$DIR/images" --tar-dir "$DIR/images/tar" --repo localhost --version local) >&2
"${CTR[@]}" images import "$DIR/images/tar/pause.tar" >&2

# --- kubelet and kube-proxy.
cat > "$DIR/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$DIR/containerd/containerd.sock
podLogsDir: $DIR/kubelet/pod-logs
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $pki/ca.crt}}
authorization: {mode: Webhook}
readOnlyPort: 0
healthzPort: 10248
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
YAML
start kubelet "$NODEBIN/kubelet" --config="$DIR/kubelet/config.yaml" --kubeconfig="$DIR/kubelet.kubeconfig" \
  --root-dir="$DIR/kubelet/root" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP"
cat > "$DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $DIR/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
conntrack: {maxPerCore: 0}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
YAML
start kube-proxy "$NODEBIN/kube-proxy" --config="$DIR/kube-proxy.yaml"
wait_for "node $NODE_NAME Ready" 120 bash -c "'${KUBECTL[0]}' --kubeconfig '$DIR/admin.kubeconfig' get node '$NODE_NAME' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
wait_for "default ServiceAccount" 60 "${KUBECTL[@]}" -n default get serviceaccount default
cat > "$DIR/env" <<ENV
KUBECONFIG=$DIR/admin.kubeconfig
KUBECTL=${KUBECTL[0]}
NODE_IP=$NODE_IP
NODE_NAME=$NODE_NAME
CONTAINERD_SOCK=$DIR/containerd/containerd.sock
ENV
log "node $NODE_NAME Ready ($NODE_IP); $DIR/env"
