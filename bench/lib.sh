# Shared helpers for the benchmarks: a scratch directory, a processmaster daemon on its own config,
# and cleanup of everything started. Sourced by the bench scripts.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIST=$ROOT/dist
[ -x "$DIST/processmaster" ] || { echo "run ./build.sh first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "benchmarks run as root (cgroups)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/pmbench-XXXXXX)
chmod 755 "$WORK"
PM_CGROUP=pmtest-bench-$$
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
  "$ROOT/tests/cleanup-stale-cgroups.sh" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
