# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: checking what DNS serves (backend of dns_check).

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Parts:
- ``Lookup``: one dnspython resolver (given name servers or the system's), answers as plain values;
- ``record_status``: published / missing / different / error for one expected record;
- ``spf_checks``: whether the SPF record covers the sending IPs, with _spf.SPFEvaluator;
- ``dkim_key_info``: the key type and size behind a DKIM record's p= tag (_dkim_keys.rsa_modulus_bits, pure
  Python, so dns_check runs where cryptography is not installed);
- ``dmarc_problems``: what is wrong with a served DMARC record;
- ``check``: runs all that, optionally waiting (bounded) until the records are published.
"""

from __future__ import absolute_import, division, print_function

import base64
import binascii
import ipaddress
import re
import time

try:
    import dns.exception
    import dns.name
    import dns.rdatatype
    import dns.resolver
    import dns.reversename
except ImportError:  # pragma: no cover - the module reports the missing library via _dns_client
    pass

from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_keys import MIN_RSA_SIZE, rsa_modulus_bits
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_client import DNSClientError, resolve_server
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_desired import normalize_records, txt_tag
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import (
    DMARC_POLICIES,
    RecordError,
    parse_tags,
)
from ansible_collections.mailauth.dkim.plugins.module_utils._spf import SPFEvaluator

MIN_RSA_BITS = MIN_RSA_SIZE
STATUS_ORDER = ('published', 'missing', 'different', 'error')


# ------------------------------------------------------------------------------------------------
# Lookups
# ------------------------------------------------------------------------------------------------

class LookupResult(object):
    """status: 'ok', 'nxdomain', 'nodata' or 'error'; values: texts; message: for errors."""

    def __init__(self, status, values=None, message=None):
        self.status = status
        self.values = values or []
        self.message = message


class Lookup(object):
    def __init__(self, nameservers=None, port=53, timeout=5.0):
        if nameservers:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [resolve_server(ns, port) for ns in nameservers]
            self.where = ', '.join('%s port %s' % (ns, port) for ns in nameservers)
        else:
            try:
                resolver = dns.resolver.Resolver()
            except dns.exception.DNSException as exc:
                raise DNSClientError('cannot read the system resolver configuration: %s' % exc)
            self.where = 'the system resolver (%s)' % ', '.join(str(ns) for ns in resolver.nameservers)
        resolver.port = port
        resolver.timeout = timeout
        resolver.lifetime = timeout
        resolver.use_edns(0, 0, 1232)
        resolver.cache = None
        self.resolver = resolver
        self.timeout = timeout

    def __call__(self, name, rdtype):
        if isinstance(name, str):
            try:
                name = dns.name.from_text(name)
            except dns.exception.DNSException as exc:
                return LookupResult('error', message='%r is not a valid DNS name: %s' % (name, exc))
        what = '%s %s' % (name.to_text(), rdtype)
        try:
            answer = self.resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return LookupResult('nxdomain')
        except dns.resolver.LifetimeTimeout:
            return LookupResult('error', message='no answer within %s seconds from %s (query %s)'
                                % (self.timeout, self.where, what))
        except dns.resolver.NoNameservers as exc:
            return LookupResult('error', message='no server could answer %s (%s): %s' % (what, self.where, exc))
        except dns.exception.DNSException as exc:
            return LookupResult('error', message='query %s to %s failed: %s' % (what, self.where, exc))
        if answer.rrset is None:
            return LookupResult('nodata')
        return LookupResult('ok', sorted(rdata_text(rd) for rd in answer.rrset))


def rdata_text(rd):
    """A plain text form of one rdata: TXT strings joined, names absolute, addresses as such."""
    rdtype = rd.rdtype
    if rdtype == dns.rdatatype.TXT:
        return b''.join(rd.strings).decode('utf-8', 'replace')
    if rdtype in (dns.rdatatype.PTR, dns.rdatatype.CNAME):
        return rd.target.to_text()
    if rdtype == dns.rdatatype.MX:
        return rd.exchange.to_text()
    if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return rd.address
    return rd.to_text()


def _same_name(a, b):
    return a.rstrip('.').lower() == b.rstrip('.').lower()


def record_status(expected, result):
    """(status, served values, message) for one expected DesiredRecord given one LookupResult."""
    label = expected.label
    if result.status == 'error':
        return 'error', [], result.message
    if result.status == 'nxdomain':
        return 'missing', [], '%s: the name does not exist (NXDOMAIN)' % label
    if result.status == 'nodata':
        return 'missing', [], '%s: the name exists but has no %s record' % (label, expected.rtype)
    served = result.values
    if expected.rtype == 'PTR':
        if any(_same_name(value, expected.value) for value in served):
            return 'published', served, '%s: published' % label
        return 'different', served, '%s: points to %s, expected %s' % (label, ', '.join(served), expected.value)
    if expected.value in served:
        return 'published', served, '%s: published' % label
    tag = expected.tag
    relevant = [value for value in served if (txt_tag(value) == tag if tag else True)]
    if relevant:
        return 'different', served, '%s: serves %s, expected %s' % (
            label, ' | '.join(repr(v) for v in relevant), repr(expected.value))
    return 'missing', served, '%s: no %s record among the TXT records served' % (label, tag or 'matching')


# ------------------------------------------------------------------------------------------------
# DKIM keys
# ------------------------------------------------------------------------------------------------

def dkim_key_info(value):
    """(key_type, bits, problem) for a DKIM record value; problem is None when the key is usable."""
    try:
        tags = parse_tags(value)
    except RecordError as exc:
        return None, None, 'the record does not parse: %s' % exc
    if 'v' in tags and tags['v'] != 'DKIM1':
        return None, None, 'v=%s is not v=DKIM1' % tags['v']
    key_type = tags.get('k', 'rsa').lower()
    if 'p' not in tags:
        return key_type, None, 'the record has no p= tag'
    if not tags['p']:
        return key_type, None, 'the key is revoked (empty p=)'
    try:
        raw = base64.b64decode(tags['p'], validate=True)
    except (binascii.Error, ValueError):
        return key_type, None, 'p= is not valid base64'
    if key_type == 'ed25519':
        if len(raw) != 32:
            return key_type, None, 'an Ed25519 key is 32 bytes, p= holds %d' % len(raw)
        return key_type, 256, None
    if key_type != 'rsa':
        return key_type, None, 'unknown key type k=%s' % key_type
    try:
        bits = rsa_modulus_bits(raw)
    except ValueError as exc:
        return key_type, None, 'p= is not an RSA public key (%s)' % exc
    if bits < MIN_RSA_BITS:
        return key_type, bits, 'the RSA key has %d bits; at least %d are required' % (bits, MIN_RSA_BITS)
    return key_type, bits, None


# ------------------------------------------------------------------------------------------------
# DMARC
# ------------------------------------------------------------------------------------------------

def dmarc_problems(value):
    """(policy, problem) for a served DMARC record; problem None when it is valid."""
    if not re.match(r'^v\s*=\s*DMARC1\s*(;|$)', value):
        return None, 'the record must start with v=DMARC1'
    try:
        tags = parse_tags(value)
    except RecordError as exc:
        return None, 'the record does not parse: %s' % exc
    policy = tags.get('p')
    if policy is None:
        return None, 'the record has no p= policy'
    if policy.lower() not in DMARC_POLICIES:
        return policy, 'p=%s is not one of %s' % (policy, ', '.join(DMARC_POLICIES))
    sp = tags.get('sp')
    if sp is not None and sp.lower() not in DMARC_POLICIES:
        return policy, 'sp=%s is not one of %s' % (sp, ', '.join(DMARC_POLICIES))
    pct = tags.get('pct')
    if pct is not None and (not pct.isdigit() or int(pct) > 100):
        return policy, 'pct=%s is not a number from 0 to 100' % pct
    for key in ('adkim', 'aspf'):
        if key in tags and tags[key] not in ('r', 's'):
            return policy, '%s=%s is not r or s' % (key, tags[key])
    for key in ('rua', 'ruf'):
        if key in tags:
            for uri in tags[key].split(','):
                if not uri.strip().lower().startswith('mailto:'):
                    return policy, '%s entry %r is not a mailto: URI' % (key, uri.strip())
    return policy.lower(), None


# ------------------------------------------------------------------------------------------------
# Records and readiness
# ------------------------------------------------------------------------------------------------

def _worst(entries):
    return max(entries, key=lambda entry: STATUS_ORDER.index(entry['status']))


def check_records(desired, lookups):
    """One entry per expected record: status, served values, message (and per server when several)."""
    out = []
    for record in desired:
        per_server = []
        for label, lookup in lookups:
            status, served, message = record_status(record, lookup(record.fqdn, record.rtype))
            per_server.append({'server': label, 'status': status, 'served': served, 'message': message})
        worst = _worst(per_server)
        message = worst['message']
        if len(lookups) > 1 and worst['status'] != 'published':
            # Name the servers that do not serve the record; the others do.
            message = '; '.join('%s: %s' % (server['server'], server['message'])
                                for server in per_server if server['status'] != 'published')
        entry = dict(record.source)
        entry.update({
            'fqdn': record.fqdn.to_text(),
            'type': record.rtype,
            'value': record.value,
            'kind': record.kind,
            'domain': record.domain,
            'status': worst['status'],
            'served': worst['served'],
            'message': message,
        })
        if len(lookups) > 1:
            entry['servers'] = per_server
        out.append(entry)
    return out


def _check(name, subject, ok, message):
    return {'check': name, 'subject': subject, 'ok': bool(ok), 'message': message}


def dkim_checks(domain, pairs):
    if not pairs:
        return [_check('dkim', domain, False, 'no DKIM record for %s was given to check; pass the records that '
                                              'mailauth.dkim.dns_records returns' % domain)]
    checks = []
    for record, result in pairs:
        subject = record.fqdn.to_text()
        if result['status'] != 'published':
            checks.append(_check('dkim', subject, False, result['message']))
            continue
        key_type, bits, problem = dkim_key_info(record.value)
        if bits is None and problem == 'the key is revoked (empty p=)':
            # Asked for: a rotated-out key whose record says so until it is removed.
            checks.append(_check('dkim', subject, True, '%s: revoked (empty p=), as asked' % subject))
        elif problem:
            checks.append(_check('dkim', subject, False, '%s: %s' % (subject, problem)))
        elif key_type == 'ed25519':
            checks.append(_check('dkim', subject, True, '%s: Ed25519 key published' % subject))
        else:
            checks.append(_check('dkim', subject, True, '%s: %d-bit RSA key published' % (subject, bits)))
    return checks


def spf_checks(domain, lookup, sending_ips):
    result = lookup(domain, 'TXT')
    if result.status == 'error':
        return [_check('spf', domain, False, 'SPF: %s' % result.message)]
    records = [value for value in result.values if txt_tag(value) == 'v=spf1']
    if not records:
        return [_check('spf', domain, False, 'SPF: %s publishes no v=spf1 record' % domain)]
    if len(records) > 1:
        return [_check('spf', domain, False, 'SPF: %s publishes %d v=spf1 records; exactly one is allowed '
                                             '(receivers treat this as permerror)' % (domain, len(records)))]
    if not sending_ips:
        return [_check('spf', domain, True, 'SPF record present (%s); no sending_ips given, so whether it covers '
                                            'them was not checked' % records[0])]
    checks = []
    for ip in sending_ips:
        evaluator = SPFEvaluator(lookup)
        outcome, why = evaluator.check_host(ip, domain)
        checks.append(_check('spf', '%s %s' % (domain, ip), outcome == 'pass',
                             'SPF of %s for %s: %s (%s; %d DNS lookups)'
                             % (domain, ip, outcome, why, evaluator.lookups)))
    return checks


def dmarc_checks(domain, lookup):
    name = '_dmarc.%s' % domain
    result = lookup(name, 'TXT')
    if result.status == 'error':
        return [_check('dmarc', name, False, 'DMARC: %s' % result.message)]
    records = [value for value in result.values if value.lower().startswith('v=dmarc1')]
    if not records:
        return [_check('dmarc', name, False, 'DMARC: %s publishes no v=DMARC1 record' % name)]
    if len(records) > 1:
        return [_check('dmarc', name, False, 'DMARC: %s publishes %d v=DMARC1 records; exactly one is allowed'
                       % (name, len(records)))]
    policy, problem = dmarc_problems(records[0])
    if problem:
        return [_check('dmarc', name, False, 'DMARC record %r: %s' % (records[0], problem))]
    note = ' (monitoring only; quarantine or reject protect the domain)' if policy == 'none' else ''
    return [_check('dmarc', name, True, 'DMARC policy p=%s published%s' % (policy, note))]


def ptr_check(ip, lookup):
    address = ipaddress.ip_address(ip)
    reverse = dns.reversename.from_address(str(address))
    result = lookup(reverse, 'PTR')
    subject = str(address)
    if result.status == 'error':
        return _check('ptr', subject, False, 'PTR of %s: %s' % (subject, result.message))
    if result.status != 'ok':
        return _check('ptr', subject, False, 'no PTR record for %s (%s)' % (subject, reverse.to_text()))
    rdtype = 'A' if address.version == 4 else 'AAAA'
    seen = []
    for name in result.values:
        forward = lookup(name, rdtype)
        addresses = forward.values if forward.status == 'ok' else []
        if any(ipaddress.ip_address(a) == address for a in addresses):
            return _check('ptr', subject, True, '%s -> %s -> %s (forward-confirmed)' % (subject, name, subject))
        seen.append('%s %s: %s' % (name, rdtype, ', '.join(addresses) if addresses else
                                   (forward.message or forward.status.upper())))
    return _check('ptr', subject, False, '%s has PTR %s, but it does not resolve back to %s (%s)'
                  % (subject, ', '.join(result.values), subject, '; '.join(seen)))


def readiness_report(domains, desired, record_results, lookup, sending_ips, sending_ips_by_domain=None):
    """Per domain: ready and checks. A domain's sending IPs come from sending_ips_by_domain, else sending_ips."""
    ptr = {}
    report = {}
    for domain in domains:
        ips = (sending_ips_by_domain or {}).get(domain, sending_ips)
        pairs = [(rec, res) for rec, res in zip(desired, record_results) if rec.kind == 'dkim' and rec.domain == domain]
        checks = dkim_checks(domain, pairs) + spf_checks(domain, lookup, ips) + dmarc_checks(domain, lookup)
        for ip in ips:
            if ip not in ptr:
                ptr[ip] = ptr_check(ip, lookup)
            checks.append(dict(ptr[ip]))
        report[domain] = {'ready': all(item['ok'] for item in checks), 'checks': checks}
    return report


