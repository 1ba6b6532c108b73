#!/usr/bin/env bash
# Fuzzes the YAML loader, the JSON-RPC request path and the HTTP request head: afl-fuzz (afl++, from
# Debian) drives the SharpFuzz-instrumented assemblies (Core, Protocol, the daemon, YamlDotNet) through the targets in
# ProcessMaster.Fuzz. FUZZ_SECONDS per target (default 60; see docs/security.md for a long run),
# FUZZ_TARGETS (default "yaml rpc http"), FUZZ_WORK (default tests/fuzz/work) to run beside another run.
# Any crash fails the run; its inputs are copied to tests/fuzz/findings/<target>/ to be replayed with
#   dotnet tests/fuzz/work/replay/ProcessMaster.Fuzz.dll replay FILE...
# and to become regression tests.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-yaml rpc http}
work=${FUZZ_WORK:-$PWD/work}

if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "fuzz: installing afl++" >&2
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q afl++ >/dev/null
fi

mkdir -p "$work/tools"
if [ ! -x "$work/tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tools" >/dev/null
fi

rm -rf "$work/bin" "$work/replay" "$work/findings"
mkdir -p "$work/findings"
# One build to fuzz (instrumented: it only runs under afl-fuzz) and one to replay findings outside it.
dotnet build ProcessMaster.Fuzz -c Release -o "$work/replay" --nologo -v quiet >/dev/null
cp -r "$work/replay" "$work/bin"
for assembly in ProcessMaster.Core.dll ProcessMaster.Protocol.dll processmaster.dll YamlDotNet.dll; do
  "$work/tools/sharpfuzz" "$work/bin/$assembly" >/dev/null
done

failed=0
for target in $targets; do
  # dotnet itself is not instrumented (SharpFuzz reports coverage); crashes are exceptions, not core dumps.
  AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
    afl-fuzz -i "corpus/$target" -o "$work/findings/$target" -V "$seconds" -t 10000 -m none -- \
    "$(command -v dotnet)" "$work/bin/ProcessMaster.Fuzz.dll" "$target" >"$work/afl-$target.log" 2>&1 || true
  stats=$work/findings/$target/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    echo "fuzz: $target: afl-fuzz did not run; see $work/afl-$target.log" >&2
    tail -20 "$work/afl-$target.log" >&2
    failed=1
    continue
  fi

  execs=$(awk -F': *' '$1 ~ /execs_done/ {print $2}' "$stats")
  paths=$(awk -F': *' '$1 ~ /corpus_count|paths_total/ {print $2; exit}' "$stats")
  crashes=$(find "$work/findings/$target/default/crashes" -name 'id:*' 2>/dev/null | wc -l)
  hangs=$(find "$work/findings/$target/default/hangs" -name 'id:*' 2>/dev/null | wc -l)
  echo "fuzz: $target: ${seconds}s, $execs executions, $paths inputs in the corpus, $crashes crashes, $hangs hangs"
  if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    mkdir -p "findings/$target"
    cp "$work/findings/$target/default/crashes/"id:* "$work/findings/$target/default/hangs/"id:* "findings/$target/" 2>/dev/null || true
    echo "fuzz: $target: inputs kept in tests/fuzz/findings/$target/:" >&2
    dotnet "$work/replay/ProcessMaster.Fuzz.dll" replay "findings/$target/"id:* >&2 || true
    failed=1
  fi
done
exit $failed
