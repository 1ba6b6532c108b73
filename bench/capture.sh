#!/usr/bin/env bash
# Log capture throughput: one service writing as fast as it can (cat of a file to stdout), captured by
# processmaster into its log file, against cat writing the same bytes straight into a file.
# Usage: bench/capture.sh [MiB]   (default 512). Prints one result line per measurement and the ratio.
source "$(dirname "$0")/lib.sh"
MIB=${1:-512}
head -c "$((MIB * 1024 * 1024))" /dev/urandom | base64 -w 76 > "$WORK/data"   # text with newlines
BYTES=$(stat -c %s "$WORK/data")
cat "$WORK/data" > /dev/null  # warm the page cache

best_cat=999999
for _ in 1 2 3; do
  rm -f "$WORK/cat.out"; sync
  t=$(now_ns); cat "$WORK/data" > "$WORK/cat.out"; ms=$(ms_since "$t")
  [ "$ms" -lt "$best_cat" ] && best_cat=$ms
done

mkdir -p "$WORK/services" "$WORK/w"
cat > "$WORK/services/flood.yaml" <<YAML
process:
  working_directory: $WORK/w
  start_command: ["/bin/cat", "$WORK/data"]
logs:
  rotation_size: 100g
restart_policy:
  policy: never
global:
  enabled: false
YAML
pm_config "$WORK/services"
pm_start
best_pm=999999
for _ in 1 2 3; do
  rm -f "$WORK/w/logs/stdout.log"; sync
  # Wait for the run's end from the event stream (no polling that would compete for the CPU).
  coproc EVENTS { pmctl events flood -f -n 0; }
  sleep 0.2
  t=$(now_ns)
  pmctl start flood --force >/dev/null
  while read -r line <&"${EVENTS[0]}"; do case "$line" in *"-> STOPPED"*) break ;; esac; done
  while [ "$(stat -c %s "$WORK/w/logs/stdout.log")" -lt "$BYTES" ]; do sleep 0.001; done
  ms=$(ms_since "$t")
  kill "$EVENTS_PID" 2>/dev/null; wait "$EVENTS_PID" 2>/dev/null || true
  [ "$ms" -lt "$best_pm" ] && best_pm=$ms
  cmp -s "$WORK/data" "$WORK/w/logs/stdout.log" || { echo "captured bytes differ from the input" >&2; exit 1; }
done
pm_stop

mbps() { awk -v b="$BYTES" -v ms="$1" 'BEGIN { printf "%.0f", b / 1048576 / (ms / 1000) }'; }
echo "capture_bytes=$BYTES"
echo "cat_to_file_ms=$best_cat cat_to_file_MiBps=$(mbps "$best_cat")"
echo "processmaster_capture_ms=$best_pm processmaster_capture_MiBps=$(mbps "$best_pm")"
awk -v c="$best_cat" -v p="$best_pm" 'BEGIN { printf "capture_speed_ratio=%.2f (processmaster / cat; target >= 0.50)\n", c / p }'
