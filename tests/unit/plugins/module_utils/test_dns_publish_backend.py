# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""dns_publish backend against a real (in-process) authoritative DNS server that checks TSIG."""

from __future__ import absolute_import, division, print_function

import time

import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_client import DNSClientError
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_publish_backend import Publisher, publish
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import dkim_record, dmarc_record, spf_record
from ansible_collections.mailauth.dkim.tests.unit.dnsserver import (
    TSIG_NAME,
    TSIG_SECRET,
    WRONG_SECRET,
    DNSServer,
    SilentServer,
    lab_zones,
)

# A 2048-bit RSA DKIM key: the value is ~410 bytes, so it must travel as two strings of one TXT record.
P2048 = ('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/'
         'IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWT'
         'g0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVR'
         'IkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB')
DKIM = dkim_record('example.com', 'mail', P2048)
SPF = spf_record('example.com', {'ip4': ['192.0.2.25'], 'ip6': ['2001:db8::25']})
DMARC = dmarc_record('example.com', {'policy': 'quarantine', 'rua': 'mailto:dmarc@example.com'})
RECORDS = [DKIM, SPF, DMARC]


@pytest.fixture
def server():
    with DNSServer(lab_zones(), {TSIG_NAME: TSIG_SECRET}) as srv:
        yield srv


def run(server, records=None, **kwargs):
    options = dict(server='127.0.0.1', port=server.port, tsig_key_name=TSIG_NAME, tsig_key_secret=TSIG_SECRET,
                   timeout=5)
    options.update(kwargs)
    return publish(RECORDS if records is None else records, **options)


def statuses(result):
    return [(r['fqdn'], r['status']) for r in result['records']]


def update_rrsets(entry):
    """The add/delete RRsets of a logged UPDATE message as (name, type, class-or-deleting, [rdata text])."""
    out = []
    for rrset in entry['message'].update:
        cls = rrset.deleting if rrset.deleting is not None else rrset.rdclass
        out.append((rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype), dns.rdataclass.to_text(cls),
                    sorted(rd.to_text() for rd in rrset)))
    return out


def test_publish_creates_records_and_multi_string_txt_is_one_record(server):
    assert len(DKIM['value'].encode()) > 255
    result = run(server)
    assert result['changed'] is True
    assert statuses(result) == [('mail._domainkey.example.com.', 'created'), ('example.com.', 'created'),
                                ('_dmarc.example.com.', 'created')]
    assert result['zones_updated'] == ['example.com.']
    # one UPDATE for the zone, signed with our key, accepted
    assert [(u['opcode'], u['tsig'], u['rcode']) for u in server.updates] == [('UPDATE', TSIG_NAME, 'NOERROR')]
    # the DKIM record is ONE TXT record made of several strings, none over 255 bytes, joining to the value
    served = server.txt_strings('mail._domainkey.example.com.')
    assert len(served) == 1
    assert len(served[0]) == 2
    assert all(len(s) <= 255 for s in served[0])
    assert b''.join(served[0]).decode() == DKIM['value']
    assert [s.decode() for s in served[0]] == DKIM['strings']
    # the SPF record joined the existing, unrelated TXT record at the apex instead of replacing it
    assert server.txt_strings('example.com.') == sorted([(b'google-site-verification=kept-by-publish',),
                                                         (SPF['value'].encode(),)])
    assert server.txt_strings('_dmarc.example.com.') == [(DMARC['value'].encode(),)]
    assert server.rrset('mail._domainkey.example.com.', 'TXT').ttl == 3600
    # and the update message itself carried a single TXT rdata for the DKIM name
    adds = [r for r in update_rrsets(server.updates[0]) if r[0] == 'mail._domainkey.example.com.' and r[2] == 'IN']
    assert len(adds) == 1 and len(adds[0][3]) == 1


def test_second_publish_sends_no_update(server):
    run(server)
    assert len(server.updates) == 1
    result = run(server)
    assert result['changed'] is False
    assert result['zones_updated'] == []
    assert statuses(result) == [('mail._domainkey.example.com.', 'unchanged'), ('example.com.', 'unchanged'),
                                ('_dmarc.example.com.', 'unchanged')]
    assert len(server.updates) == 1
    assert result['diff'] == {'before': '', 'after': ''}


