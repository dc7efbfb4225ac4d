# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No unsigned and no lost mail across a converge (issue 9, item 1).

While the role runs with a change that OpenDKIM must pick up (a new domain with a new key: new KeyTable and
SigningTable lines, a new key file, new DNS records), three load generators (loadgen.py) submit mail for the mailbox
on mx: SMTP on port 25 from mail itself, submission on 587 with SASL login from client, and sendmail on mail.
Afterwards every message must have arrived exactly once (unique Message-IDs counted on mx), each carrying a
signature for every key of the lab domain that both mx and dkimpy (keys from ns) verify; none unsigned. The role
must have reloaded OpenDKIM (same process, "configuration reloaded" in its log while the load ran), and the new
domain must be signed afterwards. The counts and the submit-to-delivery delay are printed.

The lab is put back as converge left it (without the extra domain) at the end; the key made for the extra domain
stays on mail (the role never deletes keys) and is reused by the next run.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import time

import pytest

import lablib
from lablib import DOMAIN, HOSTS, RECIPIENT, SELECTORS

ADDED_DOMAIN = 'added.%s' % DOMAIN
ADDED_SELECTOR = 'rsa2026'
PATHS = {
    # path: (container, host, port)
    'smtp': ('mail', '127.0.0.1', 25),
    'submission': ('client', HOSTS['mail']['ipv4'], 587),
    'sendmail': ('mail', '-', 0),
}
MIN_PER_PATH = 100          # at least 300 messages in all
MAX_PER_PATH = 400          # bounded in count...
MAX_SECONDS = 240           # ...and in time
INTERVAL = 0.5              # one message per path every 0.5 s while the converge runs
DELIVERY_TIMEOUT = 240


def opendkim_pids():
    services = ['opendkim', 'opendkim-ed25519']
    out = lablib.dexec('mail', 'systemctl', 'show', '-p', 'MainPID', '--value', *services).stdout.split()
    return dict(zip(services, out))


def key_table():
    return lablib.dexec('mail', 'cat', '/etc/opendkim/KeyTable').stdout


def with_added_domain(tmp_path):
    """An extra-vars file: the lab's opendkim_domains plus a new domain with its own RSA key, for the senders only.

    Extra vars reach every host, and the role counts every host of the inventory that has opendkim_domains as a
    mail server of the domain (docs/role.md, "Fleets"); so opendkim_domains is the new list on the hosts of lab_mail
    and empty elsewhere. On the two senders the lab's opendkim_fleet_keys makes the new key a shared one.
    """
    domains = lablib.SENDER['opendkim_domains'] + [
        {'domain': ADDED_DOMAIN, 'selector': ADDED_SELECTOR, 'key_type': 'rsa', 'key_size': 2048}]
    path = tmp_path / 'added-domain.json'
    path.write_text(json.dumps({'lab_load_domains': domains,
                                'opendkim_domains': "{{ lab_load_domains if 'lab_mail' in group_names else [] }}"}))
    return path


def start_generator(path, run, stop_file, password):
    role, host, port = PATHS[path]
    env = {'LAB_PASSWORD': password, 'LAB_PASSWORD_USER': lablib.SUBMISSION_USER} if path == 'submission' else {}
    command = [lablib.DOCKER, 'exec'] + sum((['-e', name] for name in env), []) + [
        lablib.container(role), 'python3', '-c', lablib.LOADGEN.read_text(), path, host, str(port), run, 'load-%s@%s' % (path, DOMAIN), RECIPIENT,
        str(MIN_PER_PATH), str(MAX_PER_PATH), str(MAX_SECONDS), str(INTERVAL), stop_file]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, **env))


def handler_lines(output, name):
    """The result lines of the handler `name` in a playbook's output (ok/changed/skipping... with an item)."""
    match = re.search(r'^RUNNING HANDLER \[[^]]*%s[^]]*\][^\n]*\n(.*?)\n\n' % re.escape(name), output, re.M | re.S)
    assert match, 'handler %r did not run' % name
    return [line for line in match.group(1).splitlines() if '(item=' in line]


