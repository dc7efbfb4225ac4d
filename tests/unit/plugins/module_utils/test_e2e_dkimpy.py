# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end with an independent DKIM implementation.

A key is generated and written the way mailauth.dkim.dkim_key does it, its record is rendered the way
mailauth.dkim.dns_records does it (public key parsed back from the record dkim_key returns), the BIND zone line
is loaded by dnspython as a DNS server would, and dkimpy signs a message with the private key file and verifies it
against that TXT record served through a fake DNS lookup. A tampered body must fail.
"""

from __future__ import absolute_import, division, print_function

import base64

import dkim
import dns.zone
import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_keys, _dns_format, _dns_records_backend
from ansible_collections.mailauth.dkim.plugins.module_utils import _fileio

MESSAGE = (
    b'From: Alice <alice@example.com>\r\n'
    b'To: Bob <bob@example.net>\r\n'
    b'Subject: DKIM end to end\r\n'
    b'Date: Sat, 01 Nov 2025 12:00:00 +0000\r\n'
    b'Message-ID: <e2e@example.com>\r\n'
    b'\r\n'
    b'Hello Bob,\r\nthis message is signed.\r\n'
)


def served_txt(zone_text):
    """A dnsfunc for dkimpy that answers from the zone text, joining strings as resolvers do."""
    zone = dns.zone.from_text(zone_text, origin='.', relativize=False, check_origin=False)
    asked = []

    def dnsfunc(name, timeout=5):
        qname = name.decode() if isinstance(name, bytes) else name
        asked.append(qname)
        node = zone.get_node(qname if qname.endswith('.') else qname + '.')
        if node is None:
            return None
        rdataset = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT)
        return b''.join(list(rdataset)[0].strings)

    dnsfunc.asked = asked
    return dnsfunc


def signing_key_bytes(pem, key_type):
    """The private key file as dkimpy wants it: the PEM for RSA, base64 of the 32-byte seed for ed25519."""
    if key_type == 'rsa':
        return pem
    key = serialization.load_pem_private_key(pem, password=None)
    return base64.b64encode(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption()))


@pytest.mark.parametrize('key_type, size, algorithm, strings', [
    ('rsa', 1024, b'rsa-sha256', 1),
    ('rsa', 2048, b'rsa-sha256', 2),
    ('rsa', 4096, b'rsa-sha256', 3),
    ('ed25519', None, b'ed25519-sha256', 1),
])
def test_sign_and_verify_with_dkimpy(tmp_path, key_type, size, algorithm, strings):
    path = str(tmp_path / 'example.com.sel.private')
    key = _dkim_keys.generate_private_key(key_type, size)
    _fileio.write_atomic(path, _dkim_keys.private_key_to_pem(key))
    with open(path, 'rb') as handle:
        pem = handle.read()
    info = _dkim_keys.public_info(_dkim_keys.load_private_key(pem))
    from_dkim_key = _dns_format.dkim_record('example.com', 'sel', info['public_key'], info['type'])

    rendered = _dns_records_backend.dkim_entry({'record': from_dkim_key}, 0, 'example.com', 3600)
    _dns_records_backend.check_with_dnspython(rendered)
    assert rendered['value'] == from_dkim_key['value']
    assert len(rendered['strings']) == strings
    dnsfunc = served_txt(_dns_format.zone_snippet([rendered]))

    signature = dkim.sign(MESSAGE, b'sel', b'example.com', signing_key_bytes(pem, key_type),
                          signature_algorithm=algorithm, include_headers=[b'from', b'to', b'subject', b'date'])
    signed = signature + MESSAGE
    assert b'a=' + algorithm in signature
    assert dkim.verify(signed, dnsfunc=dnsfunc) is True
    assert dnsfunc.asked == ['sel._domainkey.example.com.']

    tampered = signed.replace(b'this message is signed.', b'this message is changed.')
    assert dkim.verify(tampered, dnsfunc=dnsfunc) is False


def test_record_of_another_key_does_not_verify(tmp_path):
    signer = _dkim_keys.generate_private_key('rsa', 1024)
    other = _dkim_keys.public_info(_dkim_keys.generate_private_key('rsa', 1024))
    record = _dns_format.dkim_record('example.com', 'sel', other['public_key'], 'rsa')
    dnsfunc = served_txt(_dns_format.zone_snippet([record]))
    signature = dkim.sign(MESSAGE, b'sel', b'example.com', _dkim_keys.private_key_to_pem(signer))
    assert dkim.verify(signature + MESSAGE, dnsfunc=dnsfunc) is False


def test_testing_flag_is_seen_by_dkimpy():
    info = _dkim_keys.public_info(_dkim_keys.generate_private_key('ed25519'))
    record = _dns_format.dkim_record('example.com', 'ed', info['public_key'], 'ed25519', testing=True)
    txt = served_txt(_dns_format.zone_snippet([record]))('ed._domainkey.example.com.')
    assert txt == ('v=DKIM1; k=ed25519; t=y; p=%s' % info['public_key']).encode()
    # dkimpy parses the record's tags the same way
    assert dkim.util.parse_tag_value(txt)[b't'] == b'y'
