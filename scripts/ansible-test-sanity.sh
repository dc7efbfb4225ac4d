#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of this checkout laid out as DEST = .../ansible_collections/mailauth/dkim.
# ansible-test --venv bootstraps pip in each of its virtual environments with a script it downloads from its own
# host and runs pip with PIP_CONFIG_FILE=/dev/null. Where that host is unreachable, a stand-in is put in its cache:
# it installs pip with ensurepip and then the pip release that ansible-test asked for, trusting the system CA bundle.
set -euo pipefail
dest=${1:?usage: $0 DEST/ansible_collections/mailauth/dkim [ansible-test sanity options]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dest"
rsync -a --delete --exclude /.venv --exclude /.build --exclude /.ansible --exclude /.git --exclude /tests/output \
  --exclude __pycache__ --exclude .pytest_cache --exclude '*.tar.gz' "$root/" "$dest/"

pip_version=$(python3 -c 'from ansible_test._internal.python_requirements import get_venv_packages as g; import inspect, re; print(re.search(r"pip=.([0-9.]+)", inspect.getsource(g)).group(1))')
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -s "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  if ! curl -fsS --max-time 15 -o "$cache.download" "https://ci-files.testing.ansible.com/ansible-test/get-pip-$pip_version.py" 2>/dev/null; then
    echo ">> ansible-test's pip bootstrap host is unreachable: using an ensurepip stand-in ($cache)"
    cat > "$cache.download" <<'PY'
"""Stand-in for get-pip.py: bootstrap pip from the interpreter's bundled wheel, then install what was asked for."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
cert = '/etc/ssl/certs/ca-certificates.crt'
extra = ['--cert', cert] if os.path.exists(cert) else []
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + extra + args))
PY
  fi
  mv "$cache.download" "$cache"
fi

cd "$dest"
# The Python that runs ansible-test (3.11 in .venv, 3.13 in the Debian 13 controller) is the one tested.
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
exec ansible-test sanity --venv --python "$py" --color no "$@"
