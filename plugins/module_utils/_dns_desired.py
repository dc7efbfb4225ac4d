# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: the records dns_publish and dns_check are given, checked.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

It turns the shared record dicts (as mailauth.dkim.dns_records returns them) into checked
``DesiredRecord`` objects in dnspython terms, and tells TXT records apart by their version tag
(``txt_tag``). Errors are raised as DNSClientError with a message that names the record.
"""

from __future__ import absolute_import, division, print_function

import re

try:
    import dns.exception
    import dns.name
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.PTR
    import dns.rdtypes.ANY.TXT
except ImportError:  # pragma: no cover - the modules report the missing library via _dns_client
    pass

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_client import DNSClientError
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import (
    MAX_TXT_STRING,
    RecordError,
    ptr_record,
    split_txt,
)

SUPPORTED_TYPES = ('TXT', 'PTR')
_SPF_TAG = re.compile(r'^v=spf1(\s|$)', re.IGNORECASE)
_TAGGED = re.compile(r'^\s*v\s*=\s*(DKIM1|DMARC1)\s*(;|$)', re.IGNORECASE)


def txt_tag(value):
    """The version tag that identifies what a TXT value is for: 'v=spf1', 'v=dkim1', 'v=dmarc1' or None.

    Records with the same tag at one name belong together (a name has one SPF record, one DKIM key);
    other TXT records at that name (site verifications, ...) are someone else's.
    """
    if _SPF_TAG.match(value):
        return 'v=spf1'
    match = _TAGGED.match(value)
    if match:
        return 'v=%s' % match.group(1).lower()
    return None


def infer_kind(rtype, value, fqdn):
    if rtype == 'PTR':
        return 'ptr'
    tag = txt_tag(value)
    if tag == 'v=spf1':
        return 'spf'
    if tag == 'v=dmarc1' or fqdn.lower().startswith('_dmarc.'):
        return 'dmarc'
    if tag == 'v=dkim1' or '._domainkey.' in fqdn.lower():
        return 'dkim'
    return 'txt'


class DesiredRecord(object):
    """One record from the user's list, checked and in dnspython terms."""

    def __init__(self, index, fqdn, rtype, ttl, value, strings, kind, domain, source):
        self.index = index
        self.fqdn = fqdn            # dns.name.Name, absolute
        self.rtype = rtype          # 'TXT' or 'PTR'
        self.ttl = ttl
        self.value = value          # logical value; for PTR the absolute target name as text
        self.strings = strings      # TXT: tuple of bytes; PTR: None
        self.kind = kind
        self.domain = domain
        self.source = source        # the dict as given (public data only)

    @property
    def label(self):
        return '%s %s' % (self.fqdn.to_text(), self.rtype)

    @property
    def tag(self):
        return txt_tag(self.value) if self.rtype == 'TXT' else None

    def rdata(self):
        if self.rtype == 'TXT':
            return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, self.strings)
        return dns.rdtypes.ANY.PTR.PTR(dns.rdataclass.IN, dns.rdatatype.PTR, dns.name.from_text(self.value))


def _record_error(index, record, message):
    what = None
    if isinstance(record, dict):
        what = record.get('fqdn') or record.get('ip') or record.get('name')
    where = 'records[%d]' % index + (' (%s)' % what if what else '')
    return DNSClientError('%s: %s' % (where, message))


