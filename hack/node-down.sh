#!/usr/bin/env bash
# Stops what hack/node-up.sh started (by the pids it recorded, never by name) and removes what
# kubelet, containerd, the CNI plugins and kube-proxy leave outside $PCO_NODE_DIR: mounts, netns,
# the bridge, iptables chains, /kubepods cgroups, changed sysctls. Safe to run twice.
set -uo pipefail
DIR="${PCO_NODE_DIR:-/tmp/pco-e2e-node}"
log() { echo "node-down: $*" >&2; }
[[ -d "$DIR" ]] || exit 0

# Pods first, while kubelet and containerd still run: their sandboxes and mounts go cleanly.
if [[ -S "$DIR/containerd/containerd.sock" ]] && command -v crictl >/dev/null; then
  crictl --runtime-endpoint "unix://$DIR/containerd/containerd.sock" rmp -fa >/dev/null 2>&1 || true
fi
CTR=(ctr --address "$DIR/containerd/containerd.sock" -n k8s.io)
if [[ -S "$DIR/containerd/containerd.sock" ]]; then
  for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  sleep 1
  for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks delete -f "$t" >/dev/null 2>&1; done
  for c in $("${CTR[@]}" containers ls -q 2>/dev/null); do "${CTR[@]}" containers delete "$c" >/dev/null 2>&1; done
fi

# Processes in reverse start order; kube-apiserver may ignore SIGTERM for a while: SIGKILL after 10 s.
if [[ -e "$DIR/pids" ]]; then
  tac "$DIR/pids" | while read -r name pid; do
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null && log "killed $name ($pid)"
  done
  rm -f "$DIR/pids"
fi
# containerd-shim processes outlive containerd; only ours (their -address is our socket).
for pid in $(pgrep -f "containerd-shim.*-address $DIR/containerd/containerd.sock" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done

# Mounts under our folder and the ones containerd and kubelet make elsewhere.
for m in $(awk -v d="$DIR" '$2 ~ "^"d || $2 ~ "^/run/containerd/" || $2 ~ "^/run/netns/cni-" {print $2}' /proc/mounts | sort -r); do
  umount -l "$m" 2>/dev/null
done
rm -rf /run/netns/cni-* /run/containerd/s /run/containerd/fifo /run/containerd/runc /var/lib/cni \
  /var/lib/kubelet/device-plugins /usr/libexec/kubernetes /var/log/containers /var/log/pods 2>/dev/null
ip link delete pcoe2e0 2>/dev/null

# iptables chains of kubelet and kube-proxy (both tables families kube-proxy touches).
for ipt in iptables ip6tables; do
  command -v "$ipt" >/dev/null || continue
  for table in filter nat mangle; do
    "$ipt" -t "$table" -S 2>/dev/null | grep -E '^-A .*KUBE-' | sed 's/^-A/-D/' | while read -r rule; do
      eval "$ipt -t $table $rule" 2>/dev/null
    done
    for chain in $("$ipt" -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ {print $2}'); do
      "$ipt" -t "$table" -F "$chain" 2>/dev/null
    done
    for chain in $("$ipt" -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ {print $2}'); do
      "$ipt" -t "$table" -X "$chain" 2>/dev/null
    done
  done
done

# kubelet's /kubepods cgroups in every v1 hierarchy (deepest first).
for h in /sys/fs/cgroup/*/; do
  [[ -d "$h/kubepods" ]] && find "$h/kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null
done

if [[ -e "$DIR/sysctls" ]]; then
  while IFS== read -r k v; do sysctl -qw "$k=$v" 2>/dev/null; done < "$DIR/sysctls"
fi
rm -rf "$DIR"
log "done"
