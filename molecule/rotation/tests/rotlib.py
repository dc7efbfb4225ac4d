# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the rotation scenario's tests: the scenario's plan, commands in its containers, runs of converge.yml
at a given moment, what the sender signs with, what ns serves, the mailbox and verdicts on mx, and an independent
DKIM check (dkimpy with the keys ns serves). Some are copies of molecule/lab/tests/lablib.py, which reads the lab's
plan; this scenario has its own (group_vars/all.yml).
"""

from __future__ import annotations

import base64
import email
import email.policy
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import dkim
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
SCENARIO = pathlib.Path(__file__).resolve().parents[1]
PLAN = yaml.safe_load((SCENARIO / 'group_vars' / 'all.yml').read_text())
SENDER = yaml.safe_load((SCENARIO / 'group_vars' / 'lab_mail.yml').read_text())
DOMAIN = PLAN['lab_domain']
HOSTS = PLAN['lab_hosts']
NS_IP = HOSTS['ns']['ipv4']
MX_NAME = HOSTS['mx']['name']
MAIL = HOSTS['mail']['inventory_hostname']
MAILBOX = '/home/%s/Maildir/new' % PLAN['lab_mailbox_user']
RECIPIENT = '%s@%s' % (PLAN['lab_mailbox_user'], DOMAIN)
FROM = 'demo@%s' % DOMAIN
KEY_DIR = SENDER['opendkim_key_dir']
# The selector prefixes by key type (rsa: mail, ed25519: ed).
PREFIXES = dict((d['key_type'], d['selector']) for d in SENDER['opendkim_domains'])
DOCKER = '/usr/bin/docker'

_spec = importlib.util.spec_from_file_location('lab_verdicts', ROOT / 'playbooks' / 'lab' / 'filter_plugins' / 'lab_verdicts.py')
_verdicts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_verdicts)


def generation(name):
    """The selectors of a generation (202601 -> {'rsa': 'mail-202601', 'ed25519': 'ed-202601'})."""
    return dict((key_type, '%s-%s' % (prefix, name)) for key_type, prefix in PREFIXES.items())


def key_file(selector):
    return '%s/%s.%s.private' % (KEY_DIR, DOMAIN, selector)


def dexec(role, *argv, stdin=None, timeout=120, check=True):
    """Run argv in a container of the scenario (ns, mx, mail)."""
    command = [DOCKER, 'exec', '-i', HOSTS[role]['inventory_hostname']] + list(argv)
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    return done


# --- runs of the role --------------------------------------------------------------------------------------------

class Run(object):
    """One ansible-playbook run of converge.yml: return code, output, the sender's changed count and rotation report."""

    def __init__(self, done, argv):
        self.argv = argv
        self.rc = done.returncode
        self.output = done.stdout + done.stderr
        recap = [line for line in done.stdout.splitlines() if re.match(r'^%s\s+:\s+ok=' % re.escape(MAIL), line)]
        self.changed = int(re.search(r'changed=(\d+)', recap[-1]).group(1)) if recap else None
        reports = [json.loads(m.group(1)) for m in re.finditer(r'^\s*"msg": ("ROTATION-REPORT .*")$', done.stdout, re.M)]
        self.report = None
        if reports:
            value = json.loads(reports[-1].split(' ', 1)[1])
            self.report = dict((item['domain'], item) for item in value or [])

    def domain(self):
        assert self.report and DOMAIN in self.report, ('no rotation report for %s' % DOMAIN, self.tail())
        return self.report[DOMAIN]

    def changed_tasks(self):
        """The tasks that reported a change (with the lines that said so)."""
        out, task = [], None
        for line in self.output.splitlines():
            if line.startswith(('TASK [', 'RUNNING HANDLER [')):
                task = line.rstrip(' *')
            elif line.startswith('changed: ') and task:
                out.append('%s: %s' % (task, line))
        return out

    def tail(self, size=4000):
        return '%s\nchanged: %s\n...%s' % (' '.join(self.argv), '\n  '.join(self.changed_tasks()), self.output[-size:])


def inventory():
    found = os.environ.get('MOLECULE_INVENTORY_FILE')
    assert found, 'run under `molecule verify -s rotation` (it gives the inventory)'
    return found


def converge(now, *args, rotation=None):
    """converge.yml with opendkim_rotation_now = `now` (and opendkim_rotation = `rotation` when given).

    Extra vars reach every host of the inventory; only the sender applies the role, so that is what is wanted here.
    """
    extra = {'opendkim_rotation_now': now}
    if rotation is not None:
        extra['opendkim_rotation'] = rotation
    argv = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory(),
            str(SCENARIO / 'converge.yml'), '-e', json.dumps(extra)] + list(args)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_PIPELINING='true')
    started = time.monotonic()
    done = subprocess.run(argv, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=900, check=False)
    run = Run(done, argv[3:])
    sys.stderr.write('converge %s %s: rc=%s changed=%s in %.0f s\n'
                     % (now, ' '.join(args), run.rc, run.changed, time.monotonic() - started))
    return run


# --- the sender --------------------------------------------------------------------------------------------------

