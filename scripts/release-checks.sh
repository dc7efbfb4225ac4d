#!/usr/bin/env bash
# Release hygiene checks for the mailauth.dkim collection, run before tagging a release (`make release-checks`):
#   1. tools venv      .build/venv-release from tests/release/requirements.txt (remade when that file changes)
#   2. changelog       `antsibull-changelog lint` prints nothing; in a temporary copy of the tree,
#                      `antsibull-changelog release --version <galaxy.yml version>` renders a valid CHANGELOG.rst
#                      that contains the text of every fragment
#   3. tarball         `ansible-galaxy collection build` (the project's .venv) into .build/dist; no file that must
#                      not ship (caches, venvs, CI, build output, ...) is in it
#   4. build_ignore    in a temporary copy with such files planted: the build leaves them all out, and without
#                      build_ignore the check of step 3 names them (so neither can pass by accident)
#   5. galaxy-importer the tarball imported as Galaxy imports an upload; any ERROR or WARNING fails
# The working tree is not modified: everything is written to .build/ or to a temporary directory.
# Needs: the project venv (`make venv`) and a Python >= 3.11 with the venv module (Debian: python3-venv); PYTHON
# selects it (default python3). Exit status 0 only when every step passed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

reqs=tests/release/requirements.txt
venv=$root/.build/venv-release
dist=$root/.build/dist
out=$root/.build/release
galaxy=$root/.venv/bin/ansible-galaxy

# shellcheck source=lib/steps.sh source-path=SCRIPTDIR
source "$root/scripts/lib/steps.sh"
steps_begin release-checks 5

# A copy of the working tree (what git would see, plus untracked files), without venvs, build output or .git.
copy_tree() {
  mkdir -p "$1"
  tar -C "$root" --exclude=./.venv --exclude=./.build --exclude=./.git --exclude=./tests/output \
    --exclude=__pycache__ --exclude=.pytest_cache -cf - . | tar -C "$1" -xf -
}

galaxy_field() {
  "$venv/bin/python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))[sys.argv[2]])' galaxy.yml "$1"
}

# Paths that must not be in the collection tarball, as extended regular expressions on `tar tzf` lines.
forbidden_re='^(\.venv|\.build|\.git|\.github|\.ci|tests/output)(/|$)'
forbidden_re+='|(^|/)(__pycache__|\.pytest_cache|\.cache|\.molecule|\.ansible|\.tox|\.mypy_cache)(/|$)'
forbidden_re+='|\.py[co]$|\.tar\.gz$'
# empty ansible-test ignore files are left out by build_ignore (Galaxy warns about each one): none may ship
forbidden_re+='|^tests/sanity/ignore-[^/]*\.txt$'

# check_listing TARBALL: list it; print and fail on every entry that must not ship
check_listing() {
  local bad
  bad=$(tar tzf "$1" | sed 's#^\./##' | grep -E "$forbidden_re" || true)
  if [[ -n $bad ]]; then
    echo "files that must not ship, in $(basename "$1"):"
    printf '%s\n' "$bad" | sed 's/^/  /'
    return 1
  fi
}

# --- 1. tools venv ------------------------------------------------------------------------------------------
step_venv() {
  tools_venv "$venv" "$reqs" 3.11 "the release tooling"
  if [[ $tools_venv_made == true ]]; then
    "$venv/bin/python" -m pip list --disable-pip-version-check --format=freeze 2>/dev/null |
      grep -i -E '^(galaxy.importer|antsibull-changelog|ansible-core|ansible-lint)==' | sed 's/^/  /'
  fi
}

