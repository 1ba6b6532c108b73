#!/usr/bin/env bash
# Builds processmaster: publishes the NativeAOT binaries dist/processmaster, dist/pmctl and
# dist/processmaster-exec, all three carrying one build identity (so they are co-built).
# Installs what NativeAOT needs (clang, zlib) on Debian/Ubuntu when it is missing.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
if ((${#need[@]})); then
  if command -v apt-get >/dev/null 2>&1; then
    echo "build.sh: installing ${need[*]}" >&2
    sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "build.sh: please install: ${need[*]}" >&2
    exit 1
  fi
fi
command -v dotnet >/dev/null 2>&1 || { echo "build.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }

build_time=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_host=${HOSTNAME:-$(hostname 2>/dev/null || echo unknown)}
build_id=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
identity=(-p:PmBuildTime="$build_time" -p:PmBuildHost="$build_host" -p:PmBuildId="$build_id")

mkdir -p dist
for project in Daemon Cli Exec; do
  dotnet publish "src/ProcessMaster.$project" -c Release -r linux-x64 -o dist --nologo -v quiet \
    "${identity[@]}" -p:DebugType=none
done
rm -f dist/*.dbg dist/*.pdb dist/*.json dist/*.xml
echo "build.sh: built $(ls dist | tr '\n' ' ')(build $build_id)"