def test_check_mode_sends_nothing_then_apply_then_nothing_to_do(server):
    result = run(server, check_mode=True)
    assert result['changed'] is True
    assert [r['status'] for r in result['records']] == ['created', 'created', 'created']
    assert server.updates == []
    assert server.txt_strings('mail._domainkey.example.com.') == []
    assert 'mail._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; p=' in result['diff']['after']
    run(server)
    assert len(server.updates) == 1
    again = run(server, check_mode=True)
    assert again['changed'] is False
    assert len(server.updates) == 1


def test_changed_value_is_replaced_and_reported(server):
    server.set_records('example.com.', 'TXT', 3600, ['"v=spf1 ip4:198.51.100.1 -all"',
                                                     '"google-site-verification=kept-by-publish"'])
    result = run(server, records=[SPF])
    assert statuses(result) == [('example.com.', 'updated')]
    assert sorted(result['records'][0]['served_before']) == [
        'google-site-verification=kept-by-publish', 'v=spf1 ip4:198.51.100.1 -all']
    assert 'v=spf1 ip4:198.51.100.1 -all' in result['diff']['before']
    assert 'v=spf1 ip4:198.51.100.1' not in result['diff']['after']
    assert server.txt_strings('example.com.') == sorted([(b'google-site-verification=kept-by-publish',),
                                                         (SPF['value'].encode(),)])


@pytest.mark.parametrize('served', [
    # same logical value, split differently: not exactly the right RRset
    ['"%s" "%s"' % (DKIM['value'][:100], DKIM['value'][100:300]) + ' "%s"' % DKIM['value'][300:]],
    # two key records at one name (a broken earlier publication)
    [' '.join('"%s"' % s for s in DKIM['strings']), '"v=DKIM1; k=rsa; p=OLD"'],
])
def test_rrset_that_is_not_exactly_right_is_replaced(server, served):
    server.set_records('mail._domainkey.example.com.', 'TXT', 3600, served)
    result = run(server, records=[DKIM])
    assert statuses(result) == [('mail._domainkey.example.com.', 'updated')]
    assert server.txt_strings('mail._domainkey.example.com.') == [tuple(s.encode() for s in DKIM['strings'])]


def test_ttl_change_alone_updates(server):
    run(server, records=[DMARC])
    result = run(server, records=[dict(DMARC, ttl=600)])
    assert statuses(result) == [('_dmarc.example.com.', 'updated')]
    assert server.rrset('_dmarc.example.com.', 'TXT').ttl == 600


def test_ptr_records_for_ipv4_and_ipv6_go_to_their_reverse_zones(server):
    records = [{'type': 'PTR', 'ip': '192.0.2.25', 'value': 'mail.example.com'},
               {'type': 'PTR', 'ip': '2001:db8::25', 'value': 'mail.example.com.'}]
    result = run(server, records=records)
    assert [(r['fqdn'], r['zone'], r['status']) for r in result['records']] == [
        ('25.2.0.192.in-addr.arpa.', '2.0.192.in-addr.arpa.', 'created'),
        ('5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.',
         '0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.', 'created')]
    assert len(server.updates) == 2  # one UPDATE per zone
    assert [rd.to_text() for rd in server.rrset('25.2.0.192.in-addr.arpa.', 'PTR')] == ['mail.example.com.']
    six = '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.'
    assert [rd.to_text() for rd in server.rrset(six, 'PTR')] == ['mail.example.com.']
    assert run(server, records=records)['changed'] is False
    assert len(server.updates) == 2
    # a PTR pointing elsewhere is replaced, not added to
    moved = run(server, records=[{'type': 'PTR', 'ip': '192.0.2.25', 'value': 'mx.example.com'}])
    assert statuses(moved) == [('25.2.0.192.in-addr.arpa.', 'updated')]
    assert [rd.to_text() for rd in server.rrset('25.2.0.192.in-addr.arpa.', 'PTR')] == ['mx.example.com.']


def test_zones_option_skips_soa_discovery(server):
    run(server, records=[DMARC], zones=['example.com', '2.0.192.in-addr.arpa'])
    queries = [e['message'].question[0] for e in server.log if e['opcode'] == 'QUERY']
    assert [dns.rdatatype.to_text(q.rdtype) for q in queries] == ['TXT']