def reloads_logged(since):
    """Times (epoch) of "configuration reloaded" lines of mail's OpenDKIM since `since`."""
    journal = lablib.dexec('mail', 'journalctl', '--no-pager', '-o', 'short-unix', '--since', '@%d' % int(since),
                           '-u', 'opendkim', '-u', 'opendkim-ed25519').stdout
    return [(float(line.split()[0]), line) for line in journal.splitlines() if 'configuration reloaded from' in line]


@pytest.fixture(scope='module')
def base_state():
    """The lab as converge left it (no extra domain); put back afterwards."""
    if ADDED_DOMAIN in key_table():
        rc, output = lablib.converge()
        assert rc == 0, output[-4000:]
    yield
    rc, output = lablib.converge()
    assert rc == 0, output[-4000:]
    assert ADDED_DOMAIN not in key_table()


@pytest.fixture(scope='module')
def load_run(base_state, tmp_path_factory):
    """Run the converge with the added domain under load; return what happened."""
    tmp_path = tmp_path_factory.mktemp('load')
    run = 'r%d' % time.time()
    stop_file = '/tmp/mailauth-load-stop-%s' % run
    pids_before = opendkim_pids()
    password = lablib.submission_password()
    started = time.time()
    generators = dict((path, start_generator(path, run, stop_file, password)) for path in PATHS)
    time.sleep(2)
    converge_started = time.time()
    rc, output = lablib.converge('-e', '@%s' % with_added_domain(tmp_path))
    converge_seconds = time.time() - converge_started
    time.sleep(2)
    for role in ('mail', 'client'):
        lablib.dexec(role, 'touch', stop_file)
    results = {}
    for path, proc in generators.items():
        out, err = proc.communicate(timeout=MAX_SECONDS + 60)
        assert proc.returncode == 0, (path, err[-2000:])
        results[path] = [json.loads(line) for line in out.splitlines() if line.startswith('{')]
    for role in ('mail', 'client'):
        lablib.dexec(role, 'rm', '-f', stop_file)
    sent = sum(len(r) for r in results.values())
    messages = lablib.wait_for_messages('X-Load-Run: %s' % run, sent, DELIVERY_TIMEOUT)
    return {'run': run, 'rc': rc, 'output': output, 'converge_seconds': converge_seconds, 'started': started,
            'converge_started': converge_started,
            'results': results, 'messages': messages, 'pids_before': pids_before, 'pids_after': opendkim_pids()}


