# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: the logic of the mailauth.dkim.dns_records module.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

It turns the module's options into record dicts with the pure functions of _dns_format, checks every
rendered record with dnspython's own parser (what a DNS server loading the zone would do), and writes
the optional zone snippet atomically (_fileio). No DNS traffic. RecordsBackend takes the module's
parameters, check mode, diff mode and file options as plain values and raises RecordsBackendError instead of
failing the module; warnings are collected in ``warnings``.
"""

from __future__ import absolute_import, division, print_function

import os
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_keys, _dns_format
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import (
    FileAttributes,
    new_file_mode,
    same_mode_and_owner,
    write_atomic,
)

DNSPYTHON_IMPORT_ERROR = None
try:
    import dns.exception
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DNSPYTHON = True


DKIM_SPEC = dict(
    selector=dict(type='str'),
    public_key=dict(type='str', no_log=False),
    key_type=dict(type='str', choices=['rsa', 'ed25519'], no_log=False),
    testing=dict(type='bool'),
    record=dict(type='dict'),
    revoked=dict(type='bool', default=False),
)
SPF_SPEC = dict(
    ip4=dict(type='list', elements='str'),
    ip6=dict(type='list', elements='str'),
    include=dict(type='list', elements='str'),
    a=dict(type='raw'),
    mx=dict(type='raw'),
    all=dict(type='str', choices=['fail', 'softfail', 'neutral'], default='fail'),
)
DMARC_SPEC = dict(
    policy=dict(type='str', choices=['none', 'quarantine', 'reject'], required=True),
    subdomain_policy=dict(type='str', choices=['none', 'quarantine', 'reject']),
    pct=dict(type='int'),
    rua=dict(type='raw'),
    ruf=dict(type='raw'),
    adkim=dict(type='str', choices=['r', 's', 'relaxed', 'strict']),
    aspf=dict(type='str', choices=['r', 's', 'relaxed', 'strict']),
    fo=dict(type='str'),
)
DOMAIN_SPEC = dict(
    domain=dict(type='str', required=True),
    dkim=dict(type='list', elements='dict', options=DKIM_SPEC),
    dkim_records=dict(type='list', elements='raw'),
    spf=dict(type='dict', options=SPF_SPEC),
    dmarc=dict(type='dict', options=DMARC_SPEC),
    ttl=dict(type='int'),
)
PTR_SPEC = dict(
    ip=dict(type='str', required=True),
    name=dict(type='str', required=True),
)


def argument_spec():
    spec = dict((k, dict(v)) for k, v in DOMAIN_SPEC.items())
    spec['domain'] = dict(type='str')
    spec['ttl'] = dict(type='int', default=_dns_format.DEFAULT_TTL)
    spec['domains'] = dict(type='list', elements='dict')
    spec['ptr'] = dict(type='list', elements='dict', options=PTR_SPEC)
    spec['dest'] = dict(type='path')
    spec['header'] = dict(type='bool', default=True)
    return spec


def _as_bool_testing(entry):
    return bool(entry.get('testing'))


def dkim_entry(entry, index, domain, ttl, where=None):
    """One DKIM record from a ``dkim`` item. Returns None (skip) for a null record from check mode."""
    where = where or 'dkim[%d]' % index
    entry = dict(entry)
    if entry.get('revoked'):
        if entry.get('public_key') or entry.get('record') or not entry.get('selector'):
            raise _dns_format.RecordError('%s: a revoked key takes a selector (and key_type), no public_key or record'
                                          % where)
        return _dns_format.revoked_dkim_record(domain, entry['selector'], entry.get('key_type') or 'rsa', ttl)
    record = entry.get('record')
    if record is not None:
        if entry.get('public_key'):
            raise _dns_format.RecordError('%s: give either public_key or record, not both' % where)
        if not isinstance(record, dict) or record.get('kind', 'dkim') != 'dkim' or 'value' not in record:
            raise _dns_format.RecordError('%s: record must be a DKIM record as returned by mailauth.dkim.dkim_key'
                                          % where)
        if record.get('domain') and _dns_format.validate_domain(record['domain']) != domain:
            raise _dns_format.RecordError('%s: record is for domain %s, not %s' % (where, record['domain'], domain))
        tags = _dns_format.parse_tags(record['value'])
        entry['public_key'] = tags.get('p')
        if entry.get('selector') is None:
            entry['selector'] = record.get('selector')
        if entry.get('key_type') is None:
            entry['key_type'] = record.get('key_type') or tags.get('k')
        if entry.get('testing') is None:
            entry['testing'] = 'y' in tags.get('t', '').split(':')
    elif entry.get('public_key') is None:
        if 'record' in entry and entry.get('selector') is None:
            return None
        raise _dns_format.RecordError('%s: public_key (or record) is required' % where)
    if not entry.get('selector'):
        raise _dns_format.RecordError('%s: selector is required' % where)
    try:
        key = _dkim_keys.parse_dkim_public_key(entry['public_key'], entry.get('key_type'))
    except _dkim_keys.KeyDataError as exc:
        raise _dns_format.RecordError('%s (selector %r): %s' % (where, entry['selector'], exc))
    rec = _dns_format.dkim_record(domain, entry['selector'], key['public_key'], key['type'],
                                  _as_bool_testing(entry), ttl)
    rec['fingerprint'] = key['fingerprint']
    rec['size'] = key['size']
    return rec


def domain_records(spec, default_ttl, warn):
    domain = _dns_format.validate_domain(spec.get('domain'))
    ttl = spec.get('ttl')
    ttl = _dns_format.validate_ttl(default_ttl if ttl is None else ttl)
    records = []
    for index, entry in enumerate(spec.get('dkim') or []):
        rec = dkim_entry(entry, index, domain, ttl)
        if rec is None:
            warn('%s: dkim[%d] has no record yet (a key that does not exist, as in check mode); skipped'
                 % (domain, index))
            continue
        records.append(rec)
    for index, entry in enumerate(spec.get('dkim_records') or []):
        if entry is None:
            warn('%s: dkim_records[%d] is null (a key that does not exist, as in check mode); skipped'
                 % (domain, index))
            continue
        records.append(dkim_entry({'record': entry}, index, domain, ttl, where='dkim_records[%d]' % index))
    if spec.get('spf') is not None:
        spf = dict((k, v) for k, v in spec['spf'].items() if v is not None)
        rec = _dns_format.spf_record(domain, spf, ttl)
        if len(rec['value'].encode('utf-8')) > _dns_format.SPF_RECOMMENDED_MAX:
            warn('SPF record for %s is %d bytes; RFC 7208 recommends under %d so answers fit in one UDP packet'
                 % (domain, len(rec['value']), _dns_format.SPF_RECOMMENDED_MAX))
        records.append(rec)
    if spec.get('dmarc') is not None:
        dmarc = dict((k, v) for k, v in spec['dmarc'].items() if v is not None)
        records.append(_dns_format.dmarc_record(domain, dmarc, ttl))
    return records


def check_with_dnspython(record):
    """Parse the rendered record with dnspython, as a DNS server loading the zone would."""
    try:
        name = dns.name.from_text(record['fqdn'])
        rdtype = dns.rdatatype.from_text(record['type'])
        rdata_text = record['zone_line'].split(' IN %s ' % record['type'], 1)[1]
        rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, rdata_text)
    except dns.exception.DNSException as exc:
        raise _dns_format.RecordError('record %s %s does not parse as DNS data: %s'
                                      % (record['fqdn'], record['type'], exc))
    if name.to_text() != record['fqdn'].lower():
        raise _dns_format.RecordError('record name %s does not round-trip through dnspython' % record['fqdn'])
    if record['type'] == 'TXT':
        wanted = [s.encode('utf-8') for s in record['strings']]
        if list(rdata.strings) != wanted:
            raise _dns_format.RecordError('record %s TXT strings do not round-trip through dnspython' % record['fqdn'])


class RecordsBackendError(MailauthError):
    """Why mailauth.dkim.dns_records fails; the message names the value or file concerned."""


class RecordsBackend(object):
    """Builds the records of mailauth.dkim.dns_records and writes the optional zone snippet.

    ``params`` are the module's parameters; ``files`` a _fileio.FileAttributes for O(dest); ``check_mode`` and
    ``diff`` as the module has them.
    """

    def __init__(self, params, check_mode=False, diff=False, files=None):
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.files = files or FileAttributes()
        self.warnings = []
        self.records = []

    def domain_specs(self):
        p = self.params
        if p['domains'] is None:
            if p['domain'] is None:
                return []
            return [dict((k, p[k]) for k in DOMAIN_SPEC)]
        specs = []
        validator = ArgumentSpecValidator(DOMAIN_SPEC)
        for index, item in enumerate(p['domains']):
            result = validator.validate(item)
            if result.error_messages:
                raise RecordsBackendError('domains[%d]: %s' % (index, '; '.join(result.error_messages)))
            specs.append(result.validated_parameters)
        return specs

    def build(self):
        records = []
        seen = {}
        specs = self.domain_specs()
        for spec in specs:
            try:
                records.extend(domain_records(spec, self.params['ttl'], self.warnings.append))
            except _dns_format.RecordError as exc:
                raise RecordsBackendError(str(exc))
        for index, entry in enumerate(self.params['ptr'] or []):
            try:
                records.append(_dns_format.ptr_record(entry['ip'], entry['name'], self.params['ttl']))
            except _dns_format.RecordError as exc:
                raise RecordsBackendError('ptr[%d]: %s' % (index, exc))
        for record in records:
            key = (record['fqdn'], record['type'])
            if key in seen:
                raise RecordsBackendError('two %s records for %s (%s and %s): publish one per name'
                                          % (record['type'], record['fqdn'], seen[key], record['kind']))
            seen[key] = record['kind']
            try:
                check_with_dnspython(record)
            except _dns_format.RecordError as exc:
                raise RecordsBackendError(str(exc))
        return records

    def header(self):
        if not self.params['header']:
            return None
        names = []
        for record in self.records:
            name = 'reverse zone %s' % record['domain'] if record['kind'] == 'ptr' else record['domain']
            if name not in names:
                names.append(name)
        return 'DNS records for %s\nGenerated by mailauth.dkim.dns_records; edits will be overwritten.' % (
            ', '.join(names) or 'nothing')

    def write_dest(self, zone):
        dest = self.params['dest']
        result = {'changed': False}
        if os.path.isdir(dest):
            raise RecordsBackendError('dest %s is a directory; give a file name' % dest)
        directory = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(directory):
            raise RecordsBackendError('directory %s for dest %s does not exist' % (directory, dest))
        before = None
        if os.path.exists(dest):
            try:
                with open(dest, 'rb') as handle:
                    before = handle.read().decode('utf-8', 'replace')
            except (IOError, OSError) as exc:
                raise RecordsBackendError('cannot read dest %s: %s' % (dest, exc))
        if before != zone:
            result['changed'] = True
            if self.diff:
                result['diff'] = {'before_header': dest, 'after_header': dest,
                                  'before': before or '', 'after': zone}
            if not self.check_mode:
                self.write_zone(dest, zone, before is not None)
        if os.path.exists(dest):
            result['changed'] = self.files.apply(dest, result['changed'])
        return result

    @staticmethod
    def write_zone(dest, zone, exists):
        """A new snippet gets 0644 less the umask; a rewritten one keeps the mode and owner it had."""
        if exists:
            prepare = same_mode_and_owner(dest)
        else:
            mode = new_file_mode(0o644)

            def prepare(tmp):
                os.chmod(tmp, mode)
        try:
            write_atomic(os.path.abspath(dest), zone.encode('utf-8'), prepare)
        except (IOError, OSError) as exc:
            raise RecordsBackendError('cannot write dest %s: %s' % (dest, exc))

    def run(self):
        self.records = self.build()
        zone = _dns_format.zone_snippet(self.records, self.header())
        out = {'changed': False, 'records': self.records, 'zone': zone}
        if self.params['dest']:
            out.update(self.write_dest(zone))
            out['dest'] = self.params['dest']
        return out