def test_absent_removes_only_our_records(server):
    run(server)
    result = run(server, records=[DKIM, SPF], state='absent')
    assert statuses(result) == [('mail._domainkey.example.com.', 'deleted'), ('example.com.', 'deleted')]
    assert server.rrset('mail._domainkey.example.com.', 'TXT') is None
    assert server.txt_strings('example.com.') == [(b'google-site-verification=kept-by-publish',)]
    assert server.txt_strings('_dmarc.example.com.') == [(DMARC['value'].encode(),)]
    count = len(server.updates)
    again = run(server, records=[DKIM, SPF], state='absent')
    assert again['changed'] is False
    assert [r['status'] for r in again['records']] == ['absent', 'absent']
    assert len(server.updates) == count


def test_wrong_tsig_secret_is_refused_and_nothing_changes(server):
    with pytest.raises(DNSClientError) as err:
        run(server, tsig_key_secret=WRONG_SECRET)
    message = str(err.value)
    assert message == (
        "DNS server 127.0.0.1 port %d refused the update of zone example.com. (mail._domainkey.example.com. TXT, "
        "example.com. TXT, _dmarc.example.com. TXT): TSIG error BADSIG: the server rejected the signature; the "
        "tsig_key_secret of key 'mail-update.' does not match the server's" % server.port)
    assert WRONG_SECRET not in message and TSIG_SECRET not in message
    assert err.value.result == {'changed': False, 'zones_updated': []}  # what the module fails with
    assert [(u['tsig'], u['rcode']) for u in server.updates] == [('error:BADSIG', 'NOTAUTH')]
    assert server.txt_strings('mail._domainkey.example.com.') == []


def test_unknown_tsig_key_is_refused(server):
    with pytest.raises(DNSClientError, match=r"TSIG error BADKEY: the server does not know key 'other-key\.' with "
                                             r"algorithm hmac-sha256$"):
        run(server, records=[DMARC], tsig_key_name='other-key.')
    assert server.rrset('_dmarc.example.com.', 'TXT') is None


def test_unsigned_update_is_refused_by_the_test_server(server):
    """The fixture itself: without TSIG the server refuses (so a passing publish test proves the signature)."""
    import dns.query
    import dns.update
    update = dns.update.UpdateMessage('example.com.')
    update.add('x.example.com.', 300, 'TXT', '"hello"')
    response = dns.query.tcp(update, '127.0.0.1', port=server.port, timeout=5)
    assert response.rcode() == dns.rcode.REFUSED
    assert server.rrset('x.example.com.', 'TXT') is None


def test_concurrent_change_is_not_overwritten(server):
    publisher = Publisher('127.0.0.1', server.port, TSIG_NAME, TSIG_SECRET, 'hmac-sha256', None, 5, 'present')
    changes = publisher.plan([DMARC])
    server.set_records('_dmarc.example.com.', 'TXT', 300, ['"v=DMARC1; p=none"'])  # someone else, meanwhile
    with pytest.raises(DNSClientError, match=r'refused the update of zone example\.com\. \(_dmarc\.example\.com\. '
                                             r'TXT\): YXRRSET: the records changed on the server while this task '
                                             r'ran; run it again$'):
        publisher.apply(changes)
    assert server.txt_strings('_dmarc.example.com.') == [(b'v=DMARC1; p=none',)]


def test_name_outside_served_zones_is_named(server):
    record = spf_record('example.org', {'ip4': ['192.0.2.25']})
    with pytest.raises(DNSClientError) as err:
        run(server, records=[record])
    assert str(err.value) == ('DNS server 127.0.0.1 port %d answered REFUSED and no SOA when asked which zone holds '
                              'example.org.; it is not authoritative for it (or give the zone in `zones`)'
                              % server.port)
    with pytest.raises(DNSClientError, match=r'^example\.org\. is in none of the zones given \(example\.com\.\)$'):
        run(server, records=[record], zones=['example.com'])
    with pytest.raises(DNSClientError, match=r'answered REFUSED when asked for example\.org\. TXT; it does not serve '
                                             r'zone example\.org\.$'):
        run(server, records=[record], zones=['example.org'])
    assert server.updates == []


def test_server_that_never_answers_times_out():
    with SilentServer() as silent:
        start = time.monotonic()
        with pytest.raises(DNSClientError) as err:
            publish([DMARC], '127.0.0.1', port=silent.port, tsig_key_name=TSIG_NAME, tsig_key_secret=TSIG_SECRET,
                    timeout=0.5)
        assert time.monotonic() - start < 5
    assert str(err.value) == ('no answer from DNS server 127.0.0.1 port %d within 0.5 seconds (query '
                              '_dmarc.example.com. SOA)' % silent.port)


