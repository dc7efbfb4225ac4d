# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: DNS record formats and validation.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Everything here is a pure function on plain Python values: no I/O, no DNS traffic and no
third-party imports, so it can be used by modules, by filters and by unit tests alike.
Functions raise RecordError with a message that names the offending value.
"""

from __future__ import absolute_import, division, print_function

import ipaddress
import re

DEFAULT_TTL = 3600
MAX_TXT_STRING = 255
# A TXT character-string that zone-file syntax takes between quotes as it is.
_PLAIN_TXT = re.compile(br'[\x20\x21\x23-\x5b\x5d-\x7e]*\Z')
SPF_LOOKUP_LIMIT = 10
# RFC 7208 section 3.4: keep SPF records small enough to fit in a 512-byte UDP answer.
SPF_RECOMMENDED_MAX = 450

_LDH_LABEL = re.compile(r'^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$')
# Names that are not host names (SPF include targets such as _spf.example.com) may have underscores.
_SERVICE_LABEL = re.compile(r'^(?:_[a-z0-9-]{1,62}|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$')
# DMARC addresses: a local part and a domain, with no characters that DMARC's URI list reserves.
_MAILTO = re.compile(r'^mailto:([^@\s,;!]+)@([^@\s,;!]+?)(?:!(\d+)([kmgt])?)?$', re.IGNORECASE)
_FO = re.compile(r'^[01ds](?::[01ds])*$')
_DKIM_KEY_TYPES = ('rsa', 'ed25519')


class RecordError(ValueError):
    """A value that cannot go into DNS; the message names the value."""


# --------------------------------------------------------------------------------------------
# TXT character-strings
# --------------------------------------------------------------------------------------------

def split_txt(value, limit=MAX_TXT_STRING):
    """Split a logical TXT value into character-strings of at most ``limit`` bytes (UTF-8).

    A multi-byte character is never cut in two. The empty value gives one empty string.
    Returns a list of ``str``.
    """
    if not isinstance(value, str):
        raise RecordError('TXT value must be a string, got %s' % type(value).__name__)
    if limit < 4 or limit > MAX_TXT_STRING:
        raise RecordError('TXT string limit must be between 4 and %d, got %r' % (MAX_TXT_STRING, limit))
    data = value.encode('utf-8')
    if not data:
        return ['']
    chunks = []
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        # Step back over UTF-8 continuation bytes (10xxxxxx) so a character stays whole.
        while end < len(data) and end > start and (data[end] & 0xC0) == 0x80:
            end -= 1
        chunks.append(data[start:end].decode('utf-8'))
        start = end
    return chunks


def quote_txt(string):
    """Quote one character-string for zone-file (presentation) syntax.

    ``"`` and ``\\`` are escaped with a backslash; bytes outside printable ASCII become ``\\DDD``.
    """
    data = string.encode('utf-8') if isinstance(string, str) else bytes(string)
    if len(data) > MAX_TXT_STRING:
        raise RecordError('TXT character-string is %d bytes long; the limit is %d' % (len(data), MAX_TXT_STRING))
    if _PLAIN_TXT.match(data):  # printable ASCII without " or \ (every DKIM key and SPF record): as it is
        return '"' + data.decode('ascii') + '"'
    out = []
    for byte in data:
        if byte in (0x22, 0x5C):
            out.append('\\' + chr(byte))
        elif 0x20 <= byte <= 0x7E:
            out.append(chr(byte))
        else:
            out.append('\\%03d' % byte)
    return '"' + ''.join(out) + '"'


def encode_txt_value(value, limit=MAX_TXT_STRING):
    """Render a logical TXT value as zone-file rdata: its quoted strings separated by spaces."""
    return ' '.join(quote_txt(s) for s in split_txt(value, limit))


def decode_txt_value(text):
    """Parse zone-file TXT rdata (quoted or bare character-strings) back into the logical value.

    The inverse of encode_txt_value(); returns the list of strings (``str``; invalid UTF-8 is an error).
    """
    strings = []
    i = 0
    n = len(text)
    while i < n:
        if text[i] in ' \t':
            i += 1
            continue
        buf = bytearray()
        quoted = text[i] == '"'
        if quoted:
            i += 1
        while True:
            if i >= n:
                if quoted:
                    raise RecordError('unterminated quoted string in TXT data %r' % text)
                break
            ch = text[i]
            if quoted and ch == '"':
                i += 1
                break
            if not quoted and ch in ' \t':
                break
            if ch == '\\':
                if i + 1 >= n:
                    raise RecordError('dangling backslash in TXT data %r' % text)
                if text[i + 1:i + 4].isdigit() and len(text[i + 1:i + 4]) == 3:
                    code = int(text[i + 1:i + 4])
                    if code > 255:
                        raise RecordError('escape \\%s out of range in TXT data %r' % (text[i + 1:i + 4], text))
                    buf.append(code)
                    i += 4
                    continue
                buf.extend(text[i + 1].encode('utf-8'))
                i += 2
                continue
            buf.extend(ch.encode('utf-8'))
            i += 1
        if len(buf) > MAX_TXT_STRING:
            raise RecordError('TXT character-string is %d bytes long; the limit is %d' % (len(buf), MAX_TXT_STRING))
        try:
            strings.append(buf.decode('utf-8'))
        except UnicodeDecodeError:
            raise RecordError('TXT data %r is not valid UTF-8' % text)
    return strings


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

def validate_domain(domain, what='domain', underscore=False):
    """Check a host/domain name and return it lower-cased without a trailing dot.

    ``underscore=True`` also allows underscores, for names that are not host names (``_spf.example.com``).
    """
    if not isinstance(domain, str) or not domain.strip():
        raise RecordError('%s must be a non-empty string, got %r' % (what, domain))
    name = domain.strip()
    if name != domain:
        raise RecordError('%s %r has leading or trailing white space' % (what, domain))
    if name.endswith('.'):
        name = name[:-1]
    try:
        name.encode('ascii')
    except UnicodeEncodeError:
        # An internationalized name becomes its A-label form (bücher.example -> xn--bcher-kva.example), the form
        # DNS and the DKIM d= tag carry.
        try:
            name = name.encode('idna').decode('ascii')
        except UnicodeError:
            raise RecordError('%s %r is not a valid internationalized domain name: it has no A-label (xn--) form'
                              % (what, domain))
    name = name.lower()
    if len(name) > 253:
        raise RecordError('%s %r is %d characters long; a domain name has at most 253' % (what, domain, len(name)))
    labels = name.split('.')
    if len(labels) < 2:
        raise RecordError('%s %r is not a fully qualified domain name (it needs at least two labels)' % (what, domain))
    for label in labels:
        if not label:
            raise RecordError('%s %r has an empty label' % (what, domain))
        if len(label) > 63:
            raise RecordError('%s %r has a label longer than 63 characters: %r' % (what, domain, label))
        if underscore and not _SERVICE_LABEL.match(label):
            raise RecordError('%s %r has an invalid label %r: only letters, digits, underscores and inner hyphens '
                              'are allowed' % (what, domain, label))
        if not underscore and not _LDH_LABEL.match(label):
            raise RecordError('%s %r has an invalid label %r: only letters, digits and inner hyphens are allowed'
                              % (what, domain, label))
    if labels[-1].isdigit():
        raise RecordError('%s %r has an all-numeric top-level label' % (what, domain))
    return name


def validate_selector(selector, domain=None):
    """Check a DKIM selector (RFC 6376 section 3.1) and return it lower-cased.

    With ``domain``, also check that ``<selector>._domainkey.<domain>`` fits in a DNS name.
    """
    if not isinstance(selector, str) or not selector:
        raise RecordError('selector must be a non-empty string, got %r' % (selector,))
    name = selector.lower()
    for label in name.split('.'):
        if not label:
            raise RecordError('selector %r has an empty label' % selector)
        if len(label) > 63:
            raise RecordError('selector %r has a label longer than 63 characters: %r' % (selector, label))
        if not _LDH_LABEL.match(label):
            raise RecordError('selector %r has an invalid label %r: only letters, digits and inner hyphens are '
                              'allowed' % (selector, label))
    if domain is not None:
        fqdn = '%s._domainkey.%s' % (name, domain)
        if len(fqdn) > 253:
            raise RecordError('selector %r makes the name %r longer than 253 characters' % (selector, fqdn))
    return name


def validate_ttl(ttl):
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0 or ttl > 2147483647:
        raise RecordError('ttl must be an integer between 0 and 2147483647, got %r' % (ttl,))
    return ttl


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------

def make_record(domain, name, rtype, ttl, value, kind, **extra):
    """Build the shared record dict: fqdn, name, type, ttl, value, strings, zone_line, domain, kind.

    ``name`` is relative to ``domain`` (``@`` for the apex). TXT values are split into wire strings.
    """
    ttl = validate_ttl(ttl)
    fqdn = (domain if name == '@' else '%s.%s' % (name, domain)).rstrip('.') + '.'
    if rtype == 'TXT':
        strings = split_txt(value)
        rdata = ' '.join(quote_txt(s) for s in strings)
    else:
        strings = []
        rdata = value
    record = {
        'fqdn': fqdn,
        'name': name,
        'type': rtype,
        'ttl': ttl,
        'value': value,
        'strings': strings,
        'zone_line': '%s %d IN %s %s' % (fqdn, ttl, rtype, rdata),
        'domain': domain,
        'kind': kind,
    }
    record.update(extra)
    return record


def dkim_value(public_key, key_type='rsa', testing=False):
    """The DKIM key record value (RFC 6376 section 3.6.1, RFC 8463 for ed25519).

    ``public_key`` is the base64 ``p=`` data: DER SubjectPublicKeyInfo for RSA, the raw 32-byte key for
    ed25519. Checking that it is a real key is the caller's job (see _dkim_keys.parse_dkim_public_key).
    """
    if key_type not in _DKIM_KEY_TYPES:
        raise RecordError('key_type must be one of %s, got %r' % (', '.join(_DKIM_KEY_TYPES), key_type))
    if not isinstance(public_key, str) or not re.match(r'^[A-Za-z0-9+/]+={0,2}$', public_key):
        raise RecordError('public key for the DKIM record must be base64 without white space, got %r'
                          % (public_key,))
    parts = ['v=DKIM1', 'k=%s' % key_type]
    if testing:
        parts.append('t=y')
    parts.append('p=%s' % public_key)
    return '; '.join(parts)


def parse_tags(value):
    """Parse a DKIM/DMARC tag list ``a=b; c=d`` into an ordered dict; raises RecordError on bad syntax."""
    tags = {}
    for part in value.split(';'):
        part = part.strip()
        if not part:
            continue
        if '=' not in part:
            raise RecordError('tag %r in %r has no "="' % (part, value))
        key, val = part.split('=', 1)
        key = key.strip()
        if key in tags:
            raise RecordError('tag %r appears twice in %r' % (key, value))
        tags[key] = re.sub(r'\s+', '', val) if key == 'p' else val.strip()
    return tags


def dkim_record(domain, selector, public_key, key_type='rsa', testing=False, ttl=DEFAULT_TTL):
    domain = validate_domain(domain)
    selector = validate_selector(selector, domain)
    value = dkim_value(public_key, key_type, testing)
    return make_record(domain, '%s._domainkey' % selector, 'TXT', ttl, value, 'dkim',
                       selector=selector, key_type=key_type)


def revoked_dkim_record(domain, selector, key_type='rsa', ttl=DEFAULT_TTL):
    """The record of a revoked key: ``v=DKIM1; k=<type>; p=`` (RFC 6376 section 3.6.1, empty p= means revoked)."""
    if key_type not in _DKIM_KEY_TYPES:
        raise RecordError('key_type must be one of %s, got %r' % (', '.join(_DKIM_KEY_TYPES), key_type))
    domain = validate_domain(domain)
    selector = validate_selector(selector, domain)
    return make_record(domain, '%s._domainkey' % selector, 'TXT', ttl, 'v=DKIM1; k=%s; p=' % key_type, 'dkim',
                       selector=selector, key_type=key_type, revoked=True)


# --------------------------------------------------------------------------------------------
# SPF (RFC 7208)
# --------------------------------------------------------------------------------------------

SPF_ALL = {'fail': '-all', 'softfail': '~all', 'neutral': '?all'}


def _as_list(value, what):
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise RecordError('%s must be a list, got %r' % (what, value))
    return list(value)


def _spf_network(entry, version):
    what = 'spf.ip%d' % version
    if not isinstance(entry, str):
        raise RecordError('%s entry %r is not a string' % (what, entry))
    try:
        net = ipaddress.ip_network(entry, strict=True)
    except ValueError as exc:
        if '/' in entry:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                pass
            else:
                raise RecordError('%s entry %r has host bits set: %s' % (what, entry, exc))
        raise RecordError('%s entry %r is not an IPv%d address or network' % (what, entry, version))
    if net.version != version:
        raise RecordError('%s entry %r is an IPv%d network, not IPv%d' % (what, entry, net.version, version))
    if net.prefixlen == net.max_prefixlen:
        return 'ip%d:%s' % (version, net.network_address)
    return 'ip%d:%s' % (version, net.with_prefixlen)


def _spf_host_mechanism(name, value):
    """``a`` / ``mx``: true (the domain itself), false/None (absent) or a list of domain names."""
    if value is None or value is False:
        return []
    if value is True:
        return [name]
    terms = []
    for host in _as_list(value, 'spf.%s' % name):
        if host is True:
            terms.append(name)
            continue
        terms.append('%s:%s' % (name, validate_domain(host, 'spf.%s entry' % name)))
    return terms


def spf_terms(spf, domain=None):
    """The SPF terms in record order; raises RecordError for malformed input."""
    if not isinstance(spf, dict):
        raise RecordError('spf must be a dictionary, got %r' % (spf,))
    known = {'ip4', 'ip6', 'include', 'a', 'mx', 'all'}
    unknown = sorted(set(spf) - known)
    if unknown:
        raise RecordError('spf has unknown keys %s; allowed: %s' % (', '.join(unknown), ', '.join(sorted(known))))
    terms = []
    terms += _spf_host_mechanism('mx', spf.get('mx'))
    terms += _spf_host_mechanism('a', spf.get('a'))
    terms += [_spf_network(e, 4) for e in _as_list(spf.get('ip4'), 'spf.ip4')]
    terms += [_spf_network(e, 6) for e in _as_list(spf.get('ip6'), 'spf.ip6')]
    for inc in _as_list(spf.get('include'), 'spf.include'):
        target = validate_domain(inc, 'spf.include entry', underscore=True)
        if domain is not None and target == domain:
            raise RecordError('spf.include entry %r includes the domain itself (a loop)' % (inc,))
        terms.append('include:%s' % target)
    seen = set()
    for term in terms:
        if term in seen:
            raise RecordError('SPF term %r is listed twice' % term)
        seen.add(term)
    qualifier = spf.get('all')
    if qualifier is None:
        qualifier = 'fail'
    if qualifier not in SPF_ALL:
        raise RecordError('spf.all must be one of %s, got %r' % (', '.join(SPF_ALL), qualifier))
    terms.append(SPF_ALL[qualifier])
    return terms


def spf_lookup_terms(terms):
    """The terms that cost a DNS lookup (RFC 7208 section 4.6.4): include, a, mx, ptr, exists, redirect."""
    costly = []
    for term in terms:
        mech = term.lstrip('+-~?').split(':', 1)[0].split('/', 1)[0].split('=', 1)[0].lower()
        if mech in ('include', 'a', 'mx', 'ptr', 'exists', 'redirect'):
            costly.append(term)
    return costly


def spf_value(spf, domain=None):
    terms = spf_terms(spf, domain)
    costly = spf_lookup_terms(terms)
    if len(costly) > SPF_LOOKUP_LIMIT:
        raise RecordError('SPF for %s needs %d DNS lookups (%s); RFC 7208 allows at most %d, so receivers '
                          'would return permerror' % (domain or 'the domain', len(costly), ', '.join(costly),
                                                      SPF_LOOKUP_LIMIT))
    return ' '.join(['v=spf1'] + terms)


def spf_record(domain, spf, ttl=DEFAULT_TTL):
    domain = validate_domain(domain)
    value = spf_value(spf, domain)
    return make_record(domain, '@', 'TXT', ttl, value, 'spf',
                       lookups=len(spf_lookup_terms(value.split()[1:])))


# --------------------------------------------------------------------------------------------
# DMARC (RFC 7489)
# --------------------------------------------------------------------------------------------

DMARC_POLICIES = ('none', 'quarantine', 'reject')
DMARC_ALIGNMENT = {'r': 'r', 's': 's', 'relaxed': 'r', 'strict': 's'}
DMARC_KEYS = ('policy', 'subdomain_policy', 'pct', 'rua', 'ruf', 'adkim', 'aspf', 'fo')


def _dmarc_uris(value, tag):
    if isinstance(value, str):
        items = [u.strip() for u in value.split(',')]
    else:
        items = _as_list(value, 'dmarc.%s' % tag)
    if not items:
        raise RecordError('dmarc.%s must name at least one mailto: address' % tag)
    out = []
    for uri in items:
        if not isinstance(uri, str) or not uri:
            raise RecordError('dmarc.%s entry %r is not a mailto: URI' % (tag, uri))
        if '@' in uri and not uri.lower().startswith('mailto:') and ':' not in uri.split('@', 1)[0]:
            raise RecordError('dmarc.%s entry %r is not a mailto: URI (write mailto:%s)' % (tag, uri, uri))
        match = _MAILTO.match(uri)
        if not match:
            raise RecordError('dmarc.%s entry %r is not a mailto: URI such as mailto:dmarc@example.com' % (tag, uri))
        validate_domain(match.group(2), 'dmarc.%s entry %r: domain' % (tag, uri))
        out.append('mailto:' + uri[len('mailto:'):])
    return ','.join(out)


def dmarc_tags(dmarc):
    """The DMARC tags in record order as (tag, value) pairs; raises RecordError outside the grammar."""
    if not isinstance(dmarc, dict):
        raise RecordError('dmarc must be a dictionary, got %r' % (dmarc,))
    unknown = sorted(set(dmarc) - set(DMARC_KEYS))
    if unknown:
        raise RecordError('dmarc has unknown keys %s; allowed: %s' % (', '.join(unknown), ', '.join(DMARC_KEYS)))
    policy = dmarc.get('policy')
    if policy is None:
        raise RecordError('dmarc.policy is required (one of %s)' % ', '.join(DMARC_POLICIES))
    if policy not in DMARC_POLICIES:
        raise RecordError('dmarc.policy must be one of %s, got %r' % (', '.join(DMARC_POLICIES), policy))
    tags = [('v', 'DMARC1'), ('p', policy)]
    sp = dmarc.get('subdomain_policy')
    if sp is not None:
        if sp not in DMARC_POLICIES:
            raise RecordError('dmarc.subdomain_policy must be one of %s, got %r' % (', '.join(DMARC_POLICIES), sp))
        tags.append(('sp', sp))
    for key in ('adkim', 'aspf'):
        val = dmarc.get(key)
        if val is None:
            continue
        if val not in DMARC_ALIGNMENT:
            raise RecordError('dmarc.%s must be r (relaxed) or s (strict), got %r' % (key, val))
        tags.append((key, DMARC_ALIGNMENT[val]))
    pct = dmarc.get('pct')
    if pct is not None:
        if isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100:
            raise RecordError('dmarc.pct must be an integer from 0 to 100, got %r' % (pct,))
        if pct != 100:
            tags.append(('pct', str(pct)))
    fo = dmarc.get('fo')
    if fo is not None:
        fo = str(fo)
        if not _FO.match(fo):
            raise RecordError('dmarc.fo must be 0, 1, d or s, or several joined by ":" (e.g. 1:d), got %r' % fo)
    for key in ('rua', 'ruf'):
        if dmarc.get(key) is not None:
            tags.append((key, _dmarc_uris(dmarc[key], key)))
    if fo is not None:
        tags.append(('fo', fo))
    return tags


def dmarc_value(dmarc):
    return '; '.join('%s=%s' % tag for tag in dmarc_tags(dmarc))


def dmarc_record(domain, dmarc, ttl=DEFAULT_TTL):
    domain = validate_domain(domain)
    return make_record(domain, '_dmarc', 'TXT', ttl, dmarc_value(dmarc), 'dmarc')


# --------------------------------------------------------------------------------------------
# PTR
# --------------------------------------------------------------------------------------------

def ptr_record(ip, target, ttl=DEFAULT_TTL):
    """A reverse (PTR) record for ``ip`` pointing at host name ``target``.

    ``domain`` is the classful-ish reverse zone (/24 for IPv4, /64 for IPv6) and ``name`` is relative to it.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        raise RecordError('ptr entry ip %r is not an IP address' % (ip,))
    host = validate_domain(target, 'ptr entry name')
    rev = address.reverse_pointer
    labels = rev.split('.')
    keep = 1 if address.version == 4 else 16  # /24 or /64
    name = '.'.join(labels[:keep])
    zone = '.'.join(labels[keep:])
    return make_record(zone, name, 'PTR', ttl, host + '.', 'ptr', ip=str(address))


# --------------------------------------------------------------------------------------------
# Zone snippet
# --------------------------------------------------------------------------------------------

def zone_snippet(records, header=None):
    """Zone-file text for the records: absolute names, one line each, with an optional comment header."""
    lines = []
    if header:
        lines += ['; ' + line if line else ';' for line in header.splitlines()]
    for record in records:
        lines.append(record['zone_line'])
    return '\n'.join(lines) + '\n'
