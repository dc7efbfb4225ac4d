# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret in any output (issue 9, item 6): the lab's TSIG secret and the sender's DKIM private keys.

The lab's converge (playbooks/lab/tsig.yml, then playbooks/site.yml with the role publishing to ns by TSIG-signed
RFC 2136 update) runs again with -vvv --diff against the lab inventory; its whole output is searched for the TSIG
secret read from ns and for every private key on mail, in every form tests/unit/keyleak.py knows (the text, base64
at every byte alignment, hex). The logs scripts/demo.sh leaves in .build/demo are searched the same way.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest
import testinfra
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
LAB_DIR = ROOT / 'playbooks' / 'lab'
PLAN = yaml.safe_load((LAB_DIR / 'inventory' / 'group_vars' / 'all.yml').read_text())
HOSTS = PLAN['lab_hosts']
TSIG_KEY_FILE = '/etc/bind/%s.key' % PLAN['lab_tsig_key_name']
DEMO_LOGS = ROOT / '.build' / 'demo'
sys.path.insert(0, str(ROOT / 'tests' / 'unit'))
from keyleak import leaks, tsig_strings  # noqa: E402  pylint: disable=wrong-import-position


def lab_host(role):
    inventory = os.environ.get('MOLECULE_INVENTORY_FILE')
    name = HOSTS[role]['inventory_hostname']
    if inventory:
        return testinfra.get_host('ansible://%s?ansible_inventory=%s' % (name, inventory))
    return testinfra.get_host('docker://%s' % name)


@pytest.fixture(scope='module')
def secrets():
    """The TSIG secret on ns and the private keys on mail, as they are now."""
    key_file = lab_host('ns').file(TSIG_KEY_FILE).content_string
    secret = re.search(r'secret "([^"]+)"', key_file).group(1)
    mail = lab_host('mail')
    names = mail.run('find /etc/dkimkeys -name "*.private" -type f').stdout.split()
    pems = [mail.file(name).content for name in names]
    assert secret and len(pems) >= 2, (names, 'the lab has an RSA and an Ed25519 key')
    return secret, pems


def tsig_leaks(secret, *texts):
    return [s for s in tsig_strings(secret) if any(s in text for text in texts)]


@pytest.fixture(scope='module')
def verbose_run():
    """The lab's converge again, -vvv --diff, with the lab inventory (reached with docker exec)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(LAB_DIR / 'inventory'),
         str(ROOT / 'molecule' / 'lab' / 'converge.yml'), '-vvv', '--diff'],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=900)


def test_no_tsig_secret_or_private_key_in_vvv_diff_output(secrets, verbose_run):
    secret, pems = secrets
    out, err = verbose_run.stdout, verbose_run.stderr
    assert verbose_run.returncode == 0, out[-4000:] + err[-2000:]
    # The run did use the secret: -vvv output, the key read from ns, the records sent and read back by TSIG.
    # (The connection lines of -vvv are not printed in every environment; 'task path:' only in verbose runs.)
    assert 'ESTABLISH DOCKER CONNECTION' in out or '<lab-ns> ' in out or 'task path: ' in out, out[:2000]
    assert 'Read the TSIG key file' in out and 'mailauth.dkim.opendkim : Publish' in out, out[-4000:]
    found = tsig_leaks(secret, out, err)
    assert not found, 'the TSIG secret appears in the output (%d forms)' % len(found)
    found = leaks(pems, out, err)
    assert not found, 'a private key appears in the output (%d strings), e.g. %r' % (len(found), found[:1])


def test_the_search_has_teeth(secrets):
    # The same search finds the secret as the key file, a YAML value or its raw bytes in hex would show it.
    secret, pems = secrets
    import base64  # pylint: disable=import-outside-toplevel
    assert tsig_leaks(secret, 'secret "%s";' % secret)
    assert tsig_leaks(secret, 'tsig_key_secret: ' + base64.b64decode(secret).hex())
    assert tsig_leaks(secret, base64.b64encode(b'x' + base64.b64decode(secret)).decode())
    assert leaks(pems[:1], pems[0].decode())


def test_demo_logs_hold_no_secret(secrets):
    """.build/demo/*.log, written by scripts/demo.sh: no PEM block, no TSIG secret, no private key of the lab.

    The lab the demo left behind is normally the one running (demo.sh does not tear it down), so its secret and
    keys are those read now; a later `molecule test -s lab` makes new ones, and then only the generic patterns
    (a PEM private key, a BIND `secret "..."` line, an unmasked tsig_key_secret value) can find an old one.
    """
    logs = sorted(DEMO_LOGS.glob('*.log')) if DEMO_LOGS.is_dir() else []
    if not logs and not os.environ.get('MAILAUTH_DEMO_RAN'):
        pytest.skip('no .build/demo/*.log: scripts/demo.sh (make demo) has not run in this checkout')
    # scripts/test-lab.sh (make test) runs the demo first: there its logs must be there, with the secrets in use.
    assert {'create.log', 'converge.log', 'probe.log'} <= {log.name for log in logs}, logs
    assert 'Read the TSIG key file' in (DEMO_LOGS / 'converge.log').read_text(errors='replace')
    secret, pems = secrets
    for log in logs:
        text = log.read_text(errors='replace')
        assert 'PRIVATE KEY' not in text, log
        assert not re.search(r'secret\s+"[A-Za-z0-9+/=]{16,}"', text), log
        assert not re.search(r'tsig_key_secret\W{1,4}(?!VALUE_SPECIFIED_IN_NO_LOG_PARAMETER)[A-Za-z0-9+/]{16,}', text), log
        assert not tsig_leaks(secret, text), log
        assert not leaks(pems, text), log
