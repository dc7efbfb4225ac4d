#!/usr/bin/env bash
# Execution environment (EE) checks for AWX / Automation Platform (`scripts/ee-check.sh`, part of release-checks):
#   1. tools venv  .build/venv-ee from tests/ee/requirements.txt (ansible-builder, bindep; remade when it changes)
#   2. tarball     `ansible-galaxy collection build` (the project's .venv) into .build/dist; the EE metadata ships
#   3. bindep      bindep.txt parses (bindep CLI); on the EE's platforms (CentOS Stream 10, RHEL 9, Fedora) bindep
#                  selects nothing for the final image and cryptography's build packages for the builder stage
#   4. introspect  the tarball installed with `ansible-galaxy collection install -p`; `ansible-builder introspect`
#                  reports exactly meta/ee-requirements.txt and bindep.txt (so meta/execution-environment.yml is
#                  read), which cover every third-party import in plugins/; without the meta file the root
#                  requirements.txt pins would leak into the EE (so the check cannot pass by accident)
#   5. create      `ansible-builder create` on docs/execution-environment/execution-environment.yml (a temporary
#                  copy with the tarball beside it): Containerfile and _build/ hold what they must; the galaxy and
#                  builder stages replayed on this machine (ansible-galaxy on _build/requirements.yml from _build/,
#                  then _build/scripts/introspect.py) find the collection's requirements
#   6. wheels      the requirements the EE would install resolve to wheels on PyPI for its Python (3.12) on x86_64
#                  and aarch64 (pip --dry-run): no compiler needed there
#   7. build       `ansible-builder build` and a playbook run inside the image, only when a container runtime works
#                  and the base image can be had (present, or pulled within EE_PULL_TIMEOUT seconds); otherwise
#                  skipped, with the reason
# Environment: PYTHON (default python3, >= 3.11) makes the venv; EE_BUILD=auto (default) | skip | require (a build
# that cannot run is then an error); EE_PULL_TIMEOUT (default 60); EE_TAG (default localhost/mailauth-dkim-ee:check).
# Needs: the project venv (`make venv`) and the Python venv module (Debian: python3-venv); PyPI for steps 1 and 6.
# The working tree is not modified: everything is written to .build/ or to a temporary directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

EE_BUILD=${EE_BUILD:-auto}
EE_PULL_TIMEOUT=${EE_PULL_TIMEOUT:-60}
EE_TAG=${EE_TAG:-localhost/mailauth-dkim-ee:check}
# The Python of the example's base image (CentOS Stream 10's python3), for the wheel check of step 6.
EE_PYTHON=3.12
EE_ARCHES=(x86_64 aarch64)

reqs=tests/ee/requirements.txt
venv=$root/.build/venv-ee
dist=$root/.build/dist
galaxy=$root/.venv/bin/ansible-galaxy
definition=docs/execution-environment/execution-environment.yml

case $EE_BUILD in
  auto | skip | require) ;;
  *) echo "EE_BUILD must be auto, skip or require (not '$EE_BUILD')" >&2; exit 2 ;;
esac

# shellcheck source=lib/steps.sh source-path=SCRIPTDIR
source "$root/scripts/lib/steps.sh"
steps_begin ee-check 7

py() {
  "$venv/bin/python" "$@"
}

# galaxy_field KEY: a top-level field of galaxy.yml
galaxy_field() {
  py -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))[sys.argv[2]])' galaxy.yml "$1"
}

tarball_path() {
  echo "$dist/$(galaxy_field namespace)-$(galaxy_field name)-$(galaxy_field version).tar.gz"
}

# --- 1. tools venv ------------------------------------------------------------------------------------------
step_venv() {
  tools_venv "$venv" "$reqs" 3.11 "ansible-builder 3.2"
  echo "  $("$venv/bin/ansible-builder" --version | sed 's/^/ansible-builder /'), $("$venv/bin/bindep" --version)"
}

