#!/usr/bin/env bash
# Builds processmaster_<version>_amd64.deb from the binaries in dist/ (run ./build.sh first) into
# OUT_DIR (default dist/) and prints its path. VERSION overrides the version.
# Layout: /usr/bin/{processmaster,pmctl,processmaster-exec}, /etc/processmaster/{config.yaml,config.d/},
# /lib/systemd/system/processmaster.service, /var/lib/processmaster (the daemon's working directory),
# bash completion for pmctl, documentation and examples under /usr/share/doc/processmaster.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/packaging/layout.sh"
[ -x "$ROOT/dist/processmaster" ] || { echo "build-deb.sh: run ./build.sh first" >&2; exit 1; }
VERSION=${VERSION:-0.1.0+$(date -u +%Y%m%d%H%M)}
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

stage "$STAGE"
install -d -m 755 "$STAGE/DEBIAN"
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: processmaster
Version: $VERSION
Architecture: amd64
Maintainer: processmaster maintainers <maintainers@processmaster.invalid>
Depends: libc6 (>= 2.28)
Recommends: libssl3 | libssl1.1
Section: admin
Priority: optional
Installed-Size: $(du -sk "$STAGE" | cut -f1)
Description: cgroup v2 process supervisor with a CLI and a web console
 processmaster keeps services running, each in its own cgroup (CPU, memory and swap
 limits), stops them deterministically, runs cron jobs, one-time provisioning and admin
 actions, and captures and rotates their logs. Driven by pmctl and a web console.
CONTROL
echo /etc/processmaster/config.yaml > "$STAGE/DEBIAN/conffiles"
install -m 755 "$ROOT/packaging/debian/postinst" "$ROOT/packaging/debian/prerm" "$ROOT/packaging/debian/postrm" "$STAGE/DEBIAN/"
OUT=${OUT_DIR:-$ROOT/dist}/processmaster_${VERSION}_amd64.deb
dpkg-deb --root-owner-group --build "$STAGE" "$OUT" >/dev/null
echo "$OUT"
