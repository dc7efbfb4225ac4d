# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tables for the pure record functions: TXT splitting/quoting, names, DKIM, SPF, DMARC, PTR."""

from __future__ import absolute_import, division, print_function

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils import _dns_format as r
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import RecordError


# ------------------------------------------------------------------------------------------ TXT

@pytest.mark.parametrize('value, lengths', [
    ('', [0]),
    ('a', [1]),
    ('a' * 255, [255]),
    ('a' * 256, [255, 1]),
    ('a' * 510, [255, 255]),
    ('a' * 511, [255, 255, 1]),
    # 4096-bit RSA record: 'v=DKIM1; k=rsa; p=' + 736 base64 characters
    ('v=DKIM1; k=rsa; p=' + 'A' * 736, [255, 255, 244]),
    # a 2-byte character straddling the boundary moves whole to the next string
    ('a' * 254 + '\u00e9' + 'b', [254, 3]),
    # a 3-byte character at the boundary
    ('a' * 253 + '\u20ac', [253, 3]),
    ('a' * 252 + '\u20ac', [255]),
])
def test_split_txt_lengths(value, lengths):
    strings = r.split_txt(value)
    assert [len(s.encode('utf-8')) for s in strings] == lengths
    assert ''.join(strings) == value


@pytest.mark.parametrize('string, quoted', [
    ('', '""'),
    ('v=spf1 -all', '"v=spf1 -all"'),
    ('say "hi"', r'"say \"hi\""'),
    ('back\\slash', r'"back\\slash"'),
    ('semi;colon', '"semi;colon"'),
    ('tab\there', r'"tab\009here"'),
    ('nl\n', r'"nl\010"'),
    ('\u00e9', r'"\195\169"'),
    ('del\x7f', r'"del\127"'),
])
def test_quote_txt(string, quoted):
    assert r.quote_txt(string) == quoted


def test_quote_txt_escapes_exactly_what_zone_files_need_for_every_ascii_character():
    # The plain fast path (printable ASCII without " and \\) and the escaping path give the same text.
    for code in range(128):
        char = chr(code)
        expected = '\\' + char if char in '"\\' else char if 0x20 <= code <= 0x7e else '\\%03d' % code
        assert r.quote_txt('a%sb' % char) == '"a%sb"' % expected, code


@pytest.mark.parametrize('value', [
    '',
    'v=DKIM1; k=rsa; p=' + 'QUJD' * 200,
    'quotes " and \\ backslashes ' * 20,
    'caf\u00e9 \u20ac ' * 60,
    'ctrl \x00\x01\x1f end',
    'x' * 255,
    'x' * 256,
])
def test_txt_round_trip_own_decoder_and_dnspython(value):
    rdata_text = r.encode_txt_value(value)
    assert ''.join(r.decode_txt_value(rdata_text)) == value
    # A real DNS implementation reads the same strings back.
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, rdata_text)
    assert b''.join(rdata.strings) == value.encode('utf-8')
    assert all(len(s) <= 255 for s in rdata.strings)
    assert [s.encode('utf-8') for s in r.split_txt(value)] == list(rdata.strings)


@pytest.mark.parametrize('text, strings', [
    ('"a" "b"', ['a', 'b']),
    ('bare "q"', ['bare', 'q']),
    (r'"\065\066"', ['AB']),
    (r'"a\"b"', ['a"b']),
    ('""', ['']),
])
def test_decode_txt_value(text, strings):
    assert r.decode_txt_value(text) == strings


@pytest.mark.parametrize('text, message', [
    ('"open', "unterminated quoted string in TXT data '\"open'"),
    ('"x\\', "dangling backslash in TXT data '\"x\\\\'"),
    (r'"\300"', "escape \\300 out of range in TXT data '\"\\\\300\"'"),
    ('"' + 'a' * 256 + '"', 'TXT character-string is 256 bytes long; the limit is 255'),
])
def test_decode_txt_value_errors(text, message):
    with pytest.raises(RecordError) as exc:
        r.decode_txt_value(text)
    assert str(exc.value) == message


