# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_dns_records_backend: DKIM entries (public key or dkim_key record), per-domain assembly and the dnspython self-check."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils import _dns_records_backend as d
from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_keys, _dns_format
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import RecordError

ED = '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo='  # RFC 8463 appendix A


def entry(**kwargs):
    base = dict((k, None) for k in d.DKIM_SPEC)
    base.update(kwargs)
    return base


def test_entry_from_public_key_detects_type():
    rec = d.dkim_entry(entry(selector='Ed', public_key=ED), 0, 'example.com', 300)
    assert rec['value'] == 'v=DKIM1; k=ed25519; p=' + ED
    assert (rec['selector'], rec['key_type'], rec['size'], rec['ttl']) == ('ed', 'ed25519', 256, 300)


def test_entry_from_dkim_key_record_keeps_testing_flag():
    made = _dns_format.dkim_record('example.com', 'ed', ED, 'ed25519', testing=True)
    rec = d.dkim_entry(entry(record=made), 0, 'example.com', 3600)
    assert rec['value'] == made['value']
    assert rec['zone_line'] == made['zone_line']


def test_entry_from_record_can_override_testing():
    made = _dns_format.dkim_record('example.com', 'ed', ED, 'ed25519', testing=True)
    rec = d.dkim_entry(entry(record=made, testing=False), 0, 'example.com', 3600)
    assert 't=y' not in rec['value']


def test_null_record_is_skipped():
    assert d.dkim_entry(entry(record=None), 0, 'example.com', 3600) is None


@pytest.mark.parametrize('item, message', [
    (entry(selector='mail'), 'dkim[0]: public_key (or record) is required'),
    (entry(public_key=ED, record=_dns_format.dkim_record('example.com', 'ed', ED, 'ed25519')),
     'dkim[0]: give either public_key or record, not both'),
    (entry(record=_dns_format.dkim_record('example.org', 'ed', ED, 'ed25519')),
     'dkim[0]: record is for domain example.org, not example.com'),
    (entry(record=_dns_format.spf_record('example.com', {'mx': True})),
     'dkim[0]: record must be a DKIM record as returned by mailauth.dkim.dkim_key'),
    (entry(record='v=DKIM1; p=' + ED), 'dkim[0]: record must be a DKIM record as returned by mailauth.dkim.dkim_key'),
    (entry(public_key=ED), 'dkim[0]: selector is required'),
    (entry(selector='mail', public_key=ED, key_type='rsa'),
     "dkim[0] (selector 'mail'): public_key '%s' is a raw 32-byte ed25519 key but key_type is rsa" % ED),
])
def test_entry_errors(item, message):
    with pytest.raises(RecordError) as exc:
        d.dkim_entry(item, 0, 'example.com', 3600)
    assert str(exc.value) == message


def test_domain_records_order_and_warnings():
    warnings = []
    spec = {
        'domain': 'Example.com',
        'dkim': [entry(selector='ed', public_key=ED)],
        'dkim_records': [None, _dns_format.dkim_record('example.com', 'ed2', ED, 'ed25519')],
        'spf': {'ip4': ['192.0.2.%d' % i for i in range(1, 40)], 'all': 'fail', 'a': None},
        'dmarc': {'policy': 'none', 'pct': None},
        'ttl': None,
    }
    records = d.domain_records(spec, 600, warnings.append)
    assert [(r['kind'], r['name'], r['ttl']) for r in records] == [
        ('dkim', 'ed._domainkey', 600), ('dkim', 'ed2._domainkey', 600), ('spf', '@', 600), ('dmarc', '_dmarc', 600)]
    assert warnings[0] == ('example.com: dkim_records[0] is null (a key that does not exist, as in check mode); '
                           'skipped')
    assert warnings[1] == ('SPF record for example.com is 587 bytes; RFC 7208 recommends under 450 so answers fit '
                           'in one UDP packet')


def test_check_with_dnspython_accepts_rendered_records_and_rejects_broken_ones():
    good = _dns_format.dkim_record('example.com', 'mail', 'A' * 700, 'rsa')
    d.check_with_dnspython(good)
    d.check_with_dnspython(_dns_format.ptr_record('2001:db8::1', 'mail.example.com'))
    broken = dict(good, zone_line=good['zone_line'].replace('v=DKIM1', 'v=DKIM2'))  # strings no longer match
    with pytest.raises(RecordError) as exc:
        d.check_with_dnspython(broken)
    assert str(exc.value) == 'record mail._domainkey.example.com. TXT strings do not round-trip through dnspython'
    too_long = dict(good, zone_line=good['zone_line'].replace('" "', ''))  # one string over 255 bytes
    with pytest.raises(RecordError) as exc:
        d.check_with_dnspython(too_long)
    assert str(exc.value) == 'record mail._domainkey.example.com. TXT does not parse as DNS data: string too long'


def test_key_data_error_is_a_value_error():
    # The module turns both error types into fail_json messages; neither may leak key bytes.
    assert issubclass(_dkim_keys.KeyDataError, ValueError) and issubclass(RecordError, ValueError)
