#!/usr/bin/env bash
# Installs processmaster on hosts without dpkg, in the same layout as the .deb (see layout.sh).
# Idempotent: running it again updates the binaries and keeps an edited config.
#   packaging/install.sh                 install (and, with systemd, enable and start the service)
#   packaging/install.sh --uninstall     remove the binaries, unit and docs; keep /etc and /var/lib
#   packaging/install.sh --purge         remove everything, configuration and state included
# DESTDIR=/some/root installs into another root (and never touches systemd).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/packaging/layout.sh"
DESTDIR=${DESTDIR:-}
MODE=${1:-install}
systemd_here() { [ -z "$DESTDIR" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

case $MODE in
  install)
    [ -x "$ROOT/dist/processmaster" ] || { echo "install.sh: run ./build.sh first" >&2; exit 1; }
    existing_config=
    [ -f "$DESTDIR/etc/processmaster/config.yaml" ] && existing_config=$(mktemp) && cp -p "$DESTDIR/etc/processmaster/config.yaml" "$existing_config"
    stage "$DESTDIR"
    if [ -n "$existing_config" ]; then
      cp -p "$existing_config" "$DESTDIR/etc/processmaster/config.yaml"   # never overwrite an operator's config
      rm -f "$existing_config"
    fi
    if systemd_here; then
      systemctl daemon-reload
      systemctl enable processmaster.service >/dev/null
      /usr/lib/processmaster/upgrade-in-place   # a running daemon re-executes into the new build: services untouched
    fi
    echo "processmaster installed$( [ -n "$DESTDIR" ] && echo " into $DESTDIR")"
    ;;
  --uninstall|--purge)
    if systemd_here; then systemctl disable --now processmaster.service >/dev/null 2>&1 || true; fi
    for path in "${OWNED_FILES[@]}"; do rm -rf "$DESTDIR/$path"; done
    [ "$MODE" = --purge ] && rm -rf "$DESTDIR/etc/processmaster" "$DESTDIR/var/lib/processmaster"
    # Directories the layout created and nothing else uses any more (as dpkg does on removal).
    for path in "${OWNED_FILES[@]}" etc/processmaster/config.d var/lib/processmaster; do
      dir=$(dirname "$path")
      while [ "$dir" != . ]; do
        [ -d "$DESTDIR/$dir" ] && { rmdir "$DESTDIR/$dir" 2>/dev/null || break; }
        dir=$(dirname "$dir")
      done
    done
    if systemd_here; then systemctl daemon-reload; fi
    echo "processmaster removed$( [ "$MODE" = --purge ] && echo ", configuration and state included")"
    ;;
  *) echo "usage: install.sh [--uninstall|--purge]" >&2; exit 2 ;;
esac
