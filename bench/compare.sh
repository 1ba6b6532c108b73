#!/usr/bin/env bash
# processmaster against supervisord (from the distribution), in the same run on the same machine,
# for N services of `sleep`: memory (RSS, PSS) once all run, time from start to all running, status
# latency (median), stop all, start all, start of one service, SIGTERM shutdown, idle CPU over
# IDLE_SECONDS, threads and descriptors. Writes a Markdown report to bench/results/compare-<date>.md.
# Usage: bench/compare.sh [N...]   (default 1 50 200 1000)   env: IDLE_SECONDS (60), STATUS_RUNS (20)
source "$(dirname "$0")/lib.sh"
ensure_supervisor
IDLE_SECONDS=${IDLE_SECONDS:-60}
STATUS_RUNS=${STATUS_RUNS:-20}
NS=("${@:-1}"); [ $# -gt 0 ] || NS=(1 50 200 1000)
ulimit -n 65536 2>/dev/null || true
declare -A R  # results: R[tool,N,metric]

wait_until() { # wait_until SECONDS COMMAND...: poll (for the supervisord side, which has no event stream)
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.05; done
}

run_processmaster() {
  local n=$1 web=${2:-} dir=$WORK/pm-$1${2:+-web}
  mkdir -p "$dir/services"
  for i in $(seq 1 "$n"); do
    mkdir -p "$dir/w/s$i"
    printf 'process:\n  working_directory: %s\n  start_command: ["/bin/sleep", "100000"]\n' "$dir/w/s$i" > "$dir/services/s$i.yaml"
  done
  local extra=""
  [ -n "$web" ] && extra=$(printf 'web_console:\n  enabled: true\n  bind: 127.0.0.1\n  port: 19%03d\n' "$((RANDOM % 900))")
  pm_config "$dir/services" "$extra"
  local t; t=$(now_ns); pm_start; local tool=pm$web
  R[$tool,$n,boot]=$(( ($(now_ns) - t) / 1000000 ))
  sleep 2
  R[$tool,$n,pss]=$(pss_kb "$PM_PID"); R[$tool,$n,rss]=$(rss_kb "$PM_PID")
  R[$tool,$n,threads]=$(threads "$PM_PID"); R[$tool,$n,fds]=$(fds "$PM_PID")
  if [ -z "$web" ]; then
    R[$tool,$n,status]=$(median_ms "$STATUS_RUNS" pmctl status)
    local c0; c0=$(cpu_ticks "$PM_PID"); sleep "$IDLE_SECONDS"; R[$tool,$n,idle]=$(( $(cpu_ticks "$PM_PID") - c0 ))
    R[$tool,$n,pss_after]=$(pss_kb "$PM_PID")
    R[$tool,$n,stopall]=$(time_ms pmctl stop all)
    R[$tool,$n,startall]=$(time_ms pmctl start all)
    pmctl stop s1 >/dev/null
    R[$tool,$n,spawn]=$(median_ms 10 sh -c "'$DIST/pmctl' -s '$PM_SOCK' start s1 && '$DIST/pmctl' -s '$PM_SOCK' stop s1 >/dev/null")
    pmctl start s1 >/dev/null
  fi
  t=$(now_ns); kill -TERM "$PM_PID"; wait "$PM_PID" 2>/dev/null || true
  R[$tool,$n,shutdown]=$(( ($(now_ns) - t) / 1000000 )); PM_PID=
}

run_supervisord() {
  local n=$1 dir=$WORK/sv-$1
  mkdir -p "$dir/logs"
  {
    printf '[unix_http_server]\nfile=%s/sv.sock\n[supervisord]\nlogfile=%s/supervisord.log\npidfile=%s/sv.pid\n' "$dir" "$dir" "$dir"
    printf 'childlogdir=%s/logs\nnodaemon=true\nminfds=%d\n' "$dir" $(( n * 8 + 1024 ))
    printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n'
    printf '[supervisorctl]\nserverurl=unix://%s/sv.sock\n' "$dir"
    for i in $(seq 1 "$n"); do printf '[program:s%d]\ncommand=/bin/sleep 100000\n' "$i"; done
  } > "$dir/supervisord.conf"
  local ctl=(supervisorctl -c "$dir/supervisord.conf")
  all_running() { [ "$("${ctl[@]}" status 2>/dev/null | grep -c RUNNING)" -eq "$n" ]; }
  local t; t=$(now_ns)
  supervisord -c "$dir/supervisord.conf" >/dev/null 2>&1 &
  local pid=$!
  wait_until 600 all_running
  R[sv,$n,boot]=$(( ($(now_ns) - t) / 1000000 ))
  sleep 2
  R[sv,$n,pss]=$(pss_kb "$pid"); R[sv,$n,rss]=$(rss_kb "$pid"); R[sv,$n,threads]=$(threads "$pid"); R[sv,$n,fds]=$(fds "$pid")
  R[sv,$n,status]=$(median_ms "$STATUS_RUNS" "${ctl[@]}" status)
  local c0; c0=$(cpu_ticks "$pid"); sleep "$IDLE_SECONDS"; R[sv,$n,idle]=$(( $(cpu_ticks "$pid") - c0 ))
  R[sv,$n,pss_after]=$(pss_kb "$pid")
  R[sv,$n,stopall]=$(time_ms "${ctl[@]}" stop all)
  R[sv,$n,startall]=$(time_ms "${ctl[@]}" start all)
  "${ctl[@]}" stop s1 >/dev/null
  R[sv,$n,spawn]=$(median_ms 10 sh -c "supervisorctl -c '$dir/supervisord.conf' start s1 && supervisorctl -c '$dir/supervisord.conf' stop s1 >/dev/null")
  "${ctl[@]}" start s1 >/dev/null
  t=$(now_ns); kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  R[sv,$n,shutdown]=$(( ($(now_ns) - t) / 1000000 ))
}

for n in "${NS[@]}"; do
  echo "bench: N=$n processmaster" >&2; run_processmaster "$n"
  [ "$n" = 50 ] && { echo "bench: N=50 processmaster with the web console" >&2; run_processmaster 50 -web; }
  echo "bench: N=$n supervisord" >&2; run_supervisord "$n"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f", a / b }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
REPORT=$ROOT/bench/results/compare-$(date -u +%Y%m%d-%H%M%S).md
mkdir -p "$ROOT/bench/results"
{
  echo "# processmaster vs supervisord $(supervisord --version) — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r); idle CPU over ${IDLE_SECONDS}s; status median of ${STATUS_RUNS}."
  echo
  echo "| N | metric | processmaster | supervisord | ratio (pm/sv) |"
  echo "|---|---|---|---|---|"
  for n in "${NS[@]}"; do
    for m in pss rss pss_after boot status stopall startall spawn shutdown idle threads fds; do
      pm=${R[pm,$n,$m]}; sv=${R[sv,$n,$m]}
      case $m in
        pss|rss|pss_after) echo "| $n | ${m/_after/ after ${IDLE_SECONDS}s idle} | $(mb "$pm") | $(mb "$sv") | $(ratio "$pm" "$sv") |" ;;
        idle) echo "| $n | idle CPU ticks / ${IDLE_SECONDS}s | $pm | $sv | - |" ;;
        threads|fds) echo "| $n | $m | $pm | $sv | - |" ;;
        *) echo "| $n | $m (ms) | $pm | $sv | $(ratio "$pm" "$sv") |" ;;
      esac
    done
    if [ "$n" = 50 ]; then
      echo "| 50 | pss with web console | $(mb "${R[pm-web,50,pss]}") | $(mb "${R[sv,50,pss]}") | $(ratio "${R[pm-web,50,pss]}" "${R[sv,50,pss]}") |"
    fi
  done
  first=${NS[0]}; last=${NS[${#NS[@]}-1]}
  if [ "$first" != "$last" ]; then
    echo
    echo "Memory per service (PSS, N=$last vs N=$first): processmaster $(awk -v a="${R[pm,$last,pss]}" -v b="${R[pm,$first,pss]}" -v n=$((last - first)) 'BEGIN{printf "%.1f KB", (a-b)/n}'), supervisord $(awk -v a="${R[sv,$last,pss]}" -v b="${R[sv,$first,pss]}" -v n=$((last - first)) 'BEGIN{printf "%.1f KB", (a-b)/n}')."
  fi
} > "$REPORT"
cat "$REPORT"
echo "bench: report written to $REPORT" >&2