def test_load_across_a_converge_every_message_delivered_once_and_signed(load_run, capsys):
    assert load_run['rc'] == 0, load_run['output'][-4000:]
    results = load_run['results']
    submitted = [r for path in results for r in results[path]]
    refused = [r for r in submitted if not r.get('ok')]
    sent_ids = set(r['message_id'] for r in submitted)

    delivered = {}
    duplicates = []
    delays = []
    unsigned, unverified, mx_not_pass = [], [], []
    verifier = lablib.DkimVerifier()
    by_id = dict((r['message_id'], r) for r in submitted)
    for name, raw in load_run['messages'].items():
        message = lablib.parse(raw)
        message_id = message['Message-ID']
        if message_id in delivered:
            duplicates.append(message_id)
            continue
        delivered[message_id] = raw
        if message_id in by_id:
            delays.append(lablib.delivered_at(name) - by_id[message_id]['submitted'])
        ours = sorted(s for d, s, a in lablib.signatures(raw) if d == DOMAIN)
        if not ours:
            unsigned.append(message_id)
            continue
        verified = verifier.verify_all(raw)
        if ours != sorted(SELECTORS) or not all(ok for d, s, ok in verified):
            unverified.append((message_id, verified))
        mx_results = dict((v['properties'].get('header.s'), v['result']) for v in lablib.verdicts(raw, 'dkim'))
        if mx_results != dict((s, 'pass') for s in SELECTORS):
            mx_not_pass.append((message_id, mx_results))
    signed_and_verified = len(delivered) - len(unsigned) - len(set(m for m, _r in unverified) | set(m for m, _r in mx_not_pass))
    reloads = reloads_logged(load_run['started'])
    first = min(r['submitted'] for r in submitted)
    last = max(r['submitted'] for r in submitted)

    with capsys.disabled():
        print('\n[load] converge with %s added under load: %.0f s; OpenDKIM pids before %s, after %s; reloads logged '
              'at %s s after the first submission' % (
                  ADDED_DOMAIN, load_run['converge_seconds'], load_run['pids_before'], load_run['pids_after'],
                  ', '.join('%+.1f' % (t - first) for t, _line in reloads)))
        for path in PATHS:
            rows = results[path]
            print('[load]   %-10s sent %3d, refused %d' % (path, len(rows), sum(1 for r in rows if not r.get('ok'))))
        print('[load] sent %d (over %.0f s), delivered %d (unique Message-IDs at mx), duplicates %d, '
              'signed and verified %d, unsigned %d, signature not verified %d, mx verdict not pass %d'
              % (len(submitted), last - first, len(delivered), len(duplicates), signed_and_verified, len(unsigned),
                 len(unverified), len(mx_not_pass)))
        if delays:
            print('[load] delay submit -> delivery at mx: median %.2f s, p95 %.2f s, max %.2f s'
                  % (statistics.median(delays), sorted(delays)[int(len(delays) * 0.95) - 1], max(delays)))

    assert len(submitted) >= 3 * MIN_PER_PATH and all(len(results[p]) >= MIN_PER_PATH for p in PATHS)
    assert len(sent_ids) == len(submitted)
    assert refused == [], refused[:5]
    assert set(delivered) - sent_ids == set()
    assert sorted(sent_ids - set(delivered))[:5] == [], 'lost (not delivered within %d s)' % DELIVERY_TIMEOUT
    assert duplicates == []
    assert unsigned == [], unsigned[:5]
    assert unverified == [], unverified[:5]
    assert mx_not_pass == [], mx_not_pass[:5]
    assert signed_and_verified == len(submitted)
    # The change reached OpenDKIM by a reload, while mail was being submitted: same processes, and the reload
    # (OpenDKIM logs it when the next connection comes in) fell inside the load.
    assert load_run['pids_before'] == load_run['pids_after']
    # Both senders sign lab.example and so get the added domain (its key is shared: made on mail, copied to mail2);
    # each reloads its OpenDKIM.
    assert sorted(handler_lines(load_run['output'], 'Reload OpenDKIM services')) == sorted(
        'changed: [%s] => (item=opendkim: changed: /etc/opendkim/KeyTable, /etc/opendkim/SigningTable)'
        % HOSTS[role]['inventory_hostname'] for role in lablib.PLAN['lab_senders'])
    assert handler_lines(load_run['output'], 'Restart OpenDKIM services') == []
    assert any(load_run['converge_started'] < t < last for t, line in reloads if 'opendkim.conf' in line), reloads


def test_the_added_domain_is_signed_after_the_reload(load_run):
    """The reload applied the new KeyTable and SigningTable: mail from the new domain is signed with its new key,
    which verifies against the record the role published to ns."""
    assert load_run['rc'] == 0
    message_id = '<added.%s@%s>' % (load_run['run'], ADDED_DOMAIN)
    text = ('From: <someone@%s>\nTo: <%s>\nSubject: added domain\nMessage-ID: %s\n\nSigned after a reload.\n'
            % (ADDED_DOMAIN, RECIPIENT, message_id))
    lablib.dexec('mail', '/usr/sbin/sendmail', '-oi', '-f', 'someone@%s' % ADDED_DOMAIN, RECIPIENT, stdin=text)
    found = lablib.wait_for_messages('Message-ID: %s' % message_id, 1, 60)
    assert len(found) == 1
    raw = next(iter(found.values()))
    assert [(d, s) for d, s, a in lablib.signatures(raw)] == [(ADDED_DOMAIN, ADDED_SELECTOR)]
    assert lablib.DkimVerifier().verify_all(raw) == [(ADDED_DOMAIN, ADDED_SELECTOR, True)]
    assert [v['result'] for v in lablib.verdicts(raw, 'dkim')] == ['pass']