# --- 2. changelog -------------------------------------------------------------------------------------------
step_changelog() {
  local version copy msgs
  version=$(galaxy_field version)
  "$venv/bin/python" -c 'import sys, semantic_version; semantic_version.Version(sys.argv[1])' "$version" ||
    die "galaxy.yml version '$version' is not a semantic version"

  echo "antsibull-changelog lint"
  msgs=$("$venv/bin/antsibull-changelog" lint 2>&1) || { echo "$msgs"; die "antsibull-changelog lint failed"; }
  [[ -z $msgs ]] || { echo "$msgs"; die "antsibull-changelog lint printed messages"; }
  echo "antsibull-changelog lint-changelog-yaml --strict changelogs/changelog.yaml"
  msgs=$("$venv/bin/antsibull-changelog" lint-changelog-yaml --strict changelogs/changelog.yaml 2>&1) ||
    { echo "$msgs"; die "changelogs/changelog.yaml is not valid"; }
  [[ -z $msgs ]] || { echo "$msgs"; die "antsibull-changelog lint-changelog-yaml printed messages"; }

  # antsibull-changelog finds the collection's plugins with ansible-doc: lay the copy out as a collection
  copy=$tmp/changelog/ansible_collections/$(galaxy_field namespace)/$(galaxy_field name)
  copy_tree "$copy"
  echo "antsibull-changelog release --version $version (in a temporary copy)"
  (cd "$copy" && env -u ANSIBLE_CONFIG PATH="$venv/bin:$PATH" antsibull-changelog release --version "$version")
  (cd "$copy" && "$venv/bin/antsibull-changelog" lint-changelog-yaml --strict changelogs/changelog.yaml)

  # CHANGELOG.rst: where changelogs/config.yaml puts it; valid reStructuredText (docutils, warnings are errors);
  # the new release's heading and the text of every fragment (whitespace-normalised) in it
  "$venv/bin/python" - "$root" "$copy" "$version" <<'PY'
import glob
import os
import re
import sys

import docutils.core
import yaml

root, copy, version = sys.argv[1:]
config = yaml.safe_load(open(os.path.join(root, "changelogs", "config.yaml")))
rst_path = os.path.normpath(os.path.join(copy, "changelogs", config["changelog_filename_template"]))
if not os.path.exists(rst_path):
    sys.exit(f"ERROR: antsibull-changelog release wrote no {os.path.relpath(rst_path, copy)}")
rst = open(rst_path, encoding="utf-8").read()
docutils.core.publish_doctree(rst, settings_overrides={"halt_level": 2, "report_level": 2})

def norm(text):
    return re.sub(r"\s+", " ", text).strip()

body = norm(rst)
problems = []
if not re.search(rf"^v{re.escape(version)}\n=+$", rst, re.M):
    problems.append(f"no section for v{version}")
fragdir = os.path.join(root, "changelogs", config.get("notesdir", "fragments"))
fragments = sorted(glob.glob(os.path.join(fragdir, "*.yml")) + glob.glob(os.path.join(fragdir, "*.yaml")))
if not fragments:
    problems.append(f"no changelog fragment in {os.path.relpath(fragdir, root)}")
summaries = 0
trivial = config.get("trivial_section_name", "trivial")
for path in fragments:
    rel = os.path.relpath(path, root)
    for section, entries in (yaml.safe_load(open(path, encoding="utf-8")) or {}).items():
        if section == trivial:
            continue  # not rendered, by design
        if section == config.get("prelude_section_name", "release_summary"):
            summaries += 1
        for entry in [entries] if isinstance(entries, str) else entries:
            if norm(entry) not in body:
                problems.append(f"{rel} ({section}): not in the rendered changelog: {norm(entry)[:100]}")
if fragments and summaries != 1:
    problems.append(f"{summaries} fragments have a release_summary: exactly one must")
if problems:
    print("\n".join("ERROR: " + p for p in problems))
    sys.exit(1)
print(f"CHANGELOG.rst renders: v{version}, {len(fragments)} fragment(s), all of their text present")
PY
}

# --- 3. tarball ---------------------------------------------------------------------------------------------
step_tarball() {
  local f version tarball
  [[ -x $galaxy ]] || die "$galaxy not found: make the project venv first (make venv)"
  # build_ignore leaves the ansible-test ignore files out: none may hold a skip that the tarball would hide
  for f in tests/sanity/ignore-*.txt; do
    [[ ! -s $f ]] || die "$f is not empty, but build_ignore in galaxy.yml keeps it out of the tarball"
  done
  version=$(galaxy_field version)
  mkdir -p "$dist"
  "$galaxy" collection build --force --output-path "$dist" .
  tarball=$dist/$(galaxy_field namespace)-$(galaxy_field name)-$version.tar.gz
  [[ -f $tarball ]] || die "$tarball was not built"
  check_listing "$tarball"
  echo "$(tar tzf "$tarball" | grep -c -v '/$') files, none that must not ship: $tarball"
}