def test_quote_txt_refuses_long_string():
    with pytest.raises(RecordError) as exc:
        r.quote_txt('a' * 256)
    assert str(exc.value) == 'TXT character-string is 256 bytes long; the limit is 255'


# ------------------------------------------------------------------------------------------ names

@pytest.mark.parametrize('domain, normalized', [
    ('example.com', 'example.com'),
    ('Example.COM.', 'example.com'),
    ('mail-1.example.co.uk', 'mail-1.example.co.uk'),
    ('xn--bcher-kva.example', 'xn--bcher-kva.example'),
    # internationalized names become their A-label
    ('b\u00fccher.example', 'xn--bcher-kva.example'),
    ('B\u00dcCHER.Example.', 'xn--bcher-kva.example'),
    ('a' * 63 + '.com', 'a' * 63 + '.com'),
])
def test_validate_domain_ok(domain, normalized):
    assert r.validate_domain(domain) == normalized


@pytest.mark.parametrize('domain, message', [
    ('', "domain must be a non-empty string, got ''"),
    (None, 'domain must be a non-empty string, got None'),
    ('localhost', "domain 'localhost' is not a fully qualified domain name (it needs at least two labels)"),
    ('exa mple.com', "domain 'exa mple.com' has an invalid label 'exa mple': only letters, digits and inner "
                     "hyphens are allowed"),
    ('-bad.com', "domain '-bad.com' has an invalid label '-bad': only letters, digits and inner hyphens are "
                 "allowed"),
    ('under_score.com', "domain 'under_score.com' has an invalid label 'under_score': only letters, digits and "
                        "inner hyphens are allowed"),
    ('a..com', "domain 'a..com' has an empty label"),
    ('a' * 64 + '.com', "domain '%s.com' has a label longer than 63 characters: '%s'" % ('a' * 64, 'a' * 64)),
    ('ex\u2028ample.com',
     "domain 'ex\\u2028ample.com' is not a valid internationalized domain name: it has no A-label (xn--) form"),
    ('192.0.2.1', "domain '192.0.2.1' has an all-numeric top-level label"),
    (' example.com', "domain ' example.com' has leading or trailing white space"),
])
def test_validate_domain_errors(domain, message):
    with pytest.raises(RecordError) as exc:
        r.validate_domain(domain)
    assert str(exc.value) == message


def test_validate_domain_too_long():
    name = '.'.join(['a' * 63] * 4)  # 255 characters
    with pytest.raises(RecordError) as exc:
        r.validate_domain(name)
    assert str(exc.value) == "domain %r is 255 characters long; a domain name has at most 253" % name


def test_validate_domain_underscore_allowed_for_service_names():
    assert r.validate_domain('_spf.Google.com', underscore=True) == '_spf.google.com'


@pytest.mark.parametrize('selector, normalized', [
    ('mail', 'mail'),
    ('S2024-01', 's2024-01'),
    ('rsa.2024', 'rsa.2024'),
    ('20240101', '20240101'),
])
def test_validate_selector_ok(selector, normalized):
    assert r.validate_selector(selector, 'example.com') == normalized


@pytest.mark.parametrize('selector, message', [
    ('', "selector must be a non-empty string, got ''"),
    (None, 'selector must be a non-empty string, got None'),
    ('mail_2024', "selector 'mail_2024' has an invalid label 'mail_2024': only letters, digits and inner "
                  "hyphens are allowed"),
    ('mail.', "selector 'mail.' has an empty label"),
    ('-x', "selector '-x' has an invalid label '-x': only letters, digits and inner hyphens are allowed"),
    ('s' * 64, "selector '%s' has a label longer than 63 characters: '%s'" % ('s' * 64, 's' * 64)),
])
def test_validate_selector_errors(selector, message):
    with pytest.raises(RecordError) as exc:
        r.validate_selector(selector)
    assert str(exc.value) == message


