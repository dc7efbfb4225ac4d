# shellcheck shell=bash
# scripts/lib/steps.sh: what the check scripts in scripts/ share (release-checks.sh, ee-check.sh, actionlint.sh).
# Sourced, not run (so it has no shebang and is not executable); defines functions and nothing runs on sourcing.
#
#   Numbered, timed steps with a summary table, and a FAILED line on any non-zero exit:
#     steps_begin NAME TOTAL   NAME heads the last lines ("NAME: all passed", "NAME: FAILED in step: ..."), TOTAL is
#                              the number of steps; makes the temporary directory $tmp and sets the EXIT trap that
#                              removes it and, when the script fails, prints the FAILED line and the summary so far
#     run_step NAME CMD...     step "==> [n/TOTAL NAME]", runs CMD, then "<== [n/TOTAL NAME] ok (1.2s)"; CMD may set
#                              step_result=skipped (or another word of up to 7 letters) to be reported instead of
#                              ok, and steps_note (e.g. "image build skipped") for the last line
#     steps_done               "NAME: all passed[, steps_note] (time)" and the summary table, one row a step
#     die MESSAGE              "ERROR: MESSAGE" on stderr and exit 1 (in a step: the step fails)
#     elapsed T0               seconds since T0, a ${EPOCHREALTIME//[!0-9]/} reading, as "12.3s"
#
#   Tools in a virtual environment made from a pinned requirements file:
#     tools_venv VENV REQS [MIN_PYTHON WHAT]
#                              makes VENV from REQS with $PYTHON (default python3), or says it is up to date: it is
#                              made again when the sha256 of REQS or the Python (path and version) differs from the
#                              stamp VENV/.tools-stamp. REQS is the complete set: installed with --no-deps
#                              --only-binary=:all: (no build step), then `pip check`. With MIN_PYTHON (e.g. 3.11) an
#                              older $PYTHON is an error naming WHAT. Sets tools_venv_made to true or false.
#     venv_pip VENV ARGS...    VENV's pip, without the warnings about index locations of this machine's pip
#                              configuration that do not exist (stderr goes to stdout; pip's exit status is kept)
#
# Usage, in a bash script in scripts/ with `set -euo pipefail` and $root the checkout:
#   # shellcheck source=lib/steps.sh source-path=SCRIPTDIR
#   source "$root/scripts/lib/steps.sh"
#   steps_begin my-check 2
#   run_step "tools venv" tools_venv "$root/.build/venv-x" tests/x/requirements.txt
#   run_step "something" step_something
#   steps_done
# The directive lets shellcheck follow the library from any directory when it is given as input too:
# `shellcheck scripts/*.sh scripts/lib/*.sh`. The library's variables: tmp, step_result, steps_note,
# tools_venv_made, step_no, step_name, step_t0 and the names that begin with steps_.

# elapsed T0: seconds since a ${EPOCHREALTIME} reading (digits only), with one decimal
elapsed() {
  local us=$((${EPOCHREALTIME//[!0-9]/} - $1))
  printf '%d.%ds' $((us / 1000000)) $((us % 1000000 / 100000))
}

die() {
  echo "ERROR: $*" >&2
  exit 1
}

# steps_begin NAME TOTAL
steps_begin() {
  steps_name=$1
  steps_total=$2
  steps_summary=()
  step_no=0
  step_name=""
  step_result=ok
  steps_note=""
  steps_t0=${EPOCHREALTIME//[!0-9]/}
  step_t0=$steps_t0
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailauth-dkim-$steps_name.XXXXXX")
  trap steps_finish EXIT
}

# steps_row RESULT: the summary row of the current step
steps_row() {
  steps_summary+=("$(printf '  [%d/%d] %-16s %-7s %6s' "$step_no" "$steps_total" "$step_name" "$1" \
    "$(elapsed "$step_t0")")")
}

# the EXIT trap of steps_begin
steps_finish() {
  local rc=$?
  rm -rf "$tmp"
  if [[ $rc -ne 0 ]]; then
    echo "$steps_name: FAILED${step_name:+ in step: $step_no/$steps_total $step_name}" \
      "(exit $rc, after $(elapsed "$steps_t0"))" >&2
    if [[ -n $step_name ]]; then
      steps_row FAILED
    fi
    printf '%s\n' "${steps_summary[@]}" >&2
  fi
}

# run_step NAME CMD...
run_step() {
  local took
  step_name=$1
  shift
  step_no=$((step_no + 1))
  step_result=ok
  echo
  echo "==> [$step_no/$steps_total $step_name]"
  step_t0=${EPOCHREALTIME//[!0-9]/}
  "$@"
  took=$(elapsed "$step_t0")
  steps_row "$step_result"
  echo "<== [$step_no/$steps_total $step_name] $step_result ($took)"
  step_name=""
}

steps_done() {
  echo
  echo "$steps_name: all passed${steps_note:+, $steps_note} ($(elapsed "$steps_t0"))"
  printf '%s\n' "${steps_summary[@]}"
}

# venv_pip VENV ARGS...
venv_pip() {
  local venv=$1
  shift
  "$venv/bin/python" -m pip "$@" 2>&1 |
    { grep -v -E "^WARNING: Location '.*' is ignored: it is neither a file nor a directory" || true; }
}

# tools_venv VENV REQS [MIN_PYTHON WHAT]
tools_venv() {
  local venv=$1 reqs=$2 min=${3:-} what=${4:-these tools} python=${PYTHON:-python3} want
  want="$(sha256sum "$reqs" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
  # shellcheck disable=SC2034 # for the scripts
  tools_venv_made=false
  if [[ -x $venv/bin/python && -f $venv/.tools-stamp && "$(<"$venv/.tools-stamp")" == "$want" ]]; then
    echo "$venv is up to date with $reqs"
    return
  fi
  if [[ -n $min ]]; then
    "$python" -c 'import sys; sys.exit(sys.version_info < tuple(map(int, sys.argv[1].split("."))))' "$min" ||
      die "$python is $("$python" -V 2>&1); $what needs Python >= $min (set PYTHON)"
  fi
  echo "making $venv from $reqs ($python: $("$python" -V 2>&1))"
  rm -rf "$venv"
  "$python" -m venv "$venv" || die "'$python -m venv' failed (Debian: apt-get install python3-venv)"
  # --no-deps: the file is the complete set; --only-binary: no build step, the same result everywhere
  venv_pip "$venv" install -q --disable-pip-version-check --no-deps --only-binary=:all: -r "$reqs"
  "$venv/bin/python" -m pip check
  echo "$want" >"$venv/.tools-stamp"
  # shellcheck disable=SC2034 # for the scripts
  tools_venv_made=true
}