@pytest.mark.parametrize('records, kwargs, message', [
    ([{'fqdn': 'example.com.', 'type': 'MX', 'value': '10 mail'}], {},
     "records[0] (example.com.): type 'MX' is not supported; use one of TXT, PTR"),
    ([{'type': 'TXT', 'value': 'v=spf1 -all'}], {},
     'records[0]: has no fqdn (the absolute record name, e.g. "mail._domainkey.example.com.")'),
    ([{'fqdn': 'a.example.com.', 'strings': ['x' * 256]}], {},
     "records[0] (a.example.com.): TXT string '%s' is 256 bytes long; each string of a TXT record holds at most 255"
     % ('x' * 256)),
    ([{'fqdn': 'a.example.com.', 'strings': ['ab', 'c'], 'value': 'abd'}], {},
     "records[0] (a.example.com.): strings ['ab', 'c'] do not join to value 'abd'"),
    ([{'fqdn': 'a.example.com.', 'value': 'x', 'ttl': 'soon'}], {},
     "records[0] (a.example.com.): ttl 'soon' is not an integer"),
    ([{'type': 'PTR', 'ip': '192.0.2.300', 'value': 'mail.example.com'}], {},
     "records[0] (192.0.2.300): ptr entry ip '192.0.2.300' is not an IP address"),
    ([SPF, dict(SPF, value='v=spf1 -all', strings=None)], {},
     'records[0] and records[1] are both v=spf1 records for example.com.; a name holds only one'),
    ([SPF], {'tsig_key_secret': 'not base64!'},
     "tsig_key_secret for key 'mail-update.' is not valid base64 (the secret itself is not shown)"),
    ([SPF], {'tsig_algorithm': 'hmac-sha3'},
     "tsig_algorithm 'hmac-sha3' is not supported; use one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, "
     "hmac-sha1, hmac-md5"),
    ([SPF], {'timeout': 0}, 'timeout must be a positive number of seconds, got 0'),
    ([SPF], {'port': 70000}, 'port must be between 1 and 65535, got 70000'),
])
def test_bad_input_is_named_before_any_traffic(server, records, kwargs, message):
    with pytest.raises(DNSClientError) as err:
        run(server, records=records, **kwargs)
    assert str(err.value) == message
    assert server.log == []


def test_large_answer_is_read_over_tcp_after_truncation(server):
    """Many TXT records at the apex make the answer too big for UDP: the server sets TC and the client asks
    again over TCP, then keeps all of those records while adding SPF."""
    others = ['"site-verification-%d=%s"' % (i, 'x' * 200) for i in range(8)]
    server.set_records('example.com.', 'TXT', 3600, others)
    result = run(server, records=[SPF])
    assert statuses(result) == [('example.com.', 'created')]
    queries = [(e['transport'], e['message'].question[0].name.to_text()) for e in server.log if e['opcode'] == 'QUERY']
    assert ('udp', 'example.com.') in queries and ('tcp', 'example.com.') in queries
    served = server.txt_strings('example.com.')
    assert len(served) == 9 and (SPF['value'].encode(),) in served
    assert run(server, records=[SPF])['changed'] is False


def test_update_outside_the_keys_policy_is_refused():
    with DNSServer(lab_zones(), {TSIG_NAME: TSIG_SECRET}, policy={TSIG_NAME: ['_domainkey.example.com.']}) as srv:
        assert run(srv, records=[DKIM])['changed'] is True
        with pytest.raises(DNSClientError) as err:
            run(srv, records=[DMARC])
        assert str(err.value) == (
            "DNS server 127.0.0.1 port %d refused the update of zone example.com. (_dmarc.example.com. TXT): REFUSED: "
            "the server does not allow key 'mail-update.' to change these records (check its allow-update or "
            "update-policy for these names and types)" % srv.port)
        assert srv.rrset('_dmarc.example.com.', 'TXT') is None


def test_failure_after_one_zone_reports_the_zones_already_updated():
    ptr = {'type': 'PTR', 'ip': '192.0.2.25', 'value': 'mail.example.com'}
    with DNSServer(lab_zones(), {TSIG_NAME: TSIG_SECRET}, policy={TSIG_NAME: ['_domainkey.example.com.']}) as srv:
        with pytest.raises(DNSClientError) as err:
            run(srv, records=[DKIM, ptr])
        assert str(err.value).endswith('; zones already updated in this run: example.com.')
        assert err.value.result == {'changed': True, 'zones_updated': ['example.com.']}
        assert srv.rrset('mail._domainkey.example.com.', 'TXT') is not None