def test_validate_selector_name_too_long():
    domain = '.'.join(['d' * 60] * 3) + '.com'
    selector = 'a' * 63 + '.b'
    with pytest.raises(RecordError) as exc:
        r.validate_selector(selector, domain)
    assert str(exc.value).startswith("selector '%s' makes the name '%s._domainkey." % (selector, selector))
    assert str(exc.value).endswith("' longer than 253 characters")


# ------------------------------------------------------------------------------------------ DKIM

def test_dkim_record_shape():
    rec = r.dkim_record('Example.com', 'Mail', 'QUJD', 'rsa', testing=True, ttl=300)
    assert rec == {
        'fqdn': 'mail._domainkey.example.com.',
        'name': 'mail._domainkey',
        'type': 'TXT',
        'ttl': 300,
        'value': 'v=DKIM1; k=rsa; t=y; p=QUJD',
        'strings': ['v=DKIM1; k=rsa; t=y; p=QUJD'],
        'zone_line': 'mail._domainkey.example.com. 300 IN TXT "v=DKIM1; k=rsa; t=y; p=QUJD"',
        'domain': 'example.com',
        'kind': 'dkim',
        'selector': 'mail',
        'key_type': 'rsa',
    }


@pytest.mark.parametrize('public_key, key_type, message', [
    ('QUJD', 'dsa', "key_type must be one of rsa, ed25519, got 'dsa'"),
    ('QU JD', 'rsa', "public key for the DKIM record must be base64 without white space, got 'QU JD'"),
    ('', 'rsa', "public key for the DKIM record must be base64 without white space, got ''"),
])
def test_dkim_value_errors(public_key, key_type, message):
    with pytest.raises(RecordError) as exc:
        r.dkim_value(public_key, key_type)
    assert str(exc.value) == message


@pytest.mark.parametrize('value, tags', [
    ('v=DKIM1; k=rsa; p=AB CD', {'v': 'DKIM1', 'k': 'rsa', 'p': 'ABCD'}),
    ('v=DMARC1;p=none;', {'v': 'DMARC1', 'p': 'none'}),
])
def test_parse_tags(value, tags):
    assert r.parse_tags(value) == tags


@pytest.mark.parametrize('value, message', [
    ('v=DKIM1; junk', "tag 'junk' in 'v=DKIM1; junk' has no \"=\""),
    ('p=a; p=b', "tag 'p' appears twice in 'p=a; p=b'"),
])
def test_parse_tags_errors(value, message):
    with pytest.raises(RecordError) as exc:
        r.parse_tags(value)
    assert str(exc.value) == message


# ------------------------------------------------------------------------------------------ SPF

@pytest.mark.parametrize('spf, value', [
    ({}, 'v=spf1 -all'),
    ({'mx': True}, 'v=spf1 mx -all'),
    ({'mx': True, 'a': True, 'all': 'softfail'}, 'v=spf1 mx a ~all'),
    ({'all': 'neutral'}, 'v=spf1 ?all'),
    ({'ip4': ['192.0.2.1', '198.51.100.0/24', '203.0.113.7/32']},
     'v=spf1 ip4:192.0.2.1 ip4:198.51.100.0/24 ip4:203.0.113.7 -all'),
    ({'ip6': ['2001:DB8::1', '2001:db8:1::/48']}, 'v=spf1 ip6:2001:db8::1 ip6:2001:db8:1::/48 -all'),
    ({'include': ['_spf.Google.com', 'spf.protection.outlook.com']},
     'v=spf1 include:_spf.google.com include:spf.protection.outlook.com -all'),
    ({'a': ['mail.example.com'], 'mx': ['example.net']}, 'v=spf1 mx:example.net a:mail.example.com -all'),
    ({'a': False, 'mx': None}, 'v=spf1 -all'),
])
def test_spf_value(spf, value):
    assert r.spf_value(spf, 'example.com') == value


