#!/usr/bin/env bash
# Packaging, end to end, on temporary roots (never the host's /usr or /etc):
#  1. build-deb.sh builds the .deb; dpkg installs it into a fresh dpkg database under a temporary root;
#     the installed binaries report the build of dist/; the installed daemon runs a service from
#     the installed config.d, the installed pmctl sees it and the installed bash completion offers
#     its name; dpkg -r keeps only the conffile and state, dpkg -P leaves nothing.
#  2. install.sh with DESTDIR: the same layout, idempotent (an edited config survives a re-run),
#     --uninstall keeps configuration, --purge leaves nothing.
# Needs dist/ (./build.sh). Exit 0 when every check passes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/pmpkg.XXXXXX)
CGROUP=pmtest-${PMTEST_RUN:-$$}-pkg$RANDOM
DAEMON_PID=
source "$ROOT/tests/checks.sh"

cleanup() {
  [ -n "$DAEMON_PID" ] && kill -KILL "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  "$ROOT/tests/cleanup-stale-cgroups.sh" "$CGROUP" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

leftovers() { # leftovers ROOT: every path under ROOT that is not part of an (empty) dpkg database
  find "$1" -mindepth 1 -not -path "$1/var" -not -path "$1/var/lib" -not -path "$1/var/lib/dpkg" -not -path "$1/var/lib/dpkg/*"
}
installed_files_present() { # installed_files_present ROOT
  local r=$1
  [ -x "$r/usr/bin/processmaster" ] && [ -x "$r/usr/bin/pmctl" ] && [ -x "$r/usr/bin/processmaster-exec" ] &&
    [ -f "$r/etc/processmaster/config.yaml" ] && [ -d "$r/etc/processmaster/config.d" ] &&
    [ -f "$r/lib/systemd/system/processmaster.service" ] && [ -d "$r/var/lib/processmaster" ] &&
    [ -f "$r/usr/share/bash-completion/completions/pmctl" ] && [ -f "$r/usr/share/doc/processmaster/configuration.md" ] &&
    [ -f "$r/usr/share/processmaster/prometheus/processmaster-rules.yml" ] && [ -f "$r/usr/share/processmaster/grafana/processmaster-dashboard.json" ]
}

expected_identity=$("$ROOT/dist/processmaster" --version)

# --- 1. the .deb ---------------------------------------------------------------------------------
DEB=$(VERSION=0.0.0+pkgtest OUT_DIR="$WORK" "$ROOT/packaging/build-deb.sh")
check "build-deb.sh builds $(basename "$DEB")" test -s "$DEB"
check "the package declares the unit's paths and the conffile" \
  sh -c "dpkg-deb --info '$DEB' conffiles | grep -qx /etc/processmaster/config.yaml"
check "the unit delegates cgroups and lets processmaster stop its services" \
  sh -c "dpkg-deb --fsys-tarfile '$DEB' | tar -xO ./lib/systemd/system/processmaster.service | grep -q '^Delegate=yes' && dpkg-deb --fsys-tarfile '$DEB' | tar -xO ./lib/systemd/system/processmaster.service | grep -q '^KillMode=process'"
check "this machine's libc satisfies the package's Depends" \
  dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libc6)" ge 2.28

R=$WORK/root
mkdir -p "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info"
: > "$R/var/lib/dpkg/status"
# The temporary root has no libc6 package recorded (the host's satisfies it, checked above).
DPKG=(dpkg --root="$R" --admindir="$R/var/lib/dpkg" --log=/dev/null --force-script-chrootless --force-depends)
install_output=$("${DPKG[@]}" -i "$DEB" 2>&1) || { echo "$install_output"; exit 1; }
check "dpkg -i installs the package" sh -c "dpkg-query --admindir='$R/var/lib/dpkg' -W -f='\${Status}' processmaster | grep -q 'install ok installed'"
check "postinst starts nothing without systemd and says how to start the daemon" \
  sh -c "printf '%s' \"\$1\" | grep -q 'start it with: processmaster -c /etc/processmaster/config.yaml'" _ "$install_output"
check "every file of the layout is installed" installed_files_present "$R"
check "the installed processmaster reports the build of dist/" test "$("$R/usr/bin/processmaster" --version)" = "$expected_identity"
check "the installed pmctl reports the same build" sh -c "'$R/usr/bin/pmctl' --version | grep -qF \"\$1\"" _ "$(echo "$expected_identity" | awk '{print $2}')"
check "the installed config passes --check-config" "$R/usr/bin/processmaster" --check-config -c "$R/etc/processmaster/config.yaml"

