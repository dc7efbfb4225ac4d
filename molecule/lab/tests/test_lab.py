# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab, end to end: what ns serves, what mx concludes about mail from each sender (mail and mail2, which
share lab.example's keys), and that the checks can fail.

Runs as Molecule's testinfra verifier (`molecule verify -s lab`). The probe (playbooks/lab/probe.yml, the same
playbook scripts/demo.sh runs) sends a message from each sender and writes what ns serves, the readiness report
and the receiver's verdicts as JSON. The tampering test runs last and restores the record it changed.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import dkim
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest
import testinfra
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = pathlib.Path(__file__).resolve().parents[3]
LAB_DIR = ROOT / 'playbooks' / 'lab'
PLAN = yaml.safe_load((LAB_DIR / 'inventory' / 'group_vars' / 'all.yml').read_text())
SENDER = yaml.safe_load((LAB_DIR / 'inventory' / 'group_vars' / 'lab_mail.yml').read_text())
DOMAIN = PLAN['lab_domain']
HOSTS = PLAN['lab_hosts']
NS_IP = HOSTS['ns']['ipv4']
MX_NAME = HOSTS['mx']['name']
SENDERS = PLAN['lab_senders']
SENDER_IPS = dict((role, {HOSTS[role]['ipv4'], HOSTS[role]['ipv6']}) for role in SENDERS)
RSA_SELECTOR = next(d['selector'] for d in SENDER['opendkim_domains'] if d['key_type'] == 'rsa')
ED_SELECTOR = next(d['selector'] for d in SENDER['opendkim_domains'] if d['key_type'] == 'ed25519')
TSIG_NAME = PLAN['lab_tsig_key_name']


def lab_host(role):
    """The testinfra host of a lab role (ns, mx, mail), through Molecule's inventory."""
    inventory = os.environ.get('MOLECULE_INVENTORY_FILE')
    name = HOSTS[role]['inventory_hostname']
    if inventory:
        return testinfra.get_host('ansible://%s?ansible_inventory=%s' % (name, inventory))
    return testinfra.get_host('docker://%s' % name)


def run_probe(tmp_path, token, wait=True):
    """Run playbooks/lab/probe.yml and return its JSON report."""
    report = tmp_path / ('report-%s.json' % token)
    command = [
        os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
        '-i', str(LAB_DIR / 'inventory'), str(LAB_DIR / 'probe.yml'),
        '-e', 'lab_report=%s' % report, '-e', 'lab_probe_token=%s' % token,
        '-e', 'lab_probe_wait=%s' % str(wait).lower(),
    ]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return json.loads(report.read_text())


def message(report, role):
    """The probe's message from the sender `role` (mail, mail2) as the report has it."""
    found = [m for m in report['messages'] if m['sender'] == HOSTS[role]['name']]
    assert len(found) == 1, (role, [m['sender'] for m in report['messages']])
    return found[0]


def verdicts(report, method, role='mail'):
    return [v for v in message(report, role)['verdicts'] if v['method'] == method]


def dkim_verdict(report, selector, role='mail'):
    found = [v for v in verdicts(report, 'dkim', role) if v['properties'].get('header.s') == selector]
    assert len(found) == 1, 'one dkim result for s=%s expected in %s' % (selector, message(report, role)['verdicts'])
    return found[0]


def tsig_keyring():
    """The lab's TSIG key, read from ns (where prepare generated it). Never printed."""
    text = lab_host('ns').file(PLAN['lab_tsig_key_file'].replace('{{ lab_tsig_key_name }}', TSIG_NAME)).content_string
    secret = re.search(r'secret "([^"]+)"', text).group(1)
    return dns.tsigkeyring.from_text({TSIG_NAME: secret})


def served_txt(name):
    query = dns.message.make_query(name, dns.rdatatype.TXT)
    answer = dns.query.udp(query, NS_IP, timeout=5)
    return [b''.join(rdata.strings).decode() for rrset in answer.answer for rdata in rrset]


def replace_txt(name, value, keyring):
    update = dns.update.Update(DOMAIN, keyring=keyring, keyname=TSIG_NAME, keyalgorithm=dns.tsig.HMAC_SHA256)
    data = value.encode()
    strings = ' '.join('"%s"' % data[i:i + 255].decode() for i in range(0, len(data), 255))
    update.replace(dns.name.from_text(name), 300, 'TXT', strings)
    response = dns.query.tcp(update, NS_IP, timeout=10)
    assert dns.rcode.to_text(response.rcode()) == 'NOERROR'


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    return run_probe(tmp_path_factory.mktemp('probe'), 'verify%d' % int(time.time()))