@pytest.mark.parametrize('spf, lookups', [
    ({}, 0),
    ({'ip4': ['192.0.2.1'], 'ip6': ['2001:db8::1']}, 0),
    ({'mx': True, 'a': True}, 2),
    ({'include': ['a.example', 'b.example'], 'mx': ['x.example', 'y.example']}, 4),
])
def test_spf_lookup_count(spf, lookups):
    assert r.spf_record('example.com', spf)['lookups'] == lookups


@pytest.mark.parametrize('terms, costly', [
    (['mx', 'a', 'ip4:192.0.2.1', '-all'], ['mx', 'a']),
    (['include:x.example', 'exists:%{i}.x.example', 'ptr', 'redirect=y.example'],
     ['include:x.example', 'exists:%{i}.x.example', 'ptr', 'redirect=y.example']),
    (['-a/24', '~mx:example.net/24', '?include:z.example', 'ip6:2001:db8::/32', 'all'],
     ['-a/24', '~mx:example.net/24', '?include:z.example']),
    (['exp=explain.example'], []),
])
def test_spf_lookup_terms(terms, costly):
    assert r.spf_lookup_terms(terms) == costly


def test_spf_ten_lookups_is_the_limit():
    spf = {'include': ['i%d.example' % i for i in range(9)], 'mx': True}
    assert r.spf_record('example.com', spf)['lookups'] == 10


def test_spf_eleven_lookups_fail_naming_them():
    spf = {'include': ['i%d.example' % i for i in range(9)], 'mx': True, 'a': True}
    with pytest.raises(RecordError) as exc:
        r.spf_value(spf, 'example.com')
    assert str(exc.value) == (
        'SPF for example.com needs 11 DNS lookups (mx, a, %s); RFC 7208 allows at most 10, so receivers would '
        'return permerror' % ', '.join('include:i%d.example' % i for i in range(9)))


@pytest.mark.parametrize('spf, message', [
    ({'ip4': ['192.0.2.256']}, "spf.ip4 entry '192.0.2.256' is not an IPv4 address or network"),
    ({'ip4': ['192.0.2.1/24']}, "spf.ip4 entry '192.0.2.1/24' has host bits set: 192.0.2.1/24 has host bits set"),
    ({'ip4': ['2001:db8::1']}, "spf.ip4 entry '2001:db8::1' is an IPv6 network, not IPv4"),
    ({'ip6': ['192.0.2.1']}, "spf.ip6 entry '192.0.2.1' is an IPv4 network, not IPv6"),
    ({'ip6': ['2001:db8::zz']}, "spf.ip6 entry '2001:db8::zz' is not an IPv6 address or network"),
    ({'ip4': '192.0.2.1'}, "spf.ip4 must be a list, got '192.0.2.1'"),
    ({'include': ['bad domain.com']}, "spf.include entry 'bad domain.com' has an invalid label 'bad domain': only "
                                      "letters, digits, underscores and inner hyphens are allowed"),
    ({'include': ['Example.com']}, "spf.include entry 'Example.com' includes the domain itself (a loop)"),
    ({'a': ['not_a_host.example']}, "spf.a entry 'not_a_host.example' has an invalid label 'not_a_host': only "
                                    "letters, digits and inner hyphens are allowed"),
    ({'mx': True, 'include': ['x.example', 'x.example']}, "SPF term 'include:x.example' is listed twice"),
    ({'all': 'pass'}, "spf.all must be one of fail, softfail, neutral, got 'pass'"),
    ({'redirect': 'x.example'}, 'spf has unknown keys redirect; allowed: a, all, include, ip4, ip6, mx'),
    ('v=spf1 -all', "spf must be a dictionary, got 'v=spf1 -all'"),
])
def test_spf_errors(spf, message):
    with pytest.raises(RecordError) as exc:
        r.spf_value(spf, 'example.com')
    assert str(exc.value) == message


