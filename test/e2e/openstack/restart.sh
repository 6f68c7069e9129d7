#!/bin/bash
# Restart one service of the lab setup.sh started, the way an operator's restart hits a real
# cloud: TERM to its process group, then the same command line again (read from /proc before
# the stop), with the pid files setup.sh and teardown.sh use. For make chaos-openstack.
#
#   ./restart.sh nova-api        # also: nova-conductor neutron-server keystone rabbitmq ...
#
# Keystone runs under uwsgi in this lab (pluscloud open runs it under apache); the restart is
# the same for its clients: connections refused or reset until it is back.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
STATE=/var/lib/oslab RUN=/var/lib/oslab/run LOGS=/var/log/oslab
name=${1:?usage: restart.sh SERVICE}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
pidf=$RUN/$name.pid
[ -f "$pidf" ] || { echo "$name: not started by setup.sh (no $pidf)" >&2; exit 1; }
pid=$(cat "$pidf")
kill -0 "$pid" 2>/dev/null || { echo "$name: pid $pid not running" >&2; exit 1; }
mapfile -d '' cmd < /proc/$pid/cmdline
[ ${#cmd[@]} -gt 0 ] || { echo "$name: no command line for pid $pid" >&2; exit 1; }
kill -TERM -- "-$pid" 2>/dev/null || true
for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
kill -KILL -- "-$pid" 2>/dev/null || true
# rabbitmq: wait until its node is gone, or the new one refuses to start (node name in use)
if [ "$name" = rabbitmq ]; then
  for _ in $(seq 40); do pgrep -u rabbitmq -f beam >/dev/null || break; sleep 0.25; done
fi
setsid "${cmd[@]}" >>"$LOGS/$name.log" 2>&1 < /dev/null &
echo $! > "$pidf"
cut -d' ' -f22 /proc/$!/stat > "$RUN/$name.start"
echo "restarted $name (pid $pid -> $!)"
