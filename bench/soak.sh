#!/usr/bin/env bash
# Memory soak: one daemon runs, for SOAK_SECONDS (default 3600), a service that crashes about ten times
# a second (restart_policy always, 100 ms backoff), a cron job every second, a service flooding its
# stdout (rotated at 1 MB with gzip), and a quiet service, while pmctl asks for status and logs every
# few seconds. The daemon's RSS and PSS are sampled every SAMPLE_SECONDS into bench/results/soak-*.csv.
# Passes (exit 0) when memory is flat: the floor of the RSS (its lowest sample, right after a garbage
# collection) in the last quarter of the run is within max(2 MiB, 10 %) of the floor in the second
# quarter (the first quarter is warm-up). Floors, not medians: the GC's sawtooth (a few MB, a period
# of some seconds) moves a median with its phase, while a leak lifts the floor.
# Usage: bench/soak.sh   env: SOAK_SECONDS (3600), SAMPLE_SECONDS (10)
source "$(dirname "$0")/lib.sh"
SOAK_SECONDS=${SOAK_SECONDS:-3600}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-10}

services=$WORK/services
mkdir -p "$services" "$WORK/w/crasher" "$WORK/w/ticker" "$WORK/w/flood" "$WORK/w/quiet"
cat > "$services/crasher.yaml" <<YAML
process:
  working_directory: $WORK/w/crasher
  start_command: ["/bin/sh", "-c", "echo starting; echo failing >&2; exit 3"]
restart_policy:
  policy: always
  restart_backoff_ms: 100
  tolerance: {max_restarts: 500, duration: 2s}
logs: {rotation_size: 100k, rotation_backups: 2}
YAML
cat > "$services/ticker.yaml" <<YAML
process:
  working_directory: $WORK/w/ticker
  start_command: ["/bin/sh", "-c", "date +%s.%N >> runs.txt"]
  schedule: "* * * * * *"
logs: {rotation_size: 100k, rotation_backups: 2}
YAML
cat > "$services/flood.yaml" <<YAML
process:
  working_directory: $WORK/w/flood
  start_command: ["/bin/sh", "-c", "while :; do seq 1 20000; sleep 0.1; done"]
logs: {rotation_size: 1m, rotation_backups: 3, compression_enabled: true}
YAML
cat > "$services/quiet.yaml" <<YAML
process:
  working_directory: $WORK/w/quiet
  start_command: ["/bin/sleep", "1000000"]
YAML
pm_config "$services"
pm_start

mkdir -p "$ROOT/bench/results"
CSV=$ROOT/bench/results/soak-$(date -u +%Y%m%d-%H%M%S).csv
echo "seconds,rss_kb,pss_kb,threads,fds,crasher_restarts,ticker_runs" > "$CSV"
start=$(date +%s)
while :; do
  elapsed=$(( $(date +%s) - start ))
  [ "$elapsed" -lt "$SOAK_SECONDS" ] || break
  pmctl status >/dev/null
  pmctl logs flood -n 20 >/dev/null
  restarts=$(pmctl status crasher --format json | sed -n "s/.*\"restarts\": *\([0-9]*\).*/\1/p" | sed -n 1p)
  runs=0; [ -f "$WORK/w/ticker/runs.txt" ] && runs=$(wc -l < "$WORK/w/ticker/runs.txt")
  echo "$elapsed,$(rss_kb "$PM_PID"),$(pss_kb "$PM_PID"),$(threads "$PM_PID"),$(fds "$PM_PID"),$restarts,$runs" >> "$CSV"
  sleep "$SAMPLE_SECONDS"
done

crashes=$(tail -1 "$CSV" | cut -d, -f6)
ticks=$(tail -1 "$CSV" | cut -d, -f7)
rotated=$(ls "$WORK/w/flood/logs" | grep -c '\.gz$' || true)
kill -0 "$PM_PID" || { echo "soak: the daemon died" >&2; exit 1; }
verdict=$(awk -F, 'NR > 1 { rss[++n] = $2 }
  function floor_of(from, to,   i, m) { m = rss[from]; for (i = from; i <= to; i++) if (rss[i] < m) m = rss[i]; return m }
  END { q = int(n / 4); if (q < 1) { print "FAIL too few samples"; exit }
    warm = floor_of(q + 1, 2 * q); last = floor_of(n - q + 1, n); allowed = warm * 0.10; if (allowed < 2048) allowed = 2048
    printf "%s second-quarter floor %.1f MB, last-quarter floor %.1f MB, growth %+.1f MB (allowed %.1f MB)\n",
      (last - warm <= allowed ? "PASS" : "FAIL"), warm / 1024, last / 1024, (last - warm) / 1024, allowed / 1024 }' "$CSV")
echo "soak: ${SOAK_SECONDS}s, $(($(wc -l < "$CSV") - 1)) samples; crasher restarted $crashes times, the cron job ran $ticks times, $rotated gzip'd flood logs kept"
echo "soak: $verdict"
echo "soak: samples in $CSV"
[ "${verdict%% *}" = PASS ] && [ "${crashes:-0}" -gt 0 ] && [ "${ticks:-0}" -gt 0 ]
