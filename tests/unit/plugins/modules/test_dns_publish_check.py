# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dns_publish and dns_check modules as a play runs them: arguments in, JSON out."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import dmarc_record, spf_record
from ansible_collections.mailauth.dkim.plugins.modules import dns_check, dns_publish
from ansible_collections.mailauth.dkim.tests.unit.dnsserver import (
    TSIG_NAME,
    TSIG_SECRET,
    WRONG_SECRET,
    DNSServer,
    lab_zones,
)

SPF = spf_record('example.com', {'ip4': ['192.0.2.25']})
DMARC = dmarc_record('example.com', {'policy': 'reject'})
DKIM = {  # as dkim_key/dns_records return it, value over 255 bytes
    'fqdn': 'mail._domainkey.example.com.', 'name': 'mail._domainkey', 'type': 'TXT', 'ttl': 3600,
    'domain': 'example.com', 'kind': 'dkim', 'selector': 'mail', 'key_type': 'rsa',
    'value': 'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ff'
             'At0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWao'
             'Lcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiK'
             'RkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwID'
             'AQAB',
}


@pytest.fixture
def server():
    with DNSServer(lab_zones(), {TSIG_NAME: TSIG_SECRET}) as srv:
        yield srv


def run_module(module, args, capsys, check_mode=False, diff=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    out = json.loads(capsys.readouterr().out)
    out['rc'] = exc.value.code
    return out


def publish_args(server, **extra):
    args = dict(records=[DKIM, SPF, DMARC], server='127.0.0.1', port=server.port, tsig_key_name=TSIG_NAME,
                tsig_key_secret=TSIG_SECRET, timeout=5)
    args.update(extra)
    return args


def test_publish_check_apply_check_apply(server, capsys):
    first = run_module(dns_publish, publish_args(server), capsys, check_mode=True, diff=True)
    assert (first['rc'], first['changed']) == (0, True)
    assert server.updates == []
    assert first['diff']['before'] == 'example.com. 300 IN TXT "google-site-verification=kept-by-publish"\n'
    assert first['diff']['after'].splitlines() == [
        'mail._domainkey.example.com. 3600 IN TXT "%s" "%s"' % (DKIM['value'][:255], DKIM['value'][255:]),
        'example.com. 3600 IN TXT "google-site-verification=kept-by-publish"',
        'example.com. 3600 IN TXT "%s"' % SPF['value'],
        '_dmarc.example.com. 3600 IN TXT "%s"' % DMARC['value'],
    ]
    applied = run_module(dns_publish, publish_args(server), capsys, diff=True)
    assert (applied['rc'], applied['changed'], applied['zones_updated']) == (0, True, ['example.com.'])
    assert [r['status'] for r in applied['records']] == ['created', 'created', 'created']
    assert len(server.updates) == 1
    assert server.txt_strings('mail._domainkey.example.com.') == [
        (DKIM['value'][:255].encode(), DKIM['value'][255:].encode())]
    again = run_module(dns_publish, publish_args(server), capsys, check_mode=True, diff=True)
    assert (again['changed'], 'diff' in again) == (False, False)
    last = run_module(dns_publish, publish_args(server), capsys)
    assert last['changed'] is False
    assert [r['status'] for r in last['records']] == ['unchanged', 'unchanged', 'unchanged']
    assert len(server.updates) == 1
    for result in (first, applied, again, last):
        assert TSIG_SECRET not in json.dumps(result)


def test_publish_wrong_secret_fails_naming_records_without_secret(server, capsys):
    result = run_module(dns_publish, publish_args(server, tsig_key_secret=WRONG_SECRET, records=[SPF]), capsys)
    assert result['failed'] is True and result['rc'] == 1
    assert result['msg'] == (
        "DNS server 127.0.0.1 port %d refused the update of zone example.com. (example.com. TXT): TSIG error BADSIG: "
        "the server rejected the signature; the tsig_key_secret of key 'mail-update.' does not match the server's"
        % server.port)
    assert result['changed'] is False
    assert WRONG_SECRET not in json.dumps(result)
    assert server.txt_strings('example.com.') == [(b'google-site-verification=kept-by-publish',)]


def test_publish_bad_port_is_named(server, capsys):
    result = run_module(dns_publish, publish_args(server, port=70000), capsys)
    assert result['msg'] == 'port must be between 1 and 65535, got 70000'
    assert server.log == []


def test_check_reports_without_failing_then_fails_when_asked(server, capsys):
    args = dict(records=[SPF, DMARC], nameservers=['127.0.0.1'], port=server.port, query_timeout=2)
    result = run_module(dns_check, args, capsys)
    assert result['rc'] == 0 and result['changed'] is False and 'failed' not in result
    assert [r['status'] for r in result['records']] == ['missing', 'missing']
    assert result['all_published'] is False and result['ready'] is False
    failed = run_module(dns_check, dict(args, fail_on='missing'), capsys)
    assert failed['failed'] is True
    assert failed['msg'] == ('DNS is not as expected: example.com. TXT: no v=spf1 record among the TXT records '
                             'served; _dmarc.example.com. TXT: the name does not exist (NXDOMAIN)')
    assert failed['records'][0]['status'] == 'missing'  # the report travels with the failure


def test_publish_then_check_is_published_but_not_ready_without_dkim(server, capsys):
    run_module(dns_publish, publish_args(server, records=[SPF, DMARC]), capsys)
    args = dict(records=[SPF, DMARC], nameservers=['127.0.0.1'], port=server.port, wait=True, timeout=5,
                interval=1, sending_ips=['192.0.2.25'])
    result = run_module(dns_check, dict(args, fail_on='missing'), capsys)
    assert result['rc'] == 0 and result['all_published'] is True and result['attempts'] == 1
    assert result['ready'] is False  # no DKIM record given, and no PTR for 192.0.2.25
    failed = run_module(dns_check, dict(args, fail_on='not_ready'), capsys)
    assert failed['failed'] is True
    assert failed['msg'] == (
        'DNS is not as expected: example.com: no DKIM record for example.com was given to check; pass the records '
        'that mailauth.dkim.dns_records returns; example.com: no PTR record for 192.0.2.25 (25.2.0.192.in-addr.arpa.)')


def test_full_publication_including_ptr_makes_check_ready(server, capsys):
    server.set_records('mail.example.com.', 'A', 300, ['192.0.2.25'])
    ptr = {'type': 'PTR', 'ip': '192.0.2.25', 'value': 'mail.example.com'}
    published = run_module(dns_publish, publish_args(server, records=[DKIM, SPF, DMARC, ptr]), capsys)
    assert published['zones_updated'] == ['example.com.', '2.0.192.in-addr.arpa.']
    result = run_module(dns_check, dict(records=[DKIM, SPF, DMARC, ptr], nameservers=['127.0.0.1'],
                                        port=server.port, sending_ips=['192.0.2.25'], fail_on='not_ready'), capsys)
    assert result['rc'] == 0
    assert result['ready'] is True
    assert [c['ok'] for c in result['readiness']['example.com']['checks']] == [True, True, True, True]


def test_check_needs_something_to_check(capsys):
    result = run_module(dns_check, dict(records=[]), capsys)
    assert result['msg'] == 'give records to check, or domains to report readiness for'
