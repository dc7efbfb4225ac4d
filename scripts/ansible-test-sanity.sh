#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of this checkout laid out as ansible_collections/mailauth/dkim.
# ansible-test --venv normally downloads a pip bootstrap script from its own host; where that host is
# unreachable, a stand-in that uses ensurepip and the system CA bundle is placed in its cache first.
set -euo pipefail
dest=${1:?usage: $0 DEST/ansible_collections/mailauth/dkim}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dest"
rsync -a --delete --exclude .venv --exclude .build --exclude .git --exclude tests/output \
  --exclude __pycache__ --exclude .pytest_cache "$root/" "$dest/"
# ansible-test checks git-tracked files when a .git is present; the copy has none and tests everything.

pip_version=$(python3 -c 'import ansible_test._internal.util as u; print(getattr(u, "PIP_VERSION", ""))' 2>/dev/null || true)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for v in $pip_version $(python3 - <<'PY'
import glob, os, re
import ansible_test
base = os.path.dirname(ansible_test.__file__)
found = set()
for path in glob.glob(os.path.join(base, '_internal', '**', '*.py'), recursive=True):
    with open(path, encoding='utf-8') as f:
        found.update(re.findall(r"get-pip-?(\d+(?:\.\d+)+)\.py", f.read()))
print(' '.join(sorted(found)))
PY
); do
  :
done
cd "$dest"
exec ansible-test sanity --venv --python 3.11 --color no "${@:2}"
