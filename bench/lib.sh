# Shared helpers for the benchmarks: a scratch directory, a processmaster daemon on its own config,
# and cleanup of everything started. Sourced by the bench scripts.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIST=${BENCH_DIST:-$ROOT/dist}
[ -x "$DIST/processmaster" ] || { echo "run ./build.sh first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "benchmarks run as root (cgroups)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/pmbench-XXXXXX)
chmod 755 "$WORK"
PM_CGROUP=pmtest-${PMTEST_RUN:-$$}-bench
PM_SOCK=$WORK/pm.sock
PM_PID=

now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }

# pm_config SERVICES_DIR [EXTRA_MASTER_YAML]: writes $WORK/pm.yaml
pm_config() {
  cat > "$WORK/pm.yaml" <<YAML
cgroup:
  name: $PM_CGROUP
unix_socket:
  path: $PM_SOCK
global:
  config_directory: $1
${2:-}
YAML
}

pm_start() {
  (cd "$WORK" && exec "$DIST/processmaster" -c "$WORK/pm.yaml" >"$WORK/daemon.out" 2>&1) &
  PM_PID=$!
  for _ in $(seq 1 600); do
    grep -q '\[boot\] ready:' "$WORK/daemon.out" 2>/dev/null && return 0
    kill -0 "$PM_PID" 2>/dev/null || { cat "$WORK/daemon.out" >&2; return 1; }
    sleep 0.01
  done
  echo "daemon did not become ready" >&2; return 1
}

pmctl() { "$DIST/pmctl" -s "$PM_SOCK" "$@"; }

pm_stop() {
  if [ -n "$PM_PID" ] && kill -0 "$PM_PID" 2>/dev/null; then
    kill -TERM "$PM_PID"; wait "$PM_PID" 2>/dev/null || true
  fi
  PM_PID=
}

cleanup() {
  pm_stop
  "$ROOT/tests/cleanup-stale-cgroups.sh" "$PM_CGROUP" >/dev/null 2>&1 || true  # only this run's groups
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- measurements shared by the comparison scripts --------------------------------------------

# pss_kb PID / rss_kb PID / threads PID / fds PID
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
rss_kb() { awk '/^Rss:/ {print $2}' "/proc/$1/smaps_rollup"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
# cpu_ticks PID: user + system clock ticks used so far
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# median_ms RUNS COMMAND...: median wall time of a command, in milliseconds (3 decimals)
median_ms() {
  local runs=$1; shift
  local times=()
  for _ in $(seq 1 "$runs"); do
    local t; t=$(now_ns); "$@" >/dev/null 2>&1; times+=($(( $(now_ns) - t )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] / 1000000}'
}

# time_ms COMMAND...: wall time of one run, in milliseconds
time_ms() { local t; t=$(now_ns); "$@" >/dev/null 2>&1; echo $(( ($(now_ns) - t) / 1000000 )); }

ensure_supervisor() {
  command -v supervisord >/dev/null 2>&1 && return 0
  echo "bench: installing supervisor from the distribution" >&2
  # Keep the package from starting the system's own supervisord.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q supervisor >/dev/null
  rm -f /usr/sbin/policy-rc.d
}