# --- 2. tarball ---------------------------------------------------------------------------------------------
step_tarball() {
  local tarball f listing
  [[ -x $galaxy ]] || die "$galaxy not found: make the project venv first (make venv)"
  mkdir -p "$dist"
  "$galaxy" collection build --force --output-path "$dist" .
  tarball=$(tarball_path)
  [[ -f $tarball ]] || die "$tarball was not built"
  listing=$(tar tzf "$tarball" | sed 's#^\./##')
  for f in meta/execution-environment.yml meta/ee-requirements.txt bindep.txt; do
    grep -q -x -F "$f" <<<"$listing" || die "$f is not in $(basename "$tarball") (build_ignore?)"
  done
  echo "meta/execution-environment.yml, meta/ee-requirements.txt and bindep.txt are in $tarball"
}

# --- 3. bindep ----------------------------------------------------------------------------------------------
# check_bindep FILE: evaluate FILE as ansible-builder's assemble script does (`bindep -l newline`: what the final
# image gets; `bindep -b compile`: what the builder stage installs), on the platforms of RPM-based EE images
check_bindep() {
  py - "$1" <<'PY'
import sys
from unittest import mock

import bindep.depends as bd

path = sys.argv[1]
text = open(path, encoding="utf-8").read()
# (distro.id, distro.version, distro.codename, distro.name) as the distro module reports them in each image
platforms = {
    "CentOS Stream 10": ("centos", "10", "", "CentOS Stream"),
    "RHEL 9 (ubi9, ee-minimal-rhel9)": ("rhel", "9.6", "Plow", "Red Hat Enterprise Linux"),
    "Fedora 42": ("fedora", "42", "", "Fedora Linux"),
}
# what building cryptography from source needs (its installation guide, Fedora/RHEL/CentOS)
needed = {"gcc", "libffi-devel", "openssl-devel", "python3-devel", "cargo", "redhat-rpm-config", "pkg-config"}
problems = []
deps = bd.Depends(text)  # parsing is the slow part; active_rules() does not depend on the platform detected
for label, (ident, version, codename, name) in platforms.items():
    with mock.patch.object(bd.distro, "id", return_value=ident), \
            mock.patch.object(bd.distro, "version", return_value=version), \
            mock.patch.object(bd.distro, "codename", return_value=codename), \
            mock.patch.object(bd.distro, "name", return_value=name):
        profiles = deps.platform_profiles()
    if "platform:rpm" not in profiles:
        sys.exit(f"ERROR: bindep does not see {label} as an RPM platform: {profiles}")
    final = [rule[0] for rule in deps.active_rules(["default"] + profiles)]
    builder = [rule[0] for rule in deps.active_rules(["compile"] + profiles)]
    print(f"  {label:32} final image: {' '.join(final) or '(nothing)'}; builder stage: {' '.join(builder)}")
    if final:
        problems.append(f"{label}: the final image would get system packages: {final}")
    if needed - set(builder):
        problems.append(f"{label}: the builder stage lacks {sorted(needed - set(builder))}")
if problems:
    sys.exit("\n".join(f"ERROR: {path}: {p}" for p in problems))
PY
}

step_bindep() {
  local out
  echo "bindep -f bindep.txt --profiles (this machine)"
  out=$("$venv/bin/bindep" -f bindep.txt --profiles 2>&1) || { echo "$out"; die "bindep cannot read bindep.txt"; }
  "$venv/bin/bindep" -f bindep.txt -l newline compile >/dev/null || die "bindep -l newline compile failed"
  echo "bindep.txt on the EE platforms:"
  check_bindep bindep.txt
}

