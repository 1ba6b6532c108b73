#!/usr/bin/env bash
# Fails when a test of this run (PMTEST_RUN, exported by test.sh) left a cgroup behind on any hierarchy,
# v2 or v1: every test tears down what it created. Names what it found, then removes it.
set -uo pipefail
run=${PMTEST_RUN:?PMTEST_RUN names the test run}
left=$(awk '$3 == "cgroup2" || $3 == "cgroup" { print $2 }' /proc/self/mounts | while read -r mount; do
  find "$mount" -maxdepth 6 -type d -name "pmtest-$run-*" -prune 2>/dev/null
done)
[ -z "$left" ] && exit 0
echo "no-cgroups-left: the tests left these cgroups behind:" >&2
sed 's/^/  /' <<<"$left" >&2
"$(dirname "$0")/cleanup-stale-cgroups.sh" "pmtest-$run-*"
exit 1