def signing_selectors():
    """The selectors of DOMAIN that the sender's OpenDKIM signs with: each SigningTable entry, resolved in KeyTable
    (every OpenDKIM configuration on the host, in case the role runs more than one instance)."""
    script = r'''set -e
for conf in /etc/opendkim*.conf; do
  [ -f "$conf" ] || continue
  st=$(awk '$1 == "SigningTable" {print $2}' "$conf" | sed 's/^[a-z]*://')
  kt=$(awk '$1 == "KeyTable" {print $2}' "$conf" | sed 's/^[a-z]*://')
  [ -n "$st" ] && [ -n "$kt" ] || continue
  echo "== $kt"; cat "$kt"; echo "-- $st"; cat "$st"
done'''
    out = dexec('mail', 'sh', '-c', script).stdout
    selectors = set()
    keytable = {}
    for block in out.split('== ')[1:]:
        kt_text, _sep, st_text = block.partition('\n-- ')
        for line in kt_text.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 2 and not line.startswith('#'):
                domain, selector = fields[1].split(':')[:2]
                keytable[fields[0]] = (domain, selector)
        for line in st_text.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 2 and not line.startswith('#'):
                assert fields[1] in keytable, ('SigningTable names an entry the KeyTable lacks', line, kt_text)
                domain, selector = keytable[fields[1]]
                if domain == DOMAIN:
                    selectors.add(selector)
    return selectors


def key_files():
    """The private key files of DOMAIN on the sender (names in the key directory)."""
    out = dexec('mail', 'sh', '-c', 'ls -1 %s' % KEY_DIR).stdout
    return set(name for name in out.split() if name.startswith(DOMAIN + '.') and '.private' in name)


def public_key(selector):
    """The p= value that selector's private key on the sender calls for (computed there; only the public half leaves)."""
    der = dexec('mail', 'sh', '-c', 'openssl pkey -in "$1" -pubout -outform DER | base64 -w0', 'sh',
                key_file(selector)).stdout.strip()
    raw = base64.b64decode(der)
    if raw[:12] == bytes.fromhex('302a300506032b6570032100'):
        raw = raw[12:]  # DKIM's Ed25519 p= is the bare key (RFC 8463), not the SubjectPublicKeyInfo
    return base64.b64encode(raw).decode()


def state_file():
    return dexec('mail', 'cat', '%s/%s.rotation.json' % (KEY_DIR, DOMAIN)).stdout


def host_state():
    """What a check-mode run must leave alone: state file, key files, signing tables."""
    return state_file(), sorted(key_files()), sorted(signing_selectors())


# --- ns ----------------------------------------------------------------------------------------------------------

def lookup_txt(selector):
    """(rcode name, [TXT strings]) that ns serves for selector._domainkey.DOMAIN."""
    name = '%s._domainkey.%s' % (selector, DOMAIN)
    answer = dns.query.udp(dns.message.make_query(name, dns.rdatatype.TXT), NS_IP, timeout=5)
    values = [b''.join(rdata.strings).decode() for rrset in answer.answer for rdata in rrset]
    return dns.rcode.to_text(answer.rcode()), values


def tags(record):
    return dict((k.strip(), ''.join(v.split())) for k, _eq, v in
                (item.partition('=') for item in record.split(';') if '=' in item))


# --- mail --------------------------------------------------------------------------------------------------------

def send(token):
    """Submit a message from the sender with sendmail (signed on the way out), to the mailbox on mx."""
    message = ('From: rotation <%s>\nTo: <%s>\nSubject: rotation %s\nMessage-ID: <%s@mail.%s>\n'
               'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nPhase %s of the key rotation.\n'
               % (FROM, RECIPIENT, token, token, DOMAIN, token))
    dexec('mail', '/usr/sbin/sendmail', '-f', FROM, RECIPIENT, stdin=message)


def receive(token, timeout=90):
    """The message with `token` as it reached the mailbox on mx (bytes)."""
    deadline = time.monotonic() + timeout
    script = 'cd %s 2>/dev/null && grep -lF -e "$1" -- * 2>/dev/null | head -1' % MAILBOX
    while True:
        found = dexec('mx', 'sh', '-c', script, 'sh', 'Subject: rotation ' + token, check=False).stdout.strip()
        if found:
            done = subprocess.run([DOCKER, 'exec', HOSTS['mx']['inventory_hostname'], 'cat', MAILBOX + '/' + found],
                                  capture_output=True, timeout=60, check=True)
            return done.stdout
        if time.monotonic() > deadline:
            log = dexec('mail', 'sh', '-c', 'postqueue -p; journalctl -n 30 --no-pager -u postfix@-', check=False)
            raise AssertionError('message %s did not reach mx in %d s: %s' % (token, timeout, log.stdout[-2000:]))
        time.sleep(1)


def dkim_verdicts(raw):
    """{selector: result} of the DKIM results mx recorded for DOMAIN in its Authentication-Results."""
    found = _verdicts.authentication_results(raw.decode('utf-8', 'replace'), MX_NAME)
    return dict((v['properties'].get('header.s'), v['result']) for v in found
                if v['method'] == 'dkim' and v['properties'].get('header.d') == DOMAIN)


def _signature_tags(raw):
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    return [tags(''.join(str(value).split())) for value in message.get_all('DKIM-Signature') or []]


def signatures(raw):
    """The s= of each DKIM-Signature of DOMAIN in a message."""
    return [found.get('s') for found in _signature_tags(raw) if found.get('d') == DOMAIN]


def verify_now(raw):
    """{selector: verified} for each DKIM signature of DOMAIN, dkimpy asking ns for the keys now (no cache)."""
    def txt(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        answer = dns.query.udp(dns.message.make_query(name, dns.rdatatype.TXT), NS_IP, timeout=timeout)
        return b''.join(b''.join(rdata.strings) for rrset in answer.answer for rdata in rrset)

    checker = dkim.DKIM(raw)
    return dict((found.get('s'), bool(checker.verify(idx=i, dnsfunc=txt)))
                for i, found in enumerate(_signature_tags(raw)) if found.get('d') == DOMAIN)
