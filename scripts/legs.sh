#!/usr/bin/env bash
# Run make goals one after the other, print how long each took, and a table of all of them at the end (also when
# one fails, which stops the run). Each argument is one leg: a goal with its variables, e.g. "core CORE=2.20".
#   scripts/legs.sh units sanity "core CORE=2.21"
set -uo pipefail
MAKE=${MAKE:-make}
declare -a rows=()
total0=$(date +%s)
summary() {
  echo
  echo "== legs (seconds) =="
  printf '%s\n' "${rows[@]}"
  echo "== total: $(( $(date +%s) - total0 )) s"
}
for leg in "$@"; do
  t0=$(date +%s)
  echo "== leg: $leg"
  # shellcheck disable=SC2086 # a leg is a goal and its variables, split on purpose
  $MAKE --no-print-directory $leg
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  if [ $rc -ne 0 ]; then
    rows+=("$(printf '%6d  FAILED  %s' "$secs" "$leg")")
    echo "== leg: $leg FAILED after $secs s"
    summary
    exit $rc
  fi
  rows+=("$(printf '%6d  ok      %s' "$secs" "$leg")")
  echo "== leg: $leg ok in $secs s"
done
summary
