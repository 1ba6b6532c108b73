#!/usr/bin/env bash
# Re-exec pause (pmctl daemon-reexec) with N services running: the gap a client calling server_version
# in a loop sees between the last reply of the old image and the first reply of the new one, and the
# pipe holder's PSS. Usage: bench/reexec.sh [N...]   (default: 200 1000). Three swaps each; the worst is reported.
source "$(dirname "$0")/lib.sh"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200 1000)
for n in "${sizes[@]}"; do
  rm -rf "$WORK/services" && mkdir -p "$WORK/services" "$WORK/w"
  for i in $(seq 1 "$n"); do
    printf 'process:\n  working_directory: %s/w\n  start_command: ["/bin/sleep", "100000"]\n' "$WORK" > "$WORK/services/s$i.yaml"
  done
  pm_config "$WORK/services"
  pm_start
  worst=0
  for _ in 1 2 3; do
    python3 "$ROOT/bench/reexec_pause.py" "$PM_SOCK" "$DIST/pmctl" 20 > "$WORK/pause.out" &
    poller=$!
    sleep 0.5
    pmctl daemon-reexec > /dev/null
    wait "$poller"
    ms=$(sed -n 's/^pause_ms=\([0-9]*\).*/\1/p' "$WORK/pause.out")
    grep -q '^failures=0' "$WORK/pause.out" || { echo "a client call failed during the swap: $(cat "$WORK/pause.out")" >&2; exit 1; }
    [ -n "$ms" ] || { echo "no new generation answered: $(cat "$WORK/pause.out")" >&2; exit 1; }
    [ "$ms" -gt "$worst" ] && worst=$ms
  done
  holder=$(cat "/sys/fs/cgroup/unified/$PM_CGROUP/pipe_holder/cgroup.procs" 2>/dev/null || cat "/sys/fs/cgroup/$PM_CGROUP/pipe_holder/cgroup.procs")
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$holder/smaps_rollup")
  echo "services=$n reexec_pause_worst_ms=$worst holder_pss_kib=$pss"
  pm_stop
done