# --- 4. introspect ------------------------------------------------------------------------------------------
# check_introspected PIP_FILE BINDEP_FILE: what ansible-builder wrote is exactly the collection's files, annotated
check_introspected() {
  py - "$root" "$1" "$2" <<'PY'
import os
import re
import sys

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

root, pip_out, bindep_out = sys.argv[1:]
meta = yaml.safe_load(open(os.path.join(root, "meta", "execution-environment.yml")))
deps = meta["dependencies"]
source = "  # from collection mailauth.dkim"

def lines(path):
    # as ansible-builder reads them: no blank or comment lines, no trailing comments
    out = []
    for line in open(path, encoding="utf-8"):
        line = re.sub(r"(?:^|\s+)#.*$", "", line.strip())
        if line:
            out.append(line)
    return out

def written(path):
    return open(path, encoding="utf-8").read().splitlines() if os.path.exists(path) else []

problems = []
for kind, out in (("python", pip_out), ("system", bindep_out)):
    want = [line + source for line in lines(os.path.join(root, deps[kind]))]
    got = written(out)
    if got != want:
        problems.append(f"{kind}: ansible-builder reported {got}, the collection lists {want} ({deps[kind]})")

reqs = {}
for line in lines(os.path.join(root, deps["python"])):
    req = Requirement(line)
    reqs[canonicalize_name(req.name)] = req
    ops = {spec.operator for spec in req.specifier}
    if not ops & {">=", ">", "~="} or ops & {"==", "==="}:
        problems.append(f"{line}: give a lower bound, not a pin or nothing ({deps['python']})")
    if canonicalize_name(req.name) in {"ansible", "ansible-core", "ansible-base"}:
        problems.append(f"{line}: ansible itself does not belong in the collection's EE requirements")
for name in ("dnspython", "cryptography"):
    if name not in reqs:
        problems.append(f"{name} is not in {deps['python']}")
    else:
        print(f"  python: {reqs[name]}")
print(f"  system: {len(written(bindep_out))} bindep entries, as in {deps['system']}")
if problems:
    sys.exit("\n".join("ERROR: " + p for p in problems))
PY
}

# check_imports: every third-party module that plugins/ imports is in meta/ee-requirements.txt, and nothing else is
check_imports() {
  py - "$root" <<'PY'
import ast
import pathlib
import re
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

root = pathlib.Path(sys.argv[1])
# import name -> PyPI distribution, for the packages the plugins use
dist_of = {"dns": "dnspython", "cryptography": "cryptography"}
imported = {}
for path in sorted((root / "plugins").rglob("*.py")):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top not in ("ansible", "ansible_collections"):
                imported.setdefault(top, set()).add(str(path.relative_to(root)))
listed = set()
for line in (root / "meta" / "ee-requirements.txt").read_text(encoding="utf-8").splitlines():
    line = re.sub(r"(?:^|\s+)#.*$", "", line.strip())
    if line:
        listed.add(canonicalize_name(Requirement(line).name))
problems = []
needed = set()
for top, files in sorted(imported.items()):
    if top not in dist_of:
        problems.append(f"plugins import '{top}' ({', '.join(sorted(files))}): add its PyPI package to "
                        "meta/ee-requirements.txt and to dist_of in scripts/ee-check.sh")
        continue
    needed.add(dist_of[top])
    print(f"  plugins import {top} (in {len(files)} file(s)): {dist_of[top]}")
for name in sorted(needed - listed):
    problems.append(f"{name} is imported by plugins/ but not in meta/ee-requirements.txt")
for name in sorted(listed - needed):
    problems.append(f"{name} is in meta/ee-requirements.txt but no plugin imports it")
if problems:
    sys.exit("\n".join("ERROR: " + p for p in problems))
PY
}

step_introspect() {
  local tarball coll=$tmp/introspect/collections meta_less=$tmp/introspect/meta-less
  tarball=$(tarball_path)
  mkdir -p "$tmp/introspect"
  # outside the checkout, so that the project's ansible.cfg plays no part
  (cd "$tmp/introspect" && env -u ANSIBLE_CONFIG "$galaxy" collection install -p "$coll" "$tarball") \
    >"$tmp/introspect/install.log" 2>&1 || { cat "$tmp/introspect/install.log"; die "ansible-galaxy collection install failed"; }
  grep -q 'mailauth.dkim:.* was installed successfully' "$tmp/introspect/install.log" ||
    { cat "$tmp/introspect/install.log"; die "mailauth.dkim was not installed"; }
  echo "installed $(basename "$tarball") into $coll"
  echo "ansible-builder introspect --sanitize $coll"
  "$venv/bin/ansible-builder" introspect --sanitize "$coll" \
    --write-pip "$tmp/introspect/requirements.txt" --write-bindep "$tmp/introspect/bindep.txt" | sed 's/^/  | /'
  check_introspected "$tmp/introspect/requirements.txt" "$tmp/introspect/bindep.txt"
  check_imports

  # Without meta/execution-environment.yml, ansible-builder falls back to requirements.txt and bindep.txt at the
  # collection root: the developers' pins. The check above must tell the two apart.
  mkdir -p "$meta_less/ansible_collections/mailauth"
  cp -a "$coll/ansible_collections/mailauth/dkim" "$meta_less/ansible_collections/mailauth/"
  rm "$meta_less/ansible_collections/mailauth/dkim/meta/execution-environment.yml"
  "$venv/bin/ansible-builder" introspect --sanitize "$meta_less" \
    --write-pip "$meta_less/requirements.txt" --write-bindep "$meta_less/bindep.txt" >/dev/null
  if check_introspected "$meta_less/requirements.txt" "$meta_less/bindep.txt" >"$meta_less/check.log" 2>&1; then
    die "without meta/execution-environment.yml the introspection check still passed: it proves nothing"
  fi
  echo "without meta/execution-environment.yml, ansible-builder would install the root requirements.txt pins:" \
    "$(sed 's/ *#.*//' "$meta_less/requirements.txt" | paste -sd ' ')"
  echo "  and the check above fails on that: the pass above comes from the meta file"
}