def normalize_record(index, record, default_ttl=3600):
    """Check one shared record dict and return a DesiredRecord; raise DNSClientError naming it."""
    if not isinstance(record, dict):
        raise _record_error(index, None, 'must be a dictionary like the ones mailauth.dkim.dns_records returns, '
                                         'got %r' % (record,))
    rtype = str(record.get('type') or 'TXT').upper()
    if rtype not in SUPPORTED_TYPES:
        raise _record_error(index, record, 'type %r is not supported; use one of %s'
                            % (record.get('type'), ', '.join(SUPPORTED_TYPES)))
    if rtype == 'PTR' and record.get('ip') and not record.get('fqdn'):
        # {ip, value} or, as in the role's opendkim_dns_update.ptr items, {ip, name}
        target = record.get('value') or record.get('name')
        try:
            ttl = default_ttl if record.get('ttl') is None else record['ttl']
            record = dict(record, **ptr_record(record['ip'], target or '', ttl))
        except RecordError as exc:
            raise _record_error(index, record, str(exc))
    fqdn_text = record.get('fqdn')
    if not fqdn_text or not isinstance(fqdn_text, str):
        raise _record_error(index, record, 'has no fqdn (the absolute record name, e.g. '
                                           '"mail._domainkey.example.com.")')
    try:
        fqdn = dns.name.from_text(fqdn_text)
    except dns.exception.DNSException as exc:
        raise _record_error(index, record, 'fqdn %r is not a valid DNS name: %s' % (fqdn_text, exc))
    ttl = record.get('ttl', default_ttl)
    if ttl is None:
        ttl = default_ttl
    try:
        ttl = int(ttl)
    except (TypeError, ValueError):
        raise _record_error(index, record, 'ttl %r is not an integer' % (record.get('ttl'),))
    if not 0 <= ttl <= 2147483647:
        raise _record_error(index, record, 'ttl %r is out of range (0 to 2147483647)' % (ttl,))
    value = record.get('value')
    strings = None
    if rtype == 'TXT':
        given = record.get('strings')
        if given:
            if not isinstance(given, (list, tuple)) or not all(isinstance(s, str) for s in given):
                raise _record_error(index, record, 'strings must be a list of strings, got %r' % (given,))
            joined = ''.join(given)
            if value is not None and joined != value:
                raise _record_error(index, record, 'strings %r do not join to value %r' % (given, value))
            value = joined
            parts = list(given)
        else:
            if not isinstance(value, str):
                raise _record_error(index, record, 'TXT record needs a value (string), got %r' % (value,))
            try:
                parts = split_txt(value)
            except RecordError as exc:
                raise _record_error(index, record, str(exc))
        encoded = []
        for part in parts:
            data = part.encode('utf-8')
            if len(data) > MAX_TXT_STRING:
                raise _record_error(index, record, 'TXT string %r is %d bytes long; each string of a TXT record '
                                    'holds at most %d' % (part, len(data), MAX_TXT_STRING))
            encoded.append(data)
        strings = tuple(encoded)
    else:
        if not isinstance(value, str) or not value:
            raise _record_error(index, record, 'PTR record needs a value (the host name it points to), got %r'
                                % (value,))
        try:
            target = dns.name.from_text(value)
        except dns.exception.DNSException as exc:
            raise _record_error(index, record, 'PTR value %r is not a valid host name: %s' % (value, exc))
        value = target.to_text()
    kind = record.get('kind') or infer_kind(rtype, value, fqdn.to_text())
    domain = record.get('domain')
    if not domain and kind in ('dkim', 'dmarc', 'spf'):
        domain = _domain_from_fqdn(fqdn, kind)
    public_keys = ('fqdn', 'type', 'ttl', 'value', 'domain', 'kind', 'selector', 'key_type', 'ip', 'name')
    public = dict((k, v) for k, v in record.items() if k in public_keys)
    return DesiredRecord(index, fqdn, rtype, ttl, value, strings, kind, domain, public)


def _domain_from_fqdn(fqdn, kind):
    text = fqdn.to_text().rstrip('.').lower()
    if kind == 'dkim' and '._domainkey.' in text:
        return text.split('._domainkey.', 1)[1]
    if kind == 'dmarc' and text.startswith('_dmarc.'):
        return text[len('_dmarc.'):]
    return text


def normalize_records(records, default_ttl=3600):
    if not records:
        return []
    return [normalize_record(i, r, default_ttl) for i, r in enumerate(records)]