def test_spf_record_shape():
    rec = r.spf_record('example.com', {'mx': True})
    assert rec['fqdn'] == 'example.com.'
    assert rec['name'] == '@'
    assert rec['zone_line'] == 'example.com. 3600 IN TXT "v=spf1 mx -all"'
    assert rec['kind'] == 'spf'


# ------------------------------------------------------------------------------------------ DMARC

@pytest.mark.parametrize('dmarc, value', [
    ({'policy': 'none'}, 'v=DMARC1; p=none'),
    ({'policy': 'reject', 'subdomain_policy': 'quarantine'}, 'v=DMARC1; p=reject; sp=quarantine'),
    ({'policy': 'quarantine', 'pct': 25}, 'v=DMARC1; p=quarantine; pct=25'),
    ({'policy': 'quarantine', 'pct': 100}, 'v=DMARC1; p=quarantine'),
    ({'policy': 'quarantine', 'pct': 0}, 'v=DMARC1; p=quarantine; pct=0'),
    ({'policy': 'reject', 'adkim': 'strict', 'aspf': 'r'}, 'v=DMARC1; p=reject; adkim=s; aspf=r'),
    ({'policy': 'none', 'rua': 'mailto:d@example.com'}, 'v=DMARC1; p=none; rua=mailto:d@example.com'),
    ({'policy': 'none', 'rua': ['mailto:a@example.com', 'MAILTO:b@example.net!10m']},
     'v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net!10m'),
    ({'policy': 'none', 'rua': 'mailto:a@example.com, mailto:b@example.net'},
     'v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net'),
    ({'policy': 'none', 'ruf': ['mailto:f@example.com'], 'fo': '1:d'},
     'v=DMARC1; p=none; ruf=mailto:f@example.com; fo=1:d'),
])
def test_dmarc_value(dmarc, value):
    assert r.dmarc_value(dmarc) == value


@pytest.mark.parametrize('dmarc, message', [
    ({}, 'dmarc.policy is required (one of none, quarantine, reject)'),
    ({'policy': 'block'}, "dmarc.policy must be one of none, quarantine, reject, got 'block'"),
    ({'policy': 'none', 'subdomain_policy': 'drop'},
     "dmarc.subdomain_policy must be one of none, quarantine, reject, got 'drop'"),
    ({'policy': 'none', 'pct': 101}, 'dmarc.pct must be an integer from 0 to 100, got 101'),
    ({'policy': 'none', 'pct': -1}, 'dmarc.pct must be an integer from 0 to 100, got -1'),
    ({'policy': 'none', 'pct': '50'}, "dmarc.pct must be an integer from 0 to 100, got '50'"),
    ({'policy': 'none', 'pct': True}, 'dmarc.pct must be an integer from 0 to 100, got True'),
    ({'policy': 'none', 'rua': 'dmarc@example.com'},
     "dmarc.rua entry 'dmarc@example.com' is not a mailto: URI (write mailto:dmarc@example.com)"),
    ({'policy': 'none', 'rua': 'https://example.com/dmarc'},
     "dmarc.rua entry 'https://example.com/dmarc' is not a mailto: URI such as mailto:dmarc@example.com"),
    ({'policy': 'none', 'ruf': ['mailto:a;b@example.com']},
     "dmarc.ruf entry 'mailto:a;b@example.com' is not a mailto: URI such as mailto:dmarc@example.com"),
    ({'policy': 'none', 'rua': 'mailto:x@bad_domain.example'},
     "dmarc.rua entry 'mailto:x@bad_domain.example': domain 'bad_domain.example' has an invalid label "
     "'bad_domain': only letters, digits and inner hyphens are allowed"),
    ({'policy': 'none', 'rua': []}, 'dmarc.rua must name at least one mailto: address'),
    ({'policy': 'none', 'adkim': 'x'}, "dmarc.adkim must be r (relaxed) or s (strict), got 'x'"),
    ({'policy': 'none', 'aspf': 'loose'}, "dmarc.aspf must be r (relaxed) or s (strict), got 'loose'"),
    ({'policy': 'none', 'fo': '2'}, "dmarc.fo must be 0, 1, d or s, or several joined by \":\" (e.g. 1:d), got '2'"),
    ({'policy': 'none', 'fo': '1:'}, "dmarc.fo must be 0, 1, d or s, or several joined by \":\" (e.g. 1:d), "
                                     "got '1:'"),
    ({'policy': 'none', 'ri': 86400}, 'dmarc has unknown keys ri; allowed: policy, subdomain_policy, pct, rua, '
                                      'ruf, adkim, aspf, fo'),
])
def test_dmarc_errors(dmarc, message):
    with pytest.raises(RecordError) as exc:
        r.dmarc_value(dmarc)
    assert str(exc.value) == message


