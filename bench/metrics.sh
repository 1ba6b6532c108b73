#!/usr/bin/env bash
# /metrics at scale: N services (default 1000, all running sleep) with metrics on. Per scrape: the
# time a client waits (curl, median and worst of SCRAPES), the daemon's own CPU time (utime+stime
# over all scrapes / SCRAPES), the body size and the managed bytes allocated per scrape; beside it the
# same for `pmctl status --format json`.
# Then the daemon's PSS with metrics off and on (50 services, after 20 scrapes), in the same run.
# Usage: bench/metrics.sh   env: N (1000), SCRAPES (20)
source "$(dirname "$0")/lib.sh"
N=${N:-1000}
SCRAPES=${SCRAPES:-20}
ulimit -n 65536 2>/dev/null || true
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ticks=$(getconf CLK_TCK)

services() { # services COUNT DIR
  mkdir -p "$2/w"
  for i in $(seq 1 "$1"); do printf 'process:\n  working_directory: %s\n  start_command: ["/bin/sleep", "100000"]\n' "$2/w" > "$2/s$i.yaml"; done
}
cpu_ms() { awk -v t="$ticks" '{ print ($14 + $15) * 1000 / t }' "/proc/$PM_PID/stat"; }
running() { pmctl status --format json | python3 -c "import json,sys; print(sum(s['state'] == 'RUNNING' for s in json.load(sys.stdin)['services']))"; }
# measure NAME COMMAND...: runs it SCRAPES times, prints "NAME: client median/worst ms, daemon CPU ms per call, bytes"
measure() {
  local name=$1; shift
  local before; before=$(cpu_ms)
  local times=()
  for _ in $(seq "$SCRAPES"); do
    times+=("$("$@" 2>/dev/null | tail -n 1)")
  done
  local after; after=$(cpu_ms)
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" -v n="$SCRAPES" -v cpu="$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" \
    '{ t[NR] = $1; b = $2 } END { printf "%-28s client median %6.1f ms, worst %6.1f ms; daemon CPU %6.1f ms per call; %d bytes\n", name, t[int((n + 1) / 2)] * 1000, t[n] * 1000, cpu / n, b }'
}
scrape() { curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$port/metrics"; }
status() { local s bytes; s=$(now_ns); bytes=$(pmctl status --format json | wc -c); awk -v a="$(now_ns)" -v b="$s" -v n="$bytes" 'BEGIN { print (a - b) / 1e9, n }'; }

echo "== $N services, metrics on"
services "$N" "$WORK/many"
pm_config "$WORK/many" "metrics: {enabled: true, port: $port}"
pm_start
for _ in $(seq 600); do [ "$(running)" -eq "$N" ] && break; sleep 0.5; done
sleep 2
measure "GET /metrics" scrape
# Managed allocation per scrape: the daemon's own allocation counter, read by two scrapes SCRAPES apart.
allocated() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^processmaster_daemon_allocated_bytes_total / { print $2 }'; }
a1=$(allocated); for _ in $(seq "$SCRAPES"); do scrape >/dev/null; done; a2=$(allocated)
awk -v a="$a1" -v b="$a2" -v n="$SCRAPES" 'BEGIN { printf "%-28s %.0f bytes allocated per scrape\n", "GET /metrics", (b - a) / (n + 1) }'
measure "pmctl status --format json" status
pm_stop
"$ROOT/tests/cleanup-stale-cgroups.sh" "$PM_CGROUP" >/dev/null 2>&1 || true

echo "== 50 services: PSS with metrics off and on (after 20 calls and 5 s idle)"
services 50 "$WORK/few"
for mode in off on; do
  if [ $mode = on ]; then pm_config "$WORK/few" "metrics: {enabled: true, port: $port}"; else pm_config "$WORK/few"; fi
  pm_start
  for _ in $(seq 120); do [ "$(running)" -eq 50 ] && break; sleep 0.5; done
  for _ in $(seq 20); do
    if [ $mode = on ]; then scrape >/dev/null; else pmctl status >/dev/null; fi
  done
  sleep 5
  echo "metrics $mode: PSS $(pss_kb "$PM_PID") KiB, RSS $(rss_kb "$PM_PID") KiB"
  pm_stop
  "$ROOT/tests/cleanup-stale-cgroups.sh" "$PM_CGROUP" >/dev/null 2>&1 || true
done
