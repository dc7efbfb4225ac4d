#!/usr/bin/env bash
# The collection as a user gets it, with whatever ansible-core is first on PATH: build the tarball, install it
# with `ansible-galaxy collection install` (no --force) into an empty collections path, outside this checkout
# (no project ansible.cfg), then `ansible-doc` every module and the role from that install.
# Fails on any warning (an unsupported ansible-core prints "does not support"; a refused one does not install).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mailauth-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
export ANSIBLE_NOCOLOR=1
cd "$work"

no_warning() {
  # no_warning LOG: fail, printing the log, when it has a warning. ansible-core 2.21's own internal collection
  # (ansible._protomatter, shipped without a version) makes ansible-doc -t role warn; only that line is tolerated.
  if grep -v '/ansible/_internal/ansible_collections/ansible/_protomatter' "$1" | grep -Eiq 'warning|does not support|error'; then
    cat "$1" >&2
    echo "install-check: the output above has a warning" >&2
    exit 1
  fi
}

echo ">> $(ansible --version | sed -n 1p), $(python3 --version)"
ansible-galaxy collection build --output-path "$work/dist" "$root" >/dev/null
tarball=$(ls "$work"/dist/mailauth-dkim-*.tar.gz)
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
ansible-galaxy collection install "$tarball" >install.log 2>&1 || { cat install.log >&2; exit 1; }
no_warning install.log
grep -E "was installed successfully" install.log
ansible-galaxy collection list mailauth.dkim >list.log 2>&1
no_warning list.log
grep -q '^mailauth.dkim ' list.log

for path in "$root"/plugins/modules/*.py; do
  m=$(basename "$path" .py)
  ansible-doc "mailauth.dkim.$m" >doc.txt 2>doc.log || { cat doc.log >&2; exit 1; }
  no_warning doc.log
  grep -q "mailauth.dkim.$m" doc.txt
  echo "   ansible-doc mailauth.dkim.$m: $(wc -l <doc.txt) lines"
done
ansible-doc -t role mailauth.dkim.opendkim >doc.txt 2>doc.log || { cat doc.log >&2; exit 1; }
no_warning doc.log
grep -q 'opendkim_domains' doc.txt
echo "   ansible-doc -t role mailauth.dkim.opendkim: $(wc -l <doc.txt) lines"
