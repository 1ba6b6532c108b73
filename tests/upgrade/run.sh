#!/usr/bin/env bash
# An upgrade under running services, end to end with two real builds:
#  build A is dist/ (copied to a temporary install directory, the daemon runs from there); build B is
#  published from the same sources with another build id. B's binaries replace A's on disk the way
#  dpkg and install(1) do (a new file renamed over the old), then the daemon gets SIGUSR2: B answers
#  server-version, A's pmctl is refused as not co-built, every service kept its pid and restart count,
#  and the daemon kept its pid. Needs dist/ (./build.sh). Exit 0 when every check passes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/pmupgrade.XXXXXX)
CGROUP=pmtest-${PMTEST_RUN:-$$}-upg$RANDOM
DAEMON_PID=
source "$ROOT/tests/checks.sh"

cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  "$ROOT/tests/cleanup-stale-cgroups.sh" "$CGROUP" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT


echo "upgrade: publishing a second build (B) of the same sources"
build_id=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
build_time=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for project in Daemon Cli Exec; do
  dotnet publish "$ROOT/src/ProcessMaster.$project" -c Release -r linux-x64 -o "$WORK/b" --nologo -v quiet \
    -p:PmBuildTime="$build_time" -p:PmBuildHost=upgrade-test -p:PmBuildId="$build_id" -p:DebugType=none >/dev/null
done

install -d "$WORK/bin" "$WORK/run/config.d" "$WORK/run/work"
install -m 755 "$ROOT/dist/processmaster" "$ROOT/dist/pmctl" "$ROOT/dist/processmaster-exec" "$WORK/bin/"
cat > "$WORK/run/config.yaml" <<YAML
cgroup:
  name: $CGROUP
unix_socket:
  path: $WORK/run/pm.sock
global:
  config_directory: ./config.d
YAML
for name in alpha beta gamma; do
  cat > "$WORK/run/config.d/$name.yaml" <<YAML
process:
  working_directory: $WORK/run/work
  start_command: ["/bin/sh", "-c", "while :; do echo $name; sleep 0.05; done"]
YAML
done

old_pmctl() { "$ROOT/dist/pmctl" -s "$WORK/run/pm.sock" "$@"; }
new_pmctl() { "$WORK/b/pmctl" -s "$WORK/run/pm.sock" "$@"; }
pids() { # pids PMCTL: name:main_pid:restarts of every service
  "$@" status --format json | python3 -c 'import json,sys; print(" ".join("%s:%s:%s" % (s["name"], s["main_pid"], s["restarts"]) for s in json.load(sys.stdin)["services"]))'
}

(cd "$WORK/run" && exec "$WORK/bin/processmaster" -c "$WORK/run/config.yaml" >"$WORK/daemon.log" 2>&1) &
DAEMON_PID=$!
for _ in $(seq 1 300); do old_pmctl status 2>/dev/null | grep -q "gamma *RUNNING" && break; sleep 0.1; done
before=$(pids old_pmctl)
echo "upgrade: build A runs: $before"

# dpkg's way: the new file next to the old, renamed over it; the running image's file is now deleted.
for binary in processmaster pmctl processmaster-exec; do
  cp "$WORK/b/$binary" "$WORK/bin/.$binary.new" && mv -f "$WORK/bin/.$binary.new" "$WORK/bin/$binary"
done
kill -USR2 "$DAEMON_PID"
for _ in $(seq 1 600); do new_pmctl server-version >/dev/null 2>&1 && break; sleep 0.1; done

check "build B answers server-version after SIGUSR2" sh -c "'$WORK/b/pmctl' -s '$WORK/run/pm.sock' server-version | grep -q $build_id"
check "build A's pmctl is refused as not co-built" sh -c "! '$ROOT/dist/pmctl' -s '$WORK/run/pm.sock' status 2>&1 | grep -q RUNNING && '$ROOT/dist/pmctl' -s '$WORK/run/pm.sock' status 2>&1 | grep -q 'not co-built'"
check "the daemon kept its pid" kill -0 "$DAEMON_PID"
check "the daemon runs build B's image" sh -c "readlink /proc/$DAEMON_PID/exe | grep -qv deleted"
after=$(pids new_pmctl)
echo "upgrade: build B runs: $after"
check "every service kept its pid and restart count" test "$before" = "$after"
check "the swap is in the events" sh -c "'$WORK/b/pmctl' -s '$WORK/run/pm.sock' events | grep -q 're-executed in place as generation 2'"

if [ "$failures" -ne 0 ]; then
  echo "upgrade: $failures check(s) failed; daemon log:"
  cat "$WORK/daemon.log"
  exit 1
fi
echo "upgrade: all checks passed"