@pytest.mark.parametrize('role', ['ns', 'mx', 'mail', 'mail2', 'client'])
def test_hosts_have_the_planned_addresses(role):
    addresses = lab_host(role).interface('eth0').addresses
    assert HOSTS[role]['ipv4'] in addresses
    assert HOSTS[role]['ipv6'] in addresses


@pytest.mark.parametrize('role', ['mx', 'mail', 'mail2', 'client'])
def test_mx_senders_and_client_resolve_through_ns(role):
    host = lab_host(role)
    assert host.file('/etc/resolv.conf').contains('^nameserver %s$' % re.escape(NS_IP))
    # Names that only ns knows resolve there.
    assert host.run('getent ahostsv4 %s' % HOSTS['mx']['name']).stdout.split()[0] == HOSTS['mx']['ipv4']


def test_ns_is_authoritative_with_mx_record():
    answer = dns.query.udp(dns.message.make_query(DOMAIN, dns.rdatatype.MX), NS_IP, timeout=5)
    assert answer.flags & dns.flags.AA
    assert [rdata.to_text() for rrset in answer.answer for rdata in rrset] == ['10 %s.' % MX_NAME]


def test_ns_refuses_updates_without_the_right_tsig_key():
    name = 'intruder.%s' % DOMAIN
    unsigned = dns.update.Update(DOMAIN)
    unsigned.add('intruder', 300, 'TXT', '"unsigned"')
    assert dns.query.tcp(unsigned, NS_IP, timeout=5).rcode() == dns.rcode.REFUSED

    wrong_key = dns.tsigkeyring.from_text({TSIG_NAME: 'c2VjcmV0IHRoYXQgbnMgZG9lcyBub3Qga25vdw=='})
    forged = dns.update.Update(DOMAIN, keyring=wrong_key, keyname=TSIG_NAME, keyalgorithm=dns.tsig.HMAC_SHA256)
    forged.add('intruder', 300, 'TXT', '"forged"')
    with pytest.raises(dns.tsig.PeerError):  # ns answers NOTAUTH/BADSIG
        dns.query.tcp(forged, NS_IP, timeout=5)

    assert served_txt(name) == []


def test_every_record_is_published_on_ns(report):
    records = report['dns']['records']
    kinds = sorted(r['kind'] for r in records)
    # One RSA and one Ed25519 record shared by both senders, one SPF, one DMARC, and each sender's two PTRs.
    assert kinds == ['dkim', 'dkim', 'dmarc', 'ptr', 'ptr', 'ptr', 'ptr', 'spf']
    assert [(r['fqdn'], r['status']) for r in records if r['status'] != 'published'] == []
    assert report['dns']['all_published'] is True


def test_readiness_report_is_all_green(report):
    domain = report['dns']['readiness'][DOMAIN]
    failed = [c['message'] for c in domain['checks'] if not c['ok']]
    assert failed == []
    assert domain['ready'] is True
    checked = sorted((c['check'], c['subject']) for c in domain['checks'])
    # DKIM for both keys, DMARC, and SPF and forward-confirmed PTR for the IPv4 and the IPv6 address of each sender.
    assert [pair[0] for pair in checked] == ['dkim', 'dkim', 'dmarc'] + ['ptr'] * 4 + ['spf'] * 4
    assert {subject for check, subject in checked if check == 'ptr'} == set().union(*SENDER_IPS.values())
    assert {subject for check, subject in checked if check == 'spf'} == {'%s %s' % (DOMAIN, ip) for ip in set().union(*SENDER_IPS.values())}


@pytest.mark.parametrize('role', SENDERS)
def test_message_was_routed_by_mx_lookup_from_each_sender(report, role):
    # The sender's Postfix delivered the probe to the MX host of the domain, as ns serves it.
    sent = message(report, role)
    journal = lab_host(role).run('journalctl --no-pager -o cat -t postfix/cleanup -t postfix/smtp')
    assert journal.rc == 0
    queue_ids = re.findall(r'^(\w+): message-id=%s$' % re.escape(sent['id']), journal.stdout, re.M)
    assert len(queue_ids) == 1, journal.stdout[-2000:]
    relays = re.findall(r'^%s: to=<[^>]+>, relay=([^\[,]+)\[([^\]]+)\]:25,.*status=sent' % queue_ids[0],
                        journal.stdout, re.M)
    assert relays and relays[0][0] == MX_NAME
    # and mx received it from one of that sender's addresses (with its name, from the PTR records on ns).
    received = sent['headers']['Received'][0]
    assert 'by %s' % MX_NAME in received
    assert received.startswith('from %s (%s [' % (HOSTS[role]['name'], HOSTS[role]['name'])), received
    # Postfix writes an IPv6 client as [IPv6:...]; a sender sends over IPv4 or IPv6, whichever it picks.
    assert any(re.search(r'\[(IPv6:)?%s\]' % re.escape(ip), received) for ip in SENDER_IPS[role]), received