# --- 5. create ----------------------------------------------------------------------------------------------
# check_definition DEFINITION TARBALL: the example installs the tarball galaxy.yml builds; prints the tarball's name
check_definition() {
  py - "$1" "$2" <<'PY'
import os
import sys

import yaml

definition, tarball = sys.argv[1:]
ee = yaml.safe_load(open(definition))
name = os.path.basename(tarball)
files = [c["name"] for c in ee["dependencies"]["galaxy"]["collections"] if c.get("type") == "file"]
sources = [f["src"] for f in ee.get("additional_build_files", [])]
if not any(os.path.basename(f) == name for f in files) or name not in sources:
    sys.exit(f"ERROR: {definition} installs {files} from {sources}, but galaxy.yml builds {name}: update it")
print(name)
PY
}

# check_context CONTEXT DEFINITION TARBALL: the build context ansible-builder wrote
check_context() {
  py - "$@" <<'PY'
import filecmp
import os
import re
import sys

import yaml

context, definition, tarball = sys.argv[1:]
ee = yaml.safe_load(open(definition))
deps = ee["dependencies"]
build = os.path.join(context, "_build")
containerfile = open(os.path.join(context, "Containerfile"), encoding="utf-8").read()
refs = f'{deps["ansible_core"]["package_pip"]} {deps["ansible_runner"]["package_pip"]}'
expected = {
    "the base image": f'ARG EE_BASE_IMAGE="{ee["images"]["base_image"]["name"]}"',
    "the base stage": "FROM $EE_BASE_IMAGE AS base",
    "the Python": f'ARG PYCMD="{deps["python_interpreter"]["python_path"]}"',
    "ansible-core and ansible-runner": f'ARG ANSIBLE_INSTALL_REFS="{refs}"',
    "their installation": "RUN $PYCMD -m pip install --no-cache-dir $ANSIBLE_INSTALL_REFS",
    "the galaxy stage": "FROM base AS galaxy",
    "the build files in /build": "COPY _build /build",
    "the collection install": "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS "
                              '-r requirements.yml --collections-path "/usr/share/ansible/collections"',
    "the builder stage": "FROM base AS builder",
    "the introspection of the installed collections": "RUN $PYCMD /output/scripts/introspect.py introspect",
    "its output": "--write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt",
    "the Python packages and wheels": "RUN /output/scripts/assemble",
    "the final stage": "FROM base AS final",
    "the check for ansible and ansible-runner": "RUN /output/scripts/check_ansible $PYCMD",
    "the collections in the final image": "COPY --from=galaxy /usr/share/ansible /usr/share/ansible",
    "the system packages and wheels in the final image": "RUN /output/scripts/install-from-bindep",
    "the EE label": "LABEL ansible-execution-environment=true",
}
problems = [f"Containerfile lacks {what}: {text}" for what, text in expected.items() if text not in containerfile]
stages = re.findall(r"^FROM \S+ AS (\w+)$", containerfile, re.M)
if stages != ["base", "galaxy", "builder", "final"]:
    problems.append(f"Containerfile stages are {stages}")

galaxy = yaml.safe_load(open(os.path.join(build, "requirements.yml")))
if galaxy != deps["galaxy"]:
    problems.append(f"_build/requirements.yml is {galaxy}, the definition says {deps['galaxy']}")
for entry in galaxy.get("collections", []):
    if entry.get("type") == "file":
        # ansible-galaxy runs in /build, the copy of _build: the path is relative to it
        path = os.path.join(build, entry["name"])
        if not os.path.isfile(path):
            problems.append(f"_build/{entry['name']} is missing: ansible-galaxy would not find it")
        elif not filecmp.cmp(path, tarball, shallow=False):
            problems.append(f"_build/{entry['name']} is not the tarball that was built")
for script in ("assemble", "install-from-bindep", "introspect.py", "check_galaxy", "check_ansible", "pip_install",
               "entrypoint"):
    if not os.path.isfile(os.path.join(build, "scripts", script)):
        problems.append(f"_build/scripts/{script} is missing")
# the example adds no Python or system packages of its own: mailauth.dkim's come from its metadata, in the build
for extra in ("requirements.txt", "bindep.txt"):
    if os.path.exists(os.path.join(build, extra)):
        problems.append(f"_build/{extra} exists: the example should leave the collection's dependencies to it")
if problems:
    sys.exit("\n".join("ERROR: " + p for p in problems))
print(f"  Containerfile: stages {' -> '.join(stages)}, {len(expected)} expected instructions present")
print(f"  _build/requirements.yml: {galaxy['collections']}")
PY
}