def test_dmarc_record_shape():
    rec = r.dmarc_record('example.com', {'policy': 'reject'}, ttl=600)
    assert (rec['fqdn'], rec['name'], rec['kind']) == ('_dmarc.example.com.', '_dmarc', 'dmarc')
    assert rec['zone_line'] == '_dmarc.example.com. 600 IN TXT "v=DMARC1; p=reject"'


# ------------------------------------------------------------------------------------------ PTR, TTL, zone

@pytest.mark.parametrize('ip, fqdn, name, zone', [
    ('192.0.2.25', '25.2.0.192.in-addr.arpa.', '25', '2.0.192.in-addr.arpa'),
    ('2001:db8::25', '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.',
     '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0', '0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'),
])
def test_ptr_record(ip, fqdn, name, zone):
    rec = r.ptr_record(ip, 'Mail.Example.com')
    assert (rec['fqdn'], rec['name'], rec['domain'], rec['value']) == (fqdn, name, zone, 'mail.example.com.')
    assert rec['zone_line'] == '%s 3600 IN PTR mail.example.com.' % fqdn
    assert rec['strings'] == []


@pytest.mark.parametrize('ip, name, message', [
    ('192.0.2.300', 'mail.example.com', "ptr entry ip '192.0.2.300' is not an IP address"),
    ('192.0.2.1', 'mail', "ptr entry name 'mail' is not a fully qualified domain name (it needs at least two "
                          "labels)"),
])
def test_ptr_record_errors(ip, name, message):
    with pytest.raises(RecordError) as exc:
        r.ptr_record(ip, name)
    assert str(exc.value) == message


@pytest.mark.parametrize('ttl', [-1, 2147483648, '3600', True, None])
def test_ttl_errors(ttl):
    with pytest.raises(RecordError) as exc:
        r.validate_ttl(ttl)
    assert str(exc.value) == 'ttl must be an integer between 0 and 2147483647, got %r' % (ttl,)


def test_zone_snippet_loads_in_dnspython():
    long_key = 'A' * 736
    records = [
        r.dkim_record('example.com', 'big', long_key),
        r.spf_record('example.com', {'mx': True, 'include': ['_spf.example.net']}),
        r.dmarc_record('example.com', {'policy': 'reject', 'rua': 'mailto:d@example.com'}),
        r.ptr_record('192.0.2.25', 'mail.example.com'),
    ]
    text = r.zone_snippet(records, header='DNS records for example.com\n\nmore')
    assert text.startswith('; DNS records for example.com\n;\n; more\n')
    zone = dns.zone.from_text(text, origin='.', relativize=False, check_origin=False)
    txt = zone.find_rdataset('big._domainkey.example.com.', 'TXT')
    assert b''.join(list(txt)[0].strings) == ('v=DKIM1; k=rsa; p=' + long_key).encode()
    assert [len(s) for s in list(txt)[0].strings] == [255, 255, 244]
    ptr = zone.find_rdataset('25.2.0.192.in-addr.arpa.', 'PTR')
    assert list(ptr)[0].target.to_text() == 'mail.example.com.'
    assert zone.find_rdataset('example.com.', 'TXT').ttl == 3600
