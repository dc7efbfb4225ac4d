# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the lab's tests that send mail (test_submission.py, test_load.py): the lab's plan, commands in the
containers, the mailbox on mx, the receiver's verdicts and an independent DKIM check (dkimpy, keys from ns).

The containers are reached with `docker exec` (the scenario's driver is Docker): the load generator runs for
minutes next to a converge, which testinfra's one-command-at-a-time connections do not do.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import io
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import time

import dkim
import dns.message
import dns.query
import dns.rdatatype
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
LAB_DIR = ROOT / 'playbooks' / 'lab'
PLAN = yaml.safe_load((LAB_DIR / 'inventory' / 'group_vars' / 'all.yml').read_text())
SENDER = yaml.safe_load((LAB_DIR / 'inventory' / 'group_vars' / 'lab_mail.yml').read_text())
DOMAIN = PLAN['lab_domain']
HOSTS = PLAN['lab_hosts']
NS_IP = HOSTS['ns']['ipv4']
MX_NAME = HOSTS['mx']['name']
MAILBOX = '/home/%s/Maildir/new' % PLAN['lab_mailbox_user']
RECIPIENT = '%s@%s' % (PLAN['lab_mailbox_user'], DOMAIN)
SUBMISSION_USER = PLAN['lab_submission_user'].replace('{{ lab_domain }}', DOMAIN)
SELECTORS = {d['selector']: d['key_type'] for d in SENDER['opendkim_domains']}
DOCKER = '/usr/bin/docker'
LOADGEN = pathlib.Path(__file__).resolve().parent / 'loadgen.py'

_spec = importlib.util.spec_from_file_location('lab_verdicts', LAB_DIR / 'filter_plugins' / 'lab_verdicts.py')
_verdicts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_verdicts)


def container(role):
    return HOSTS[role]['inventory_hostname']


def dexec(role, *argv, stdin=None, env=None, timeout=120, check=True):
    """Run argv in a lab container; `env` names variables passed from this process (values never on a command line)."""
    command = [DOCKER, 'exec', '-i']
    for name in env or {}:
        command += ['-e', name]
    command += [container(role)] + list(argv)
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
                          env=dict(os.environ, **(env or {})))
    if check:
        assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    return done


def submission_password():
    """The client's SASL password, generated on mail by prepare. Never printed."""
    return dexec('mail', 'cat', PLAN['lab_submission_password_file']).stdout.strip()


def run_playbook(*args, timeout=900):
    """ansible-playbook with the lab's inventory (docker connection), as scripts/demo.sh runs it."""
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(LAB_DIR / 'inventory')]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
    return subprocess.Popen(command + list(args), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def converge(*args, timeout=900):
    """The scenario's converge (TSIG key, then playbooks/site.yml) with extra arguments; returns (rc, output)."""
    proc = run_playbook(str(ROOT / 'molecule' / 'lab' / 'converge.yml'), *args)
    output = proc.communicate(timeout=timeout)[0]
    return proc.returncode, output


def mx_messages(pattern):
    """{file name: message bytes} of the messages in the mailbox on mx that contain `pattern` (a fixed string)."""
    script = 'cd %s && grep -lZF -e "$1" -- * 2>/dev/null | xargs -0 -r tar -cf - --' % MAILBOX
    done = subprocess.run([DOCKER, 'exec', container('mx'), 'sh', '-c', script, 'sh', pattern],
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    if not done.stdout:
        return {}
    out = {}
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        for member in archive.getmembers():
            out[member.name] = archive.extractfile(member).read()
    return out


def wait_for_messages(pattern, count, timeout):
    """Poll the mailbox on mx until `count` messages contain `pattern` (or the time is up); return them."""
    deadline = time.monotonic() + timeout
    while True:
        script = 'cd %s && grep -lF -e "$1" -- * 2>/dev/null | wc -l' % MAILBOX
        found = int(dexec('mx', 'sh', '-c', script, 'sh', pattern, check=False).stdout.strip() or 0)
        if found >= count or time.monotonic() > deadline:
            return mx_messages(pattern)
        time.sleep(2)


def delivered_at(file_name):
    """When local(8) on mx delivered a message: its Maildir name is <seconds>.V<dev>I<inode>M<microseconds>.<host>."""
    match = re.match(r'^(\d+)\.V[0-9a-f]+I[0-9a-f]+M(\d+)\.', file_name)
    assert match, file_name
    return int(match.group(1)) + int(match.group(2)) / 1e6


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def verdicts(raw, method):
    """The results mx recorded for `method` (dkim, spf, dmarc) in its Authentication-Results headers."""
    found = _verdicts.authentication_results(raw.decode('utf-8', 'replace'), MX_NAME)
    return [v for v in found if v['method'] == method]


def signatures(raw):
    """(d=, s=, a=) of each DKIM-Signature of a message."""
    out = []
    for value in parse(raw).get_all('DKIM-Signature') or []:
        tags = dict((k.strip(), ''.join(v.split())) for k, _eq, v in
                    (item.partition('=') for item in ''.join(str(value).split()).split(';') if '=' in item))
        out.append((tags.get('d'), tags.get('s'), tags.get('a')))
    return out


class DkimVerifier(object):
    """dkimpy verifying every signature of a message against the TXT records ns serves (cached per name)."""

    def __init__(self):
        self.cache = {}

    def txt(self, name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        if name not in self.cache:
            answer = dns.query.udp(dns.message.make_query(name, dns.rdatatype.TXT), NS_IP, timeout=timeout)
            self.cache[name] = b''.join(b''.join(rdata.strings) for rrset in answer.answer for rdata in rrset)
        return self.cache[name]

    def verify_all(self, raw):
        """[(d=, s=, verified)] for each signature."""
        checker = dkim.DKIM(raw)
        return [(d, s, bool(checker.verify(idx=i, dnsfunc=self.txt))) for i, (d, s, _a) in enumerate(signatures(raw))]
