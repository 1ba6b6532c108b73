#!/usr/bin/env bash
# Start order at scale: N services (default 1000) in a LEVELS-deep dependency tree (default 10; each
# service of a level depends on one of the level above with condition: healthy, and every service has a
# tcp readiness probe against a port that always answers), against the same N services without
# dependencies or probes, in the same run. Each: time from daemon start until every service is RUNNING
# (and, for the tree, healthy), from the status JSON. Target (issue 17): the tree within 1.5x.
# Usage: bench/deps.sh   env: N (1000), LEVELS (10)
source "$(dirname "$0")/lib.sh"
N=${N:-1000}
LEVELS=${LEVELS:-10}
ulimit -n 65536 2>/dev/null || true
per_level=$(( N / LEVELS ))

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(1024)
while True: s.accept()[0].close()" &
listener=$!
trap 'kill $listener 2>/dev/null; cleanup' EXIT

# all_up STATE_FILTER: the count of services whose status matches, from the JSON
count() {
  pmctl status --format json 2>/dev/null | python3 -c "
import json, sys
services = json.load(sys.stdin)['services']
print(sum(1 for s in services if s['state'] == 'RUNNING' and s.get('health') in (None, 'healthy')))"
}

run() { # run tree|flat: milliseconds from daemon start until all N are up
  local shape=$1 dir=$WORK/$1
  mkdir -p "$dir/services" "$dir/w"
  for i in $(seq 0 $(( N - 1 ))); do
    level=$(( i / per_level ))
    {
      printf 'process:\n  working_directory: %s\n  start_command: ["/bin/sleep", "100000"]\n' "$dir/w"
      if [ "$shape" = tree ]; then
        printf 'readiness_probe:\n  tcp: {port: %d}\n  period: 5s\n' "$port"
        [ "$level" -gt 0 ] && printf 'depends_on:\n  s%d: {condition: healthy}\n' $(( (level - 1) * per_level + i % per_level ))
      fi
    } > "$dir/services/s$i.yaml"
  done
  pm_config "$dir/services"
  local t; t=$(now_ns)
  pm_start
  until [ "$(count)" -ge "$N" ]; do sleep 0.1; done
  echo $(( ($(now_ns) - t) / 1000000 ))
  pm_stop
  "$ROOT/tests/cleanup-stale-cgroups.sh" "$PM_CGROUP" >/dev/null 2>&1 || true
}

flat=$(run flat)
tree=$(run tree)
ratio=$(awk -v a="$tree" -v b="$flat" 'BEGIN { printf "%.2f", a / b }')
echo "services=$N levels=$LEVELS flat_ms=$flat tree_ms=$tree ratio=$ratio (target <= 1.5)"