# Run the installed daemon on the installed config, pointed at this test's cgroup, socket and root.
SOCK=$WORK/pm.sock
sed -e "s|name: processmaster |name: $CGROUP |" -e "s|path: /run/processmaster/processmaster.sock|path: $SOCK|" \
    -e "s|config_directory: /etc/processmaster/config.d|config_directory: $R/etc/processmaster/config.d|" \
    "$R/etc/processmaster/config.yaml" > "$WORK/config.yaml"
printf 'process:\n  working_directory: %s\n  start_command: ["/bin/sleep", "1000"]\n' "$WORK" > "$R/etc/processmaster/config.d/pkgdemo.yaml"
(cd "$R/var/lib/processmaster" && exec "$R/usr/bin/processmaster" -c "$WORK/config.yaml" >"$WORK/daemon.out" 2>&1) &
DAEMON_PID=$!
for _ in $(seq 1 100); do "$R/usr/bin/pmctl" -s "$SOCK" status pkgdemo 2>/dev/null | grep -q RUNNING && break; sleep 0.1; done
check "the installed daemon runs a service from the installed config.d" \
  sh -c "'$R/usr/bin/pmctl' -s '$SOCK' status pkgdemo | grep -q RUNNING"
"$R/usr/bin/pmctl" -s "$SOCK" status pkgdemo 2>/dev/null | grep -q RUNNING || sed 's/^/     daemon: /' "$WORK/daemon.out"
check "the service runs in the test's own cgroup" \
  sh -c "find /sys/fs/cgroup/$CGROUP/pm-pkgdemo /sys/fs/cgroup/unified/$CGROUP/pm-pkgdemo -name cgroup.procs -exec cat {} + 2>/dev/null | grep -q ."
complete_words() { # complete_words WORD...: what the installed completion offers for the last word
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _pmctl; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$R/usr/share/bash-completion/completions/pmctl" "$@"
}
check "bash completion offers service names from the running daemon" \
  sh -c "printf '%s\n' \"\$1\" | grep -qx pkgdemo" _ "$(complete_words "$R/usr/bin/pmctl" -s "$SOCK" restart pkg)"
check "bash completion offers every pmctl command" \
  sh -c "for c in \$(\"\$1\" --help | awk '/^Commands:/ {on=1; next} on && NF {print \$1}'); do printf '%s\n' \"\$2\" | grep -qx \"\$c\" || exit 1; done" \
  _ "$R/usr/bin/pmctl" "$(complete_words "$R/usr/bin/pmctl" "")"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
check "the daemon keeps its logs in /var/lib/processmaster" test -f "$R/var/lib/processmaster/logs/processmaster.log"
rm -f "$R/etc/processmaster/config.d/pkgdemo.yaml"

"${DPKG[@]}" -r processmaster >/dev/null 2>&1
check "dpkg -r removes the binaries, unit and docs" \
  sh -c "! [ -e '$R/usr/bin/processmaster' ] && ! [ -e '$R/lib/systemd/system/processmaster.service' ] && ! [ -e '$R/usr/share/doc/processmaster' ] && ! [ -e '$R/usr/share/processmaster' ]"
check "dpkg -r keeps the edited-or-not conffile" test -f "$R/etc/processmaster/config.yaml"
"${DPKG[@]}" -P processmaster >/dev/null 2>&1
check "dpkg -P leaves nothing behind" test -z "$(leftovers "$R")"
leftovers "$R" | sed 's/^/     left: /'

# --- 2. install.sh ----------------------------------------------------------------------------
D=$WORK/destdir
mkdir -p "$D"
DESTDIR=$D "$ROOT/packaging/install.sh" >/dev/null
check "install.sh installs the same layout" installed_files_present "$D"
check "install.sh installs the build of dist/" test "$("$D/usr/bin/processmaster" --version)" = "$expected_identity"
echo "# edited by the operator" >> "$D/etc/processmaster/config.yaml"
DESTDIR=$D "$ROOT/packaging/install.sh" >/dev/null
check "a second install.sh run keeps the operator's config" grep -q "edited by the operator" "$D/etc/processmaster/config.yaml"
check "a second install.sh run leaves the layout intact" installed_files_present "$D"
DESTDIR=$D "$ROOT/packaging/install.sh" --uninstall >/dev/null
check "install.sh --uninstall removes the binaries" test ! -e "$D/usr/bin/processmaster"
check "install.sh --uninstall keeps the configuration" grep -q "edited by the operator" "$D/etc/processmaster/config.yaml"
DESTDIR=$D "$ROOT/packaging/install.sh" --purge >/dev/null
check "install.sh --purge leaves nothing behind" test -z "$(find "$D" -mindepth 1)"
find "$D" -mindepth 1 | sed 's/^/     left: /'

if [ "$failures" -gt 0 ]; then echo "packaging: $failures check(s) failed"; exit 1; fi
echo "packaging: all checks passed"
