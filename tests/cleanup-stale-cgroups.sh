#!/usr/bin/env bash
# Removes cgroups that an interrupted test run left behind. Test runs name their master cgroups
# pmtest-<run>-... where <run> is the pid of the run (test.sh, or the test host); groups of a run
# whose process is still alive are left alone, so two runs on one machine never disturb each other.
# Nothing but pmtest-* is touched. With an argument, only the groups of that name (one test's),
# whoever's. Processes inside are killed first (cgroup.kill on v2, SIGKILL of the listed pids on v1),
# then the groups are removed deepest first. Loop devices of runs that are gone are detached too.
set -uo pipefail
pattern=${1:-pmtest-*}
case $pattern in pmtest-*) ;; *) echo "cleanup-stale-cgroups: only pmtest-* groups are removed" >&2; exit 2 ;; esac

remove_tree() {
  local top=$1
  [ -f "$top/cgroup.kill" ] && echo 1 > "$top/cgroup.kill" 2>/dev/null
  # v1 hierarchies have no cgroup.kill: kill every listed pid.
  find "$top" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    find "$top" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$top" ] || return 0
    sleep 0.2
  done
  echo "cleanup-stale-cgroups: could not remove $top" >&2
}

# Every cgroup mount (v2 and each v1 hierarchy); test groups sit at most a few levels down.
awk '$3 == "cgroup2" || $3 == "cgroup" { print $2 }' /proc/self/mounts | while read -r mount; do
  find "$mount" -maxdepth 6 -type d -name "$pattern" -prune 2>/dev/null | while read -r dir; do
    run=${dir##*/pmtest-}
    run=${run%%-*}
    if [ $# -eq 0 ] && [[ $run =~ ^[0-9]+$ ]] && kill -0 "$run" 2>/dev/null; then
      continue # a run still in progress
    fi
    remove_tree "$dir"
  done
done
# Loop devices the I/O limit tests attach over <dir>/pmtest-<run>-disk.img.
if [ $# -eq 0 ] && command -v losetup >/dev/null; then
  losetup -n -l -O NAME,BACK-FILE 2>/dev/null | while read -r device file _; do
    case $file in */pmtest-*-disk.img*) ;; *) continue ;; esac
    run=${file##*/pmtest-}
    run=${run%%-*}
    kill -0 "$run" 2>/dev/null || losetup -d "$device"
  done
fi
exit 0