@pytest.mark.parametrize('role', SENDERS)
def test_receiver_reports_dkim_spf_and_dmarc_pass_for_each_sender(report, role):
    """mail2 signs with the same (shared) selectors as mail, and its mail passes at mx like mail's."""
    spf = verdicts(report, 'spf', role)
    dmarc = verdicts(report, 'dmarc', role)
    assert [v['result'] for v in spf] == ['pass']
    assert spf[0]['properties']['smtp.mailfrom'] == DOMAIN
    assert [v['result'] for v in dmarc] == ['pass']
    assert dmarc[0]['properties']['header.from'] == DOMAIN
    rsa_result = dkim_verdict(report, RSA_SELECTOR, role)
    assert (rsa_result['result'], rsa_result['properties']['header.a']) == ('pass', 'rsa-sha256')
    assert rsa_result['properties']['header.d'] == DOMAIN
    assert sorted(v['properties']['header.s'] for v in verdicts(report, 'dkim', role)) == sorted([ED_SELECTOR, RSA_SELECTOR])


@pytest.mark.parametrize('role', SENDERS)
def test_receiver_verifies_the_ed25519_signature_too(report, role):
    # Dual signing: OpenDKIM 2.11 (Debian 12) on mx verifies ed25519-sha256 signatures (RFC 8463).
    signatures = message(report, role)['headers']['DKIM-Signature']
    assert sorted(re.search(r'\ba=([\w-]+);', s).group(1) for s in signatures) == ['ed25519-sha256', 'rsa-sha256']
    ed_result = dkim_verdict(report, ED_SELECTOR, role)
    assert (ed_result['result'], ed_result['properties']['header.a']) == ('pass', 'ed25519-sha256')


@pytest.mark.parametrize('role', SENDERS)
def test_signatures_verify_independently_with_dkimpy(report, role):
    """A second verifier (dkimpy on the controller, keys fetched from ns) agrees with mx."""
    raw = lab_host('mx').file(message(report, role)['path']).content_string.encode()

    def from_ns(name, timeout=5):
        return ''.join(served_txt(name.decode())).encode()

    checker = dkim.DKIM(raw)
    results = [checker.verify(idx=i, dnsfunc=from_ns) for i in range(2)]
    assert results == [True, True]


def test_tampered_dkim_record_makes_the_receiver_report_fail(report, tmp_path):
    """Replace the published RSA key with another one: a new message must fail DKIM for that selector,
    and dns_check must report the record as different. The original record is restored afterwards."""
    name = '%s._domainkey.%s' % (RSA_SELECTOR, DOMAIN)
    original = served_txt(name)
    assert len(original) == 1 and original[0].startswith('v=DKIM1; k=rsa;')
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    tampered = 'v=DKIM1; k=rsa; p=%s' % base64.b64encode(other).decode()
    keyring = tsig_keyring()
    mx = lab_host('mx')
    try:
        replace_txt(name, tampered, keyring)
        assert served_txt(name) == [tampered]
        # mx's OpenDKIM (libunbound) caches answers for their TTL; start it afresh so it asks ns now.
        assert mx.run('systemctl restart opendkim').rc == 0
        after = run_probe(tmp_path, 'tampered%d' % int(time.time()), wait=False)
        # One record for both senders: the mail of each fails for that selector.
        for role in SENDERS:
            assert dkim_verdict(after, RSA_SELECTOR, role)['result'] == 'fail'
            assert dkim_verdict(after, ED_SELECTOR, role)['result'] == 'pass'
        status = {r['fqdn']: r['status'] for r in after['dns']['records']}
        assert status[name + '.'] == 'different'
        assert after['dns']['all_published'] is False
    finally:
        replace_txt(name, original[0], keyring)
        mx.run('systemctl restart opendkim')
    assert served_txt(name) == original
