# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_dns_records_backend: DKIM entries (public key or dkim_key record), per-domain assembly, the dnspython
self-check, and RecordsBackend without an AnsibleModule (errors, warnings, the zone snippet file)."""

from __future__ import absolute_import, division, print_function

import base64
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.mailauth.dkim.plugins.module_utils import _dns_records_backend as d
from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_keys, _dns_format
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import RecordError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import new_file_mode
from ansible_collections.mailauth.dkim.tests.unit.keyleak import leaks

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


def test_a_revoked_key_gets_an_empty_p_record_of_its_type():
    rsa_rec = d.dkim_entry({'selector': 'Mail-202601', 'revoked': True}, 0, 'example.com', 600)
    ed_rec = d.dkim_entry({'selector': 'ed-202601', 'key_type': 'ed25519', 'revoked': True}, 1, 'example.com', 600)
    assert (rsa_rec['fqdn'], rsa_rec['value'], rsa_rec['ttl']) == ('mail-202601._domainkey.example.com.',
                                                                   'v=DKIM1; k=rsa; p=', 600)
    assert ed_rec['zone_line'] == 'ed-202601._domainkey.example.com. 600 IN TXT "v=DKIM1; k=ed25519; p="'
    d.check_with_dnspython(ed_rec)
    with pytest.raises(RecordError, match='dkim.0.: a revoked key takes a selector'):
        d.dkim_entry({'selector': 'x', 'public_key': ED, 'revoked': True}, 0, 'example.com', 600)


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


@pytest.mark.parametrize('key_type, fmt', [
    ('rsa', serialization.PrivateFormat.TraditionalOpenSSL),
    ('rsa', serialization.PrivateFormat.PKCS8),
    ('ed25519', serialization.PrivateFormat.PKCS8),
])
def test_private_key_given_as_public_key_fails_without_key_bytes(key_type, fmt):
    """A private key pasted where the public key belongs (PEM, base64 DER, or a PEM body): the error, as the module
    would report it, holds no byte of it."""
    pem = _dkim_keys.private_key_to_pem(_dkim_keys.generate_private_key(key_type, 1024))
    key = serialization.load_pem_private_key(pem, password=None)
    der = key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
    given_pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()
    for given in (given_pem, base64.b64encode(der).decode(), '\n'.join(given_pem.splitlines()[1:-1])):
        backend = d.RecordsBackend(params(domain='example.com', dkim=[entry(selector='mail', public_key=given)]))
        with pytest.raises(d.RecordsBackendError) as exc:
            backend.run()
        assert str(exc.value) == ("dkim[0] (selector 'mail'): public_key holds a PRIVATE key; give the public key "
                                  "only")
        assert leaks([pem], str(exc.value), json.dumps(exc.value.result), *backend.warnings) == []
        assert leaks([pem], given)  # the check can fail


def params(**kwargs):
    out = dict((k, None) for k in d.argument_spec())
    out.update(ttl=3600, header=True)
    out.update(kwargs)
    return out


SPF_ONLY = dict(domain='example.com', spf={'mx': True})


def test_backend_errors_are_raised_not_reported():
    with pytest.raises(d.RecordsBackendError) as exc:
        d.RecordsBackend(params(domains=[{'domain': 'example.com', 'dkim_keys': []}])).run()
    assert str(exc.value).startswith('domains[0]: dkim_keys. Supported parameters include')
    with pytest.raises(d.RecordsBackendError) as exc:
        d.RecordsBackend(params(ptr=[{'ip': '300.1.1.1', 'name': 'mail.example.com'}])).run()
    assert str(exc.value) == "ptr[0]: ptr entry ip '300.1.1.1' is not an IP address"


def test_warnings_are_collected():
    backend = d.RecordsBackend(params(domain='example.com', dkim_records=[None]))
    result = backend.run()
    assert result['records'] == []
    assert backend.warnings == ['example.com: dkim_records[0] is null (a key that does not exist, as in check mode); '
                                'skipped']


def test_zone_snippet_written_atomically_check_apply_check_apply(tmp_path):
    dest = tmp_path / 'example.com.zone'
    args = params(dest=str(dest), **SPF_ONLY)
    planned = d.RecordsBackend(args, check_mode=True, diff=True).run()
    assert planned['changed'] is True and planned['diff']['before'] == '' and not dest.exists()
    applied = d.RecordsBackend(args, diff=True).run()
    assert applied['changed'] is True
    assert dest.read_text() == applied['zone']
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == new_file_mode(0o644)
    assert os.listdir(str(tmp_path)) == ['example.com.zone']  # no temporary file left
    inode = os.stat(str(dest)).st_ino
    assert d.RecordsBackend(args, check_mode=True).run()['changed'] is False
    assert d.RecordsBackend(args).run()['changed'] is False
    assert os.stat(str(dest)).st_ino == inode
    # A changed snippet replaces the file (a new inode) and keeps the mode it had.
    os.chmod(str(dest), 0o640)
    changed = d.RecordsBackend(params(dest=str(dest), domain='example.com', spf={'mx': True, 'all': 'softfail'}),
                               diff=True).run()
    assert changed['changed'] is True and '~all' in changed['diff']['after']
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o640
    assert os.stat(str(dest)).st_ino != inode
    assert os.listdir(str(tmp_path)) == ['example.com.zone']


def test_zone_snippet_write_errors_name_the_file(tmp_path, monkeypatch):
    with pytest.raises(d.RecordsBackendError) as exc:
        d.RecordsBackend(params(dest=str(tmp_path), **SPF_ONLY)).run()
    assert str(exc.value) == 'dest %s is a directory; give a file name' % tmp_path

    def full_disk(path, data, prepare=None):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(d, 'write_atomic', full_disk)
    with pytest.raises(d.RecordsBackendError) as exc:
        d.RecordsBackend(params(dest=str(tmp_path / 'z.zone'), **SPF_ONLY)).run()
    assert str(exc.value) == 'cannot write dest %s/z.zone: [Errno 28] No space left on device' % tmp_path