# --- 4. build_ignore ----------------------------------------------------------------------------------------
step_build_ignore() {
  local copy=$tmp/junk/collection junk=() f flagged
  copy_tree "$copy"
  junk=(.venv/bin/python .build/dist/old.tar.gz .git/HEAD .github/workflows/x.yml .ci/x tests/output/junk.txt
    plugins/modules/__pycache__/dkim_key.cpython-311.pyc plugins/modules/x.pyc .pytest_cache/v/x
    tests/unit/.pytest_cache/v/x .cache/x roles/opendkim/.cache/x molecule/default/.molecule/x .ansible/x
    mailauth-dkim-0.0.1.tar.gz docs/x.tar.gz tests/sanity/ignore-9.99.txt)
  for f in "${junk[@]}"; do
    mkdir -p "$copy/$(dirname "$f")"
    echo junk >"$copy/$f"
  done
  echo "planted ${#junk[@]} files that must not ship, in a temporary copy"
  "$galaxy" collection build --force --output-path "$tmp/junk/with" "$copy" >/dev/null
  check_listing "$tmp"/junk/with/*.tar.gz
  echo "with galaxy.yml's build_ignore: none of them is in the tarball"

  "$venv/bin/python" - "$copy/galaxy.yml" <<'PY'
import sys, yaml
data = yaml.safe_load(open(sys.argv[1]))
data.pop("build_ignore", None)
yaml.safe_dump(data, open(sys.argv[1], "w"))
PY
  "$galaxy" collection build --force --output-path "$tmp/junk/without" "$copy" >/dev/null
  if flagged=$(check_listing "$tmp"/junk/without/*.tar.gz); then
    die "without build_ignore the planted files were built in, yet the listing check passed"
  fi
  # ansible-galaxy itself drops .git, __pycache__, *.pyc, tests/output and its own earlier tarballs
  for f in "${junk[@]}"; do
    case $f in .git/* | */__pycache__/* | *.pyc | tests/output/* | mailauth-dkim-*.tar.gz) continue ;; esac
    grep -q -x -F "  $f" <<<"$flagged" || die "without build_ignore, the listing check did not name $f"
  done
  echo "without build_ignore: the listing check names every planted file that ansible-galaxy does not drop itself"
}

# --- 5. galaxy-importer -------------------------------------------------------------------------------------
step_importer() {
  local tarball cfg log rc=0 problems work=$tmp/importer
  tarball=$dist/$(galaxy_field namespace)-$(galaxy_field name)-$(galaxy_field version).tar.gz
  mkdir -p "$out" "$work/ansible-tmp" "$work/home"
  cfg=$out/galaxy-importer.cfg
  log=$out/galaxy-importer.log
  # The checks Galaxy runs on an upload (galaxy_importer/config.py, GALAXY_IMPORTER_* ):
  cat >"$cfg" <<EOF
[galaxy-importer]
log_level_main = INFO
# ansible-doc on every plugin (the docs Galaxy shows) and ansible-lint --profile production --offline
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
# flake8 on plugins (off by default in galaxy-importer; on here, stricter)
run_flake8 = True
# a CHANGELOG.rst/.md or changelogs/changelog.yaml must ship
check_changelog = True
# one of Automation Hub's required tags (galaxy.yml has 'infrastructure' and 'security')
check_required_tags = True
# Automation Hub certification only (collection version >= 1.0.0); community Galaxy takes 0.x releases
require_v1_or_greater = False
# ansible-test sanity in a container: not here (make sanity runs it)
run_ansible_test = False
ansible_test_local_image = False
local_image_docker = False
ansible_local_tmp = $work/ansible-tmp
tmp_root_dir = $work
EOF
  echo "python -m galaxy_importer.main $(basename "$tarball")  (config: $cfg, log: $log)"
  # A clean environment, as on Galaxy: the release venv's tools, no ANSIBLE_* from the caller or make.
  # It writes importer_result.json to its working directory: $out.
  (cd "$out" && env -i PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" HOME="$work/home" LANG=C.UTF-8 \
    GALAXY_IMPORTER_CONFIG="$cfg" "$venv/bin/python" -m galaxy_importer.main "$tarball") >"$log" 2>&1 || rc=$?
  sed 's/^/  | /' "$log"
  problems=$(grep -E '^(ERROR|WARNING|CRITICAL)\b|Traceback' "$log" || true)
  if [[ -n $problems ]]; then
    echo "galaxy-importer reported:"
    printf '%s\n' "$problems" | sed 's/^/  /'
    die "galaxy-importer: $(grep -c . <<<"$problems") ERROR/WARNING line(s)"
  fi
  [[ $rc -eq 0 ]] || die "galaxy-importer exited $rc"
  grep -q '^Importer processing completed successfully' "$log" || die "galaxy-importer did not complete"
}

run_step "tools venv" step_venv
run_step "changelog" step_changelog
run_step "tarball" step_tarball
run_step "build_ignore" step_build_ignore
run_step "galaxy-importer" step_importer

steps_done
