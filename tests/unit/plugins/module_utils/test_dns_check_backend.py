# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""dns_check backend: record status, waiting, readiness (SPF coverage, DKIM key sizes, DMARC, PTR)."""

from __future__ import absolute_import, division, print_function

import base64
import socket
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_check_backend import (
    check,
    dkim_key_info,
    dmarc_problems,
)
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_client import DNSClientError
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import dkim_record, dmarc_record, revoked_dkim_record, spf_record
from ansible_collections.mailauth.dkim.tests.unit.dnsserver import DNSServer, SilentServer, lab_zones

V6_REV = '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.'


def rsa_p(bits, fmt=serialization.PublicFormat.SubjectPublicKeyInfo):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    return base64.b64encode(key.public_bytes(serialization.Encoding.DER, fmt)).decode()


def _der(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        head = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + head + body


def small_rsa_p(bits):
    """A syntactically valid RSA SubjectPublicKeyInfo with a modulus of `bits` bits (cryptography refuses to
    make keys this weak, but they are still found in DNS)."""
    modulus = (1 << (bits - 1)) | 1
    m = modulus.to_bytes(bits // 8, 'big')
    rsapub = _der(0x30, _der(0x02, b'\x00' + m) + _der(0x02, b'\x01\x00\x01'))
    algo = _der(0x30, _der(0x06, bytes.fromhex('2a864886f70d010101')) + b'\x05\x00')
    return base64.b64encode(_der(0x30, algo + _der(0x03, b'\x00' + rsapub))).decode()


P2048 = rsa_p(2048)
ED = base64.b64encode(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
DKIM = dkim_record('example.com', 'mail', P2048)
DKIM_ED = dkim_record('example.com', 'ed', ED, key_type='ed25519')
SPF = spf_record('example.com', {'ip4': ['192.0.2.25'], 'ip6': ['2001:db8::25']})
DMARC = dmarc_record('example.com', {'policy': 'quarantine', 'rua': 'mailto:dmarc@example.com'})


def zone_line_values(record):
    return [' '.join('"%s"' % s for s in record['strings'])]


def publish_directly(server, *records):
    for record in records:
        server.set_records(record['fqdn'], record['type'], record['ttl'], zone_line_values(record))


@pytest.fixture
def server():
    with DNSServer(lab_zones()) as srv:
        yield srv


def run(server, records, **kwargs):
    options = dict(nameservers=['127.0.0.1'], port=server.port, query_timeout=2)
    options.update(kwargs)
    return check(records, **options)


# ---- record status ------------------------------------------------------------------------------

def test_published_missing_nxdomain_nodata_and_different(server):
    publish_directly(server, DKIM)  # two strings on the wire; compared joined
    server.set_records('example.com.', 'TXT', 300, ['"v=spf1 ip4:198.51.100.7 -all"', '"other=1"'])
    server.set_records('_dmarc.example.com.', 'A', 300, ['192.0.2.1'])
    result = run(server, [DKIM, SPF, DMARC, DKIM_ED], readiness=False)
    got = [(r['fqdn'], r['status'], r['served'], r['message']) for r in result['records']]
    assert got == [
        ('mail._domainkey.example.com.', 'published', [DKIM['value']], 'mail._domainkey.example.com. TXT: published'),
        ('example.com.', 'different', ['other=1', 'v=spf1 ip4:198.51.100.7 -all'],
         "example.com. TXT: serves 'v=spf1 ip4:198.51.100.7 -all', expected '%s'" % SPF['value']),
        ('_dmarc.example.com.', 'missing', [], '_dmarc.example.com. TXT: the name exists but has no TXT record'),
        ('ed._domainkey.example.com.', 'missing', [], 'ed._domainkey.example.com. TXT: the name does not exist '
                                                      '(NXDOMAIN)'),
    ]
    assert result['all_published'] is False
    assert result['ready'] is False
    assert result['attempts'] == 1


def test_other_txt_records_do_not_make_a_record_different(server):
    server.set_records('example.com.', 'TXT', 300, ['"google-site-verification=x"'])
    result = run(server, [SPF], readiness=False)
    assert result['records'][0]['status'] == 'missing'
    assert result['records'][0]['message'] == 'example.com. TXT: no v=spf1 record among the TXT records served'


def test_ptr_record_status(server):
    records = [{'type': 'PTR', 'ip': '192.0.2.25', 'value': 'mail.example.com'},
               {'type': 'PTR', 'ip': '2001:db8::25', 'value': 'mail.example.com'}]
    server.set_records('25.2.0.192.in-addr.arpa.', 'PTR', 300, ['mail.example.com.'])
    server.set_records(V6_REV, 'PTR', 300, ['other.example.com.'])
    result = run(server, records)
    assert [(r['fqdn'], r['status']) for r in result['records']] == [
        ('25.2.0.192.in-addr.arpa.', 'published'), (V6_REV, 'different')]
    assert result['records'][1]['served'] == ['other.example.com.']
    assert result['readiness'] == {}  # PTR records alone name no mail domain


OTHER_DMARC = '_dmarc.example.com. TXT: serves %r, expected %r' % ('v=DMARC1; p=none', DMARC['value'])
NO_DMARC = '_dmarc.example.com. TXT: the name does not exist (NXDOMAIN)'


@pytest.mark.parametrize('serves, wrong, status, message', [
    # (what 127.0.0.1 and 127.0.0.2 serve, the server(s) named, worst status, message)
    ((DMARC['value'], None), ['127.0.0.2'], 'missing', '127.0.0.2: ' + NO_DMARC),
    ((DMARC['value'], 'v=DMARC1; p=none'), ['127.0.0.2'], 'different', '127.0.0.2: ' + OTHER_DMARC),
    (('v=DMARC1; p=none', DMARC['value']), ['127.0.0.1'], 'different', '127.0.0.1: ' + OTHER_DMARC),
    ((None, 'v=DMARC1; p=none'), ['127.0.0.1', '127.0.0.2'], 'different',
     '127.0.0.1: %s; 127.0.0.2: %s' % (NO_DMARC, OTHER_DMARC)),
    ((DMARC['value'], DMARC['value']), [], 'published', '_dmarc.example.com. TXT: published'),
])
def test_every_nameserver_must_serve_the_record(serves, wrong, status, message):
    """Two authoritative servers that disagree: the record is not published, and the one that is wrong is named."""
    with DNSServer(lab_zones()) as first:
        try:
            second = DNSServer(lab_zones(), host='127.0.0.2', port=first.port).start()
        except OSError as exc:  # pragma: no cover - every Linux host routes 127.0.0.0/8 to lo
            pytest.skip('cannot listen on 127.0.0.2 port %d: %s' % (first.port, exc))
        try:
            for server, value in zip((first, second), serves):
                if value is not None:
                    server.set_records(DMARC['fqdn'], 'TXT', 300, ['"%s"' % value])
            result = check([DMARC], nameservers=['127.0.0.1', '127.0.0.2'], port=first.port, readiness=False)
        finally:
            second.stop()
    entry = result['records'][0]
    assert (entry['status'], entry['message']) == (status, message)
    assert result['all_published'] is (status == 'published')
    per_server = [(s['server'], s['status'] == 'published') for s in entry['servers']]
    assert per_server == [('127.0.0.1', '127.0.0.1' not in wrong), ('127.0.0.2', '127.0.0.2' not in wrong)]


def test_two_nameservers_report_per_server(server):
    if socket.getaddrinfo('localhost', 53, 0, socket.SOCK_DGRAM)[0][4][0] != '127.0.0.1':
        pytest.skip('localhost does not resolve to 127.0.0.1 first here')
    publish_directly(server, DMARC)
    result = run(server, [DMARC], nameservers=['127.0.0.1', 'localhost'], readiness=False)
    entry = result['records'][0]
    assert entry['status'] == 'published'
    assert [s['server'] for s in entry['servers']] == ['127.0.0.1', 'localhost']
    assert [s['status'] for s in entry['servers']] == ['published', 'published']


def test_server_that_never_answers_gives_error_status_quickly():
    with SilentServer() as silent:
        start = time.monotonic()
        result = check([DMARC], nameservers=['127.0.0.1'], port=silent.port, query_timeout=0.3)
        elapsed = time.monotonic() - start
    entry = result['records'][0]
    assert entry['status'] == 'error'
    assert entry['message'] == ('no answer within 0.3 seconds from 127.0.0.1 port %d (query _dmarc.example.com. TXT)'
                                % silent.port)
    checks = result['readiness']['example.com']['checks']
    assert [(c['check'], c['ok']) for c in checks] == [('dkim', False), ('spf', False), ('dmarc', False)]
    assert checks[1]['message'].startswith('SPF: no answer within 0.3 seconds')
    assert elapsed < 5


# ---- waiting ---------------------------------------------------------------------------------------

class FakeClock(object):
    def __init__(self, on_sleep=None):
        self.now = 1000.0
        self.sleeps = []
        self.on_sleep = on_sleep

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


def test_wait_until_published(server):
    def publish_on_second_sleep(count):
        if count == 2:
            publish_directly(server, DMARC)

    fake = FakeClock(publish_on_second_sleep)
    result = run(server, [DMARC], wait=True, timeout=60, interval=5, readiness=False, sleep=fake.sleep,
                 clock=fake.clock)
    assert result['all_published'] is True
    assert result['attempts'] == 3
    assert fake.sleeps == [5, 5]
    assert result['waited'] == 10


def test_wait_gives_up_at_the_timeout(server):
    fake = FakeClock()
    result = run(server, [DMARC], wait=True, timeout=11, interval=3, readiness=False, sleep=fake.sleep,
                 clock=fake.clock)
    assert result['all_published'] is False
    assert fake.sleeps == [3, 3, 3, 2]
    assert result['attempts'] == 5
    assert result['waited'] == 11


def test_no_wait_means_one_round(server):
    fake = FakeClock()
    result = run(server, [DMARC], timeout=60, interval=1, readiness=False, sleep=fake.sleep, clock=fake.clock)
    assert result['attempts'] == 1 and fake.sleeps == []


def test_real_wait_is_bounded_against_a_silent_server():
    with SilentServer() as silent:
        start = time.monotonic()
        result = check([DMARC], nameservers=['127.0.0.1'], port=silent.port, query_timeout=0.2, wait=True,
                       timeout=1, interval=0.3, readiness=False)
        elapsed = time.monotonic() - start
    assert result['records'][0]['status'] == 'error'
    assert result['attempts'] >= 2
    assert elapsed < 1 + 0.2 * 2 + 1  # timeout plus at most one round of queries, with slack


# ---- readiness ---------------------------------------------------------------------------------------

def green_lab(server):
    publish_directly(server, DKIM, DKIM_ED, SPF, DMARC)
    server.set_records('25.2.0.192.in-addr.arpa.', 'PTR', 300, ['mail.example.com.'])
    server.set_records(V6_REV, 'PTR', 300, ['mail.example.com.'])


def test_all_green_for_ipv4_and_ipv6(server):
    green_lab(server)
    result = run(server, [DKIM, DKIM_ED, SPF, DMARC], sending_ips=['192.0.2.25', '2001:db8::25'])
    assert result['all_published'] is True
    report = result['readiness']
    assert list(report) == ['example.com']
    checks = [(c['check'], c['subject'], c['ok'], c['message']) for c in report['example.com']['checks']]
    assert checks == [
        ('dkim', 'mail._domainkey.example.com.', True, 'mail._domainkey.example.com.: 2048-bit RSA key published'),
        ('dkim', 'ed._domainkey.example.com.', True, 'ed._domainkey.example.com.: Ed25519 key published'),
        ('spf', 'example.com 192.0.2.25', True, 'SPF of example.com for 192.0.2.25: pass (matched ip4:192.0.2.25 in '
                                                'the SPF record of example.com; 0 DNS lookups)'),
        ('spf', 'example.com 2001:db8::25', True, 'SPF of example.com for 2001:db8::25: pass (matched '
                                                  'ip6:2001:db8::25 in the SPF record of example.com; 0 DNS lookups)'),
        ('dmarc', '_dmarc.example.com', True, 'DMARC policy p=quarantine published'),
        ('ptr', '192.0.2.25', True, '192.0.2.25 -> mail.example.com. -> 192.0.2.25 (forward-confirmed)'),
        ('ptr', '2001:db8::25', True, '2001:db8::25 -> mail.example.com. -> 2001:db8::25 (forward-confirmed)'),
    ]
    assert report['example.com']['ready'] is True
    assert result['ready'] is True


def test_a_revoked_record_asked_for_is_ready_and_a_revoked_key_served_instead_of_a_real_one_is_not(server):
    green_lab(server)
    revoked = revoked_dkim_record('example.com', 'old', 'rsa')
    publish_directly(server, revoked)
    result = run(server, [DKIM, revoked, SPF, DMARC], sending_ips=['192.0.2.25'])
    dkim = [(c['subject'], c['ok'], c['message']) for c in result['readiness']['example.com']['checks']
            if c['check'] == 'dkim']
    assert dkim[1] == ('old._domainkey.example.com.', True, 'old._domainkey.example.com.: revoked (empty p=), as asked')
    assert result['ready'] is True
    # The record of a key that should sign, served revoked: different, not ready.
    server.set_records(DKIM['fqdn'], 'TXT', 300, ['"v=DKIM1; k=rsa; p="'])
    result = run(server, [DKIM, SPF, DMARC], sending_ips=['192.0.2.25'])
    assert result['records'][0]['status'] == 'different' and result['ready'] is False


def test_the_key_rotation_of_each_domain_is_in_its_readiness_and_an_overdue_key_warns(server):
    green_lab(server)
    rotation = [{'domain': 'Example.com', 'active': {'rsa': 'mail-202601'}, 'age_days': 200, 'overdue': True,
                 'step': 'pre-publish a new key', 'at': '2026-07-01T00:00:00Z', 'steps': []},
                {'domain': 'other.example', 'active': {}, 'age_days': None, 'overdue': False, 'step': 'x', 'at': None}]
    result = run(server, [DKIM, SPF, DMARC], sending_ips=['192.0.2.25'], rotation=rotation)
    assert result['readiness']['example.com']['rotation'] == {
        'active': {'rsa': 'mail-202601'}, 'age_days': 200, 'overdue': True, 'step': 'pre-publish a new key',
        'at': '2026-07-01T00:00:00Z'}
    assert result['warnings'] == ['example.com: the signing key(s) mail-202601 are 200 days old, past their rotation '
                                  'period; next: pre-publish a new key']
    # An overdue key still verifies: the domain stays ready.
    assert result['ready'] is True and 'other.example' not in result['readiness']
    with pytest.raises(DNSClientError, match='rotation: each item needs a domain'):
        run(server, [DKIM], rotation=[{'active': {}}])


def test_ptr_without_forward_confirmation_fails_for_ipv4_and_ipv6(server):
    green_lab(server)
    server.set_records('25.2.0.192.in-addr.arpa.', 'PTR', 300, ['relay.example.com.'])
    server.set_records('relay.example.com.', 'A', 300, ['192.0.2.99'])
    server.set_records(V6_REV, 'PTR', 300, ['relay.example.com.'])
    server.set_records('relay.example.com.', 'AAAA', 300, ['2001:db8::99'])
    result = run(server, [DKIM, SPF, DMARC], sending_ips=['192.0.2.25', '2001:db8::25', '192.0.2.26'])
    ptr = [(c['ok'], c['message']) for c in result['readiness']['example.com']['checks'] if c['check'] == 'ptr']
    assert ptr == [
        (False, '192.0.2.25 has PTR relay.example.com., but it does not resolve back to 192.0.2.25 '
                '(relay.example.com. A: 192.0.2.99)'),
        (False, '2001:db8::25 has PTR relay.example.com., but it does not resolve back to 2001:db8::25 '
                '(relay.example.com. AAAA: 2001:db8::99)'),
        (False, 'no PTR record for 192.0.2.26 (26.2.0.192.in-addr.arpa.)'),
    ]
    assert result['readiness']['example.com']['ready'] is False
    assert result['all_published'] is True
    assert result['ready'] is False


def test_sending_ips_by_domain():
    zones = lab_zones()
    zones['example.net.'] = zones['example.com.']
    with DNSServer(zones) as server:
        green_lab(server)
        other_spf = spf_record('example.net', {'ip4': ['198.51.100.1']})
        publish_directly(server, other_spf)
        _check_sending_ips_by_domain(server, other_spf)


def _check_sending_ips_by_domain(server, other_spf):
    result = run(server, [DKIM, SPF, DMARC, other_spf], sending_ips=['192.0.2.25'],
                 sending_ips_by_domain={'example.net.': ['198.51.100.1']})
    subjects = dict((domain, [c['subject'] for c in report['checks'] if c['check'] in ('spf', 'ptr')])
                    for domain, report in result['readiness'].items())
    assert subjects == {'example.com': ['example.com 192.0.2.25', '192.0.2.25'],
                        'example.net': ['example.net 198.51.100.1', '198.51.100.1']}
    with pytest.raises(DNSClientError, match=r"^sending_ips_by_domain\[example\.net\] entry 'x' is not an IPv4 or "
                                             r"IPv6 address$"):
        run(server, [DKIM], sending_ips_by_domain={'example.net': ['x']})


def test_ptr_name_without_address_fails(server):
    green_lab(server)
    server.set_records(V6_REV, 'PTR', 300, ['nowhere.example.com.'])
    result = run(server, [DKIM], sending_ips=['2001:db8::25'])
    ptr = [c for c in result['readiness']['example.com']['checks'] if c['check'] == 'ptr']
    assert ptr[0]['ok'] is False
    assert ptr[0]['message'] == ('2001:db8::25 has PTR nowhere.example.com., but it does not resolve back to '
                                 '2001:db8::25 (nowhere.example.com. AAAA: NXDOMAIN)')


def test_spf_not_covering_a_sending_ip_and_two_spf_records(server):
    green_lab(server)
    result = run(server, [DKIM, SPF, DMARC], sending_ips=['198.51.100.1'])
    spf = [c for c in result['readiness']['example.com']['checks'] if c['check'] == 'spf']
    assert [(c['ok'], c['message']) for c in spf] == [
        (False, 'SPF of example.com for 198.51.100.1: fail (matched -all in the SPF record of example.com; '
                '0 DNS lookups)')]
    server.set_records('example.com.', 'TXT', 300, ['"%s"' % SPF['value'], '"v=spf1 -all"'])
    result = run(server, [DKIM, SPF, DMARC], sending_ips=['192.0.2.25'])
    spf = [c for c in result['readiness']['example.com']['checks'] if c['check'] == 'spf']
    assert spf[0]['message'] == ('SPF: example.com publishes 2 v=spf1 records; exactly one is allowed (receivers '
                                 'treat this as permerror)')


def test_spf_mx_a_and_include_evaluated_with_lookups(server):
    green_lab(server)
    server.set_records('example.com.', 'TXT', 300, ['"v=spf1 a:mail.example.com/32 mx include:_spf.example.com '
                                                    '-all"'])
    server.set_records('_spf.example.com.', 'TXT', 300, ['"v=spf1 ip4:203.0.113.0/24 ~all"'])
    result = run(server, [DKIM, DMARC], sending_ips=['192.0.2.25', '2001:db8::25', '203.0.113.9', '198.51.100.1'])
    spf = [c['message'] for c in result['readiness']['example.com']['checks'] if c['check'] == 'spf']
    assert spf == [
        'SPF of example.com for 192.0.2.25: pass (matched a:mail.example.com/32 in the SPF record of example.com; '
        '1 DNS lookups)',
        # a:.../32 has no IPv6 prefix, so the AAAA of mail.example.com must equal the address; it does
        'SPF of example.com for 2001:db8::25: pass (matched a:mail.example.com/32 in the SPF record of example.com; '
        '1 DNS lookups)',
        'SPF of example.com for 203.0.113.9: pass (matched include:_spf.example.com in the SPF record of '
        'example.com; 3 DNS lookups)',
        'SPF of example.com for 198.51.100.1: fail (matched -all in the SPF record of example.com; 3 DNS lookups)',
    ]


def test_without_sending_ips_spf_presence_only_and_no_ptr(server):
    green_lab(server)
    result = run(server, [DKIM, SPF, DMARC])
    checks = result['readiness']['example.com']['checks']
    assert [c['check'] for c in checks] == ['dkim', 'spf', 'dmarc']
    assert checks[1]['message'] == ('SPF record present (%s); no sending_ips given, so whether it covers them was '
                                    'not checked' % SPF['value'])
    assert result['ready'] is True


def test_missing_dkim_dmarc_and_weak_key(server):
    weak = dkim_record('example.com', 'old', small_rsa_p(768))
    publish_directly(server, weak, SPF)
    result = run(server, [weak, SPF], domains=['example.com', 'example.net'])
    report = result['readiness']
    assert [(c['check'], c['ok'], c['message']) for c in report['example.com']['checks']] == [
        ('dkim', False, 'old._domainkey.example.com.: the RSA key has 768 bits; at least 1024 are required'),
        ('spf', True, 'SPF record present (%s); no sending_ips given, so whether it covers them was not checked'
         % SPF['value']),
        ('dmarc', False, 'DMARC: _dmarc.example.com publishes no v=DMARC1 record'),
    ]
    assert report['example.net']['checks'][0]['message'] == (
        'no DKIM record for example.net was given to check; pass the records that mailauth.dkim.dns_records returns')
    assert report['example.net']['checks'][1]['message'].startswith('SPF: no server could answer example.net. TXT')


def test_dkim_record_served_different_is_not_ready(server):
    other = dkim_record('example.com', 'mail', rsa_p(1024))
    publish_directly(server, other, SPF, DMARC)
    result = run(server, [DKIM, SPF, DMARC])
    dkim = result['readiness']['example.com']['checks'][0]
    assert dkim['ok'] is False
    assert dkim['message'].startswith("mail._domainkey.example.com. TXT: serves 'v=DKIM1; k=rsa; p=")


@pytest.mark.parametrize('kwargs, message', [
    (dict(query_timeout=0), 'query_timeout must be a positive number of seconds, got 0'),
    (dict(interval=-1), 'interval must be a positive number of seconds, got -1'),
    (dict(timeout=-1), 'timeout must not be negative, got -1'),
    (dict(port=0), 'port must be between 1 and 65535, got 0'),
    (dict(records=[], domains=[]), 'give records to check, or domains to report readiness for'),
])
def test_bad_options_are_named(kwargs, message):
    records = kwargs.pop('records', [DMARC])
    with pytest.raises(DNSClientError) as exc:
        check(records, nameservers=['127.0.0.1'], **kwargs)
    assert str(exc.value) == message


def test_fail_on_raises_with_the_whole_report(server):
    publish_directly(server, DMARC)
    assert run(server, [DMARC, SPF], readiness=False, fail_on='never')['all_published'] is False
    with pytest.raises(DNSClientError) as exc:
        run(server, [DMARC, SPF], readiness=False, fail_on='missing')
    assert str(exc.value) == 'DNS is not as expected: example.com. TXT: no v=spf1 record among the TXT records served'
    report = exc.value.result
    assert report['changed'] is False and report['all_published'] is False
    assert [r['status'] for r in report['records']] == ['published', 'missing']


def test_sending_ips_are_validated():
    with pytest.raises(DNSClientError, match=r"^sending_ips entry '192\.0\.2\.300' is not an IPv4 or IPv6 address$"):
        check([DMARC], nameservers=['127.0.0.1'], sending_ips=['192.0.2.300'])


# ---- DKIM keys ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('bits', [1024, 2048, 4096])
def test_rsa_sizes_from_spki(bits):
    assert dkim_key_info('v=DKIM1; k=rsa; p=%s' % rsa_p(bits)) == ('rsa', bits, None)


@pytest.mark.parametrize('value, expected', [
    ('v=DKIM1; k=rsa; p=%s' % small_rsa_p(512), ('rsa', 512, 'the RSA key has 512 bits; at least 1024 are required')),
    ('v=DKIM1; p=%s' % small_rsa_p(1024), ('rsa', 1024, None)),
    ('v=DKIM1; k=ed25519; p=%s' % ED, ('ed25519', 256, None)),
    ('v=DKIM1; k=ed25519; p=%s' % base64.b64encode(b'x' * 31).decode(),
     ('ed25519', None, 'an Ed25519 key is 32 bytes, p= holds 31')),
    ('v=DKIM1; k=rsa; p=', ('rsa', None, 'the key is revoked (empty p=)')),
    ('v=DKIM1; k=rsa', ('rsa', None, 'the record has no p= tag')),
    ('v=DKIM1; k=rsa; p=%%%', ('rsa', None, 'p= is not valid base64')),
    ('v=DKIM1; k=rsa; p=%s' % base64.b64encode(b'hello').decode(),
     ('rsa', None, 'p= is not an RSA public key (truncated DER)')),
    ('v=DKIM1; k=rsa; p=%s' % base64.b64encode(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode(),
     ('rsa', None, 'p= is not an RSA public key (the key is not an RSA key)')),
    ('v=DKIM2; p=abc', (None, None, 'v=DKIM2 is not v=DKIM1')),
    ('v=DKIM1; k=dsa; p=AAAA', ('dsa', None, 'unknown key type k=dsa')),
])
def test_dkim_key_info(value, expected):
    assert dkim_key_info(value) == expected


# ---- DMARC --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('v=DMARC1; p=reject', ('reject', None)),
    ('v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.com', ('none', None)),
    ('v=DMARC1;p=Quarantine;sp=reject;pct=50;adkim=s;aspf=r', ('quarantine', None)),
    ('p=reject; v=DMARC1', (None, 'the record must start with v=DMARC1')),
    ('v=DMARC1; rua=mailto:a@example.com', (None, 'the record has no p= policy')),
    ('v=DMARC1; p=block', ('block', 'p=block is not one of none, quarantine, reject')),
    ('v=DMARC1; p=none; sp=drop', ('none', 'sp=drop is not one of none, quarantine, reject')),
    ('v=DMARC1; p=none; pct=150', ('none', 'pct=150 is not a number from 0 to 100')),
    ('v=DMARC1; p=none; adkim=x', ('none', 'adkim=x is not r or s')),
    ('v=DMARC1; p=none; rua=a@example.com', ('none', "rua entry 'a@example.com' is not a mailto: URI")),
    ('v=DMARC1; p=none; p=reject', (None, "the record does not parse: tag 'p' appears twice in "
                                          "'v=DMARC1; p=none; p=reject'")),
])
def test_dmarc_problems(value, expected):
    assert dmarc_problems(value) == expected


def test_large_answer_is_read_over_tcp_after_truncation(server):
    others = ['"site-verification-%d=%s"' % (i, 'x' * 200) for i in range(8)]
    server.set_records('example.com.', 'TXT', 300, others + ['"%s"' % SPF['value']])
    result = run(server, [SPF])
    assert result['records'][0]['status'] == 'published'
    assert len(result['records'][0]['served']) == 9
    assert any(e['transport'] == 'tcp' for e in server.log)