step_create() {
  local tarball name ee=$tmp/ee ctx share=$tmp/ee/share/ansible/collections src=$tmp/ee/src
  tarball=$(tarball_path)
  name=$(check_definition "$definition" "$tarball")
  mkdir -p "$ee" "$src"
  cp "$definition" "$ee/execution-environment.yml"
  cp "$tarball" "$ee/$name"
  ctx=$ee/context
  echo "ansible-builder create -f $definition (a copy, with $name beside it)"
  "$venv/bin/ansible-builder" create -f "$ee/execution-environment.yml" -c "$ctx" --output-filename Containerfile \
    -v 1 | sed 's/^/  | /'
  check_context "$ctx" "$ee/execution-environment.yml" "$tarball"

  # The galaxy stage: `ansible-galaxy collection install -r requirements.yml` in /build (_build), as in the image.
  echo "galaxy stage, replayed here: ansible-galaxy collection install -r requirements.yml (in _build/)"
  (cd "$ctx/_build" && env -u ANSIBLE_CONFIG ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 \
    "$galaxy" collection install -r requirements.yml --collections-path "$share") >"$ee/galaxy.log" 2>&1 ||
    { cat "$ee/galaxy.log"; die "the galaxy stage's install failed"; }
  grep -q 'mailauth.dkim:.* was installed successfully' "$ee/galaxy.log" ||
    { cat "$ee/galaxy.log"; die "the galaxy stage did not install mailauth.dkim"; }
  # The builder stage: the context's own introspect.py, on the collections the galaxy stage installed.
  echo "builder stage, replayed here: _build/scripts/introspect.py introspect (the script the image runs)"
  py "$ctx/_build/scripts/introspect.py" introspect "$share" \
    --write-bindep="$src/bindep.txt" --write-pip="$src/requirements.txt" >/dev/null
  check_introspected "$src/requirements.txt" "$src/bindep.txt"
  echo "the bindep.txt that the builder stage's assemble script gets, on the EE platforms:"
  check_bindep "$src/bindep.txt"
}

# --- 6. wheels ----------------------------------------------------------------------------------------------
step_wheels() {
  local arch tag platforms report
  for arch in "${EE_ARCHES[@]}"; do
    platforms=()
    for tag in manylinux_2_34 manylinux_2_28 manylinux_2_17 manylinux2014; do
      platforms+=(--platform "${tag}_$arch")
    done
    report=$tmp/wheels-$arch.json
    echo "pip install --dry-run --only-binary=:all: --python-version $EE_PYTHON (manylinux $arch) -r requirements.txt"
    venv_pip "$venv" install -q --disable-pip-version-check --dry-run --ignore-installed --only-binary=:all: \
      "${platforms[@]}" --python-version "$EE_PYTHON" --implementation cp --target "$tmp/wheels-target" \
      --report "$report" -r "$tmp/ee/src/requirements.txt" ||
      die "no wheels for $arch, Python $EE_PYTHON: pip would build from source there"
    py - "$report" <<'PY'
import sys, json
report = json.load(open(sys.argv[1]))
names = set()
for item in report["install"]:
    names.add(item["metadata"]["name"].lower())
    print(f"  {item['download_info']['url'].rsplit('/', 1)[-1]}")
missing = {"dnspython", "cryptography"} - names
if missing:
    sys.exit(f"ERROR: pip did not resolve {sorted(missing)}")
PY
  done
}

