#!/usr/bin/env bash
# The Ansible collection against a real daemon (Debian's ansible-core, connection local): the module
# starts, stops, restarts, enables and disables; the role writes a service file and reloads; a second
# identical run reports changed=0; check mode changes nothing. Also ansible-doc, --syntax-check, the
# offline part of ansible-test sanity, pep8 and yamllint.
# Exits 0 only if every check passes. Usage: tests/ansible/run.sh (after ./build.sh)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ -x "$ROOT/dist/processmaster" ] || { echo "ansible: run ./build.sh first" >&2; exit 1; }
if ! command -v ansible-playbook >/dev/null; then
  echo "ansible: installing ansible-core"
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ansible-core >/dev/null
fi

T=$(mktemp -d /tmp/pmtest-ansible-XXXXXX)
NAME=pmtest-${PMTEST_RUN:-$$}-ansible
SOCK=$T/pm.sock
PM=""
cleanup() {
  [ -n "$PM" ] && kill -TERM "$PM" 2>/dev/null && wait "$PM" 2>/dev/null
  "$ROOT/tests/cleanup-stale-cgroups.sh" "$NAME"
  rm -rf "$T"
}
trap cleanup EXIT
failures=0
check() { local what=$1; shift; if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi; }

mkdir -p "$T/config.d" "$T/work"
cat > "$T/config.yaml" <<YAML
cgroup: {name: $NAME}
unix_socket: {path: $SOCK}
global: {config_directory: ./config.d}
YAML
printf 'process:\n  working_directory: %s\n  start_command: ["/bin/sleep", "1000"]\n' "$T/work" > "$T/config.d/web.yaml"
printf 'process:\n  working_directory: %s\n  start_command: ["/bin/sleep", "1000"]\nglobal:\n  enabled: false\n' "$T/work" > "$T/config.d/worker.yaml"
"$ROOT/dist/processmaster" -c "$T/config.yaml" > "$T/daemon.out" 2>&1 &
PM=$!
for _ in $(seq 100); do "$ROOT/dist/pmctl" -s "$SOCK" status >/dev/null 2>&1 && break; sleep 0.2; done

export ANSIBLE_COLLECTIONS_PATH=$ROOT/packaging/ansible ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False
pmctl() { "$ROOT/dist/pmctl" -s "$SOCK" "$@"; }
field() { pmctl status "$1" --format json | python3 -c "import json,sys; print(json.load(sys.stdin)['services'][0]['$2'])"; }
play() { # play FILE [ansible-playbook args...]: runs it, prints the recap's changed count
  ansible-playbook -i localhost, -c local -e ansible_python_interpreter=/usr/bin/python3 \
    -e "pm_socket=$SOCK pm_pmctl=$ROOT/dist/pmctl pm_dir=$T pm_work=$T/work" "$@" > "$T/play.out" 2>&1
  local rc=$?
  cat "$T/play.out" >> "$T/plays.log"
  [ $rc -eq 0 ] || { echo "ansible: playbook failed:"; cat "$T/play.out"; }
  sed -n 's/.*changed=\([0-9]*\).*/\1/p' "$T/play.out" | tail -n 1
}

check "ansible-doc shows the module" sh -c "ansible-doc processmaster.processmaster.processmaster_service | grep -q 'Starts, stops or restarts a service of the processmaster'"
check "the playbook and the role pass --syntax-check" ansible-playbook -i localhost, --syntax-check "$HERE/converge.yml"

# ansible-test sanity, in a copy (it writes tests/output): every test that runs offline. The ones that
# install their linters from PyPI (ansible-doc, import, pep8, pylint, validate-modules, yamllint) cannot
# here; ansible-doc runs above, and pep8 and yamllint run below through Debian's packages, with
# ansible-test's pep8 settings.
mkdir -p "$T/sanity/ansible_collections/processmaster"
cp -r "$ROOT/packaging/ansible/ansible_collections/processmaster/processmaster" "$T/sanity/ansible_collections/processmaster/"
python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
check "ansible-test sanity (offline tests)" sh -c "cd '$T/sanity/ansible_collections/processmaster/processmaster' && ansible-test sanity --local --python $python \
  --skip-test ansible-doc --skip-test import --skip-test pep8 --skip-test pylint --skip-test validate-modules --skip-test yamllint > '$T/sanity.log' 2>&1 || { cat '$T/sanity.log'; false; }"
command -v pycodestyle >/dev/null && command -v yamllint >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends pycodestyle yamllint >/dev/null
check "pep8 as ansible-test checks it" pycodestyle --max-line-length=160 --ignore=E402,W503,W504,E741 "$ROOT/packaging/ansible/ansible_collections/processmaster/processmaster/plugins"
check "yamllint" yamllint -s -d "{extends: default, rules: {line-length: {max: 170}, document-start: disable, truthy: disable}}" \
  "$ROOT/packaging/ansible/ansible_collections/processmaster/processmaster"

first=$(play "$HERE/converge.yml")
check "the first run changes things (changed=$first)" test "${first:-0}" -gt 0
check "web stopped, worker enabled and running, extra added by the role" \
  sh -c "[ '$(field web state)' = STOPPED ] && [ '$(field worker state)' = RUNNING ] && [ '$(field worker enabled)' = True ] && [ '$(field extra state)' = RUNNING ]"
check "worker's file was edited by pmctl enable" grep -q "enabled: true" "$T/config.d/worker.yaml"
second=$(play "$HERE/converge.yml")
check "a second identical run reports changed=0 (changed=$second)" test "$second" = 0

worker_pid=$(field worker main_pid)
checked=$(play "$HERE/converge.yml" --check -e "pm_web_state=started pm_worker_enabled=false")
check "check mode reports changes (changed=$checked)" test "${checked:-0}" -gt 0
check "check mode changed nothing" sh -c "[ '$(field web state)' = STOPPED ] && [ '$(field worker main_pid)' = '$worker_pid' ] && [ '$(field worker enabled)' = True ]"

restarted=$(play "$HERE/restart.yml")
check "restarted always restarts (changed=$restarted, new pid)" sh -c "[ '$restarted' = 1 ] && [ '$(field worker main_pid)' != '$worker_pid' ] && [ '$(field worker state)' = RUNNING ]"
disabled=$(play "$HERE/converge.yml" -e "pm_worker_state=stopped pm_worker_enabled=false")
check "disable and stop (changed=$disabled)" sh -c "[ '$(field worker state)' = STOPPED ] && [ '$(field worker enabled)' = False ] && grep -q 'enabled: false' '$T/config.d/worker.yaml'"
play "$HERE/restart.yml" -e pm_target=ghost > /dev/null
check "an unknown service fails the task with pmctl's words" grep -q "unknown service: ghost" "$T/play.out"

if [ $failures -ne 0 ]; then
  echo "ansible: $failures check(s) failed; daemon output and plays:"; cat "$T/daemon.out" "$T/plays.log"; exit 1
fi
echo "ansible: every check passed"
