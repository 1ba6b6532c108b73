#!/usr/bin/env bash
# Builds processmaster and runs the whole test suite: unit tests (no root needed) and integration
# tests that drive the real binaries with real cgroups and processes (as root).
set -euo pipefail
cd "$(dirname "$0")"

# Test cgroups are named pmtest-<run>-...; an interrupted earlier run may have left some behind: remove
# those whose run is over (never those of a run still in progress).
export PMTEST_RUN=$$
tests/cleanup-stale-cgroups.sh

./build.sh

# The browser tests need Chromium (from the distribution; Playwright's browser download is not used).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "test.sh: installing chromium for the browser tests" >&2
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
# Real programs of the tests: redis (sd_notify readiness), python3 (small servers that hang), openssl (a
# self-signed certificate for an https probe), PostgreSQL (run directly, as packaged) and Prometheus with
# promtool (scrapes of /metrics).
need=()
[ -x /usr/bin/redis-server ] || need+=(redis-server)
[ -x /usr/bin/python3 ] || need+=(python3) # the distribution's: tests run it as nobody, who cannot reach a per-user install
command -v openssl >/dev/null 2>&1 || need+=(openssl)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
command -v promtool >/dev/null && command -v prometheus >/dev/null || need+=(prometheus)
if ((${#need[@]})) && command -v apt-get >/dev/null 2>&1; then
  echo "test.sh: installing ${need[*]} for the tests" >&2
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
dotnet test ProcessMaster.slnx --nologo -p:TreatWarningsAsErrors=true --logger "console;verbosity=minimal" --blame-hang-timeout 10m --blame-hang-dump-type none -- RunConfiguration.TestSessionTimeout=1500000
tests/no-cgroups-left.sh

# Limits on a real pure cgroup v2 kernel (this machine may be hybrid): a Debian kernel under QEMU; then
# the same kernel with RHEL 8's legacy v1 layout (no cgroup2 until the daemon mounts its own).
tests/purev2/run.sh
SCENARIO=legacy tests/purev2/run.sh

# The .deb and install.sh on temporary roots: install, run, remove without leftovers.
tests/packaging/run.sh

# Under a stand-in for systemd: the output pipes kept in its fd store outlive the daemon and the pipe holder.
tests/systemd/run.py

# An upgrade with two real builds: the running daemon re-executes into the new one, services untouched.
tests/upgrade/run.sh

# The Ansible collection (module and role) against a real daemon: idempotent, check mode changes nothing.
tests/ansible/run.sh

# Fuzzing: the YAML loader, the JSON-RPC request path and the HTTP request head under afl-fuzz, a minute each
# (docs/security.md has a longer run). A crash fails the suite and keeps its input.
tests/fuzz/run.sh

# A short memory soak (bench/soak.sh runs an hour by default): crash loop, cron every second, log flood.
# Each quarter of 90 s spans more than one GC cycle of the daemon under this load (about 17 s).
SOAK_SECONDS=90 SAMPLE_SECONDS=1 bench/soak.sh

# Every test removed the cgroups it created, on the v2 hierarchy and on each v1 one.
tests/no-cgroups-left.sh