# --- 7. build -----------------------------------------------------------------------------------------------
smoke_playbook() {
  cat <<'YAML'
---
- name: mailauth.dkim in the execution environment
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: A DKIM key (cryptography)
      mailauth.dkim.dkim_key:
        path: /tmp/example.com.mail.private
        domain: example.com
        selector: mail
      register: key

    - name: Its DNS records (dnspython)
      mailauth.dkim.dns_records:
        domain: example.com
        dkim:
          - record: "{{ key.record }}"
        spf:
          mx: true
      register: dns

    - name: The DKIM and SPF records are there
      ansible.builtin.assert:
        that:
          - dns.records | selectattr('fqdn', 'equalto', 'mail._domainkey.example.com.') | list | length == 1
          - dns.records | selectattr('fqdn', 'equalto', 'example.com.') | list | length == 1
YAML
}

# find_builder: sets runtime (docker or podman) and, when no image can be built here, blocker (why not)
find_builder() {
  local base
  runtime=""
  blocker=""
  if [[ $EE_BUILD == skip ]]; then
    blocker="EE_BUILD=skip"
    return
  fi
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    runtime=docker
  elif command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
    runtime=podman
  else
    blocker="no container runtime works here (docker or podman)"
    return
  fi
  base=$(py -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["images"]["base_image"]["name"])' \
    "$definition")
  if "$runtime" image inspect "$base" >/dev/null 2>&1; then
    echo "the base image $base is present"
    return
  fi
  echo "$runtime pull $base (at most ${EE_PULL_TIMEOUT}s)"
  if ! timeout "$EE_PULL_TIMEOUT" "$runtime" pull "$base" >"$tmp/pull.log" 2>&1; then
    blocker="the base image $base cannot be had: '$runtime pull' failed or took over ${EE_PULL_TIMEOUT}s"
    blocker+=" ($(tail -n 1 "$tmp/pull.log" | cut -c1-200))"
  fi
}

step_build() {
  local ee=$tmp/ee
  find_builder
  if [[ -n $blocker ]]; then
    [[ $EE_BUILD != require ]] || die "EE_BUILD=require, but no image can be built: $blocker"
    echo "SKIPPED: the image build, because $blocker."
    echo "  Steps 1-6 checked everything up to it. Where the base image can be had: EE_BUILD=require $0"
    step_result=skipped
    steps_note="image build skipped"
    return
  fi
  echo "ansible-builder build --container-runtime $runtime -t $EE_TAG"
  "$venv/bin/ansible-builder" build -f "$ee/execution-environment.yml" -c "$ee/build-context" \
    --output-filename Containerfile --container-runtime "$runtime" -t "$EE_TAG" -v 2
  echo "in the image: ansible --version, ansible-galaxy collection list, a playbook with dkim_key and dns_records"
  "$runtime" run --rm "$EE_TAG" ansible --version | sed -n '1p;/python version/p' | sed 's/^/  /'
  "$runtime" run --rm "$EE_TAG" ansible-galaxy collection list mailauth.dkim | grep '^mailauth.dkim ' | sed 's/^/  /'
  if ! smoke_playbook | "$runtime" run --rm -i "$EE_TAG" \
    bash -c 'cat >smoke.yml && ansible-playbook -i localhost, smoke.yml' >"$tmp/smoke.log" 2>&1; then
    sed 's/^/  | /' "$tmp/smoke.log"
    die "the playbook failed in the image $EE_TAG"
  fi
  sed 's/^/  | /' "$tmp/smoke.log"
  echo "image: $EE_TAG"
}

run_step "tools venv" step_venv
run_step "tarball" step_tarball
run_step "bindep" step_bindep
run_step "introspect" step_introspect
run_step "create" step_create
run_step "wheels" step_wheels
run_step "build" step_build

steps_done