def _domains(desired, extra):
    out = []
    for record in desired:
        if record.kind in ('dkim', 'spf', 'dmarc') and record.domain:
            domain = record.domain.rstrip('.').lower()
            if domain not in out:
                out.append(domain)
    for domain in extra or []:
        domain = domain.rstrip('.').lower()
        if domain not in out:
            out.append(domain)
    return out


def _sending_ips(values, what='sending_ips'):
    out = []
    if isinstance(values, str):
        values = [values]
    for value in values or []:
        try:
            address = str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise DNSClientError('%s entry %r is not an IPv4 or IPv6 address' % (what, value))
        if address not in out:
            out.append(address)
    return out


def failures(result, fail_on):
    """The problems that fail the check: with ``missing``, records not published; with ``not_ready`` also
    failed readiness checks; with ``never`` none."""
    if fail_on == 'never':
        return []
    problems = [entry['message'] for entry in result['records'] if entry['status'] != 'published']
    if fail_on == 'not_ready':
        for domain, report in result['readiness'].items():
            problems.extend('%s: %s' % (domain, item['message']) for item in report['checks'] if not item['ok'])
    return problems


def _check_options(records, port, query_timeout, timeout, interval, domains):
    for name, value in (('query_timeout', query_timeout), ('interval', interval)):
        if value <= 0:
            raise DNSClientError('%s must be a positive number of seconds, got %r' % (name, value))
    if timeout < 0:
        raise DNSClientError('timeout must not be negative, got %r' % timeout)
    if not 0 < port < 65536:
        raise DNSClientError('port must be between 1 and 65535, got %r' % port)
    if not records and not domains:
        raise DNSClientError('give records to check, or domains to report readiness for')


