# Sourced by the scenario scripts (tests/*/run.sh): one "ok"/"FAIL" line per check, failures counted.
failures=0

check() { # check DESCRIPTION COMMAND...
  local description=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok   $description"; else echo "FAIL $description"; failures=$((failures + 1)); fi
}