_ROTATION_FIELDS = ('active', 'age_days', 'overdue', 'step', 'at')


def add_rotation(report, rotation):
    """Put each domain's key rotation (the role's opendkim_rotation_report items, or dkim_rotation's summary with a
    ``domain``) into its readiness entry as ``rotation``; return the warnings for keys older than their period.

    The rotation informs, it does not make a domain unready: an overdue key still verifies.
    """
    warnings = []
    for item in rotation or []:
        if not isinstance(item, dict) or not item.get('domain'):
            raise DNSClientError('rotation: each item needs a domain, got %r' % (item,))
        domain = str(item['domain']).rstrip('.').lower()
        entry = report.get(domain)
        if entry is None:
            continue
        entry['rotation'] = dict((name, item.get(name)) for name in _ROTATION_FIELDS)
        if item.get('overdue'):
            warnings.append('%s: the signing key(s) %s are %s days old, past their rotation period; next: %s'
                            % (domain, ', '.join(sorted((item.get('active') or {}).values())) or '-',
                               item.get('age_days'), item.get('step')))
    return warnings


def check(records, nameservers=None, port=53, query_timeout=5.0, wait=False, timeout=60.0, interval=5.0,
          sending_ips=None, domains=None, readiness=True, sending_ips_by_domain=None, sleep=time.sleep,
          clock=time.monotonic, fail_on='never', rotation=None):
    """Check the records, waiting (bounded by ``timeout``) when asked; then the readiness report.

    Returns a dict: records, all_published, readiness, ready, attempts, waited. Raises DNSClientError for bad
    options and, as ``fail_on`` asks (see failures()), when DNS is not as expected; that error's ``result``
    holds the whole report.
    """
    _check_options(records, port, query_timeout, timeout, interval, domains)
    desired = normalize_records(records)
    ips = _sending_ips(sending_ips)
    by_domain = {}
    for domain, values in (sending_ips_by_domain or {}).items():
        by_domain[domain.rstrip('.').lower()] = _sending_ips(values, 'sending_ips_by_domain[%s]' % domain)
    if nameservers:
        lookups = [(ns, Lookup([ns], port, query_timeout)) for ns in nameservers]
    else:
        lookups = [('system', Lookup(None, port, query_timeout))]
    combined = Lookup(nameservers, port, query_timeout) if len(lookups) > 1 else lookups[0][1]
    start = clock()
    attempts = 0
    while True:
        attempts += 1
        results = check_records(desired, lookups)
        all_published = all(entry['status'] == 'published' for entry in results)
        if all_published or not wait:
            break
        remaining = start + timeout - clock()
        if remaining <= 0:
            break
        sleep(min(interval, remaining))
    waited = round(clock() - start, 3)
    report = {}
    if readiness:
        report = readiness_report(_domains(desired, domains), desired, results, combined, ips, by_domain)
    warnings = add_rotation(report, rotation)
    ready = all_published and all(item['ready'] for item in report.values())
    result = {
        'records': results,
        'all_published': all_published,
        'readiness': report,
        'ready': ready,
        'attempts': attempts,
        'waited': waited,
    }
    if warnings:
        result['warnings'] = warnings
    problems = failures(result, fail_on)
    if problems:
        raise DNSClientError('DNS is not as expected: ' + '; '.join(problems), changed=False, **result)
    return result
