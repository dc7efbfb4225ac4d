# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE module_utils of mailauth.dkim: key rotation in the opendkim role.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

The schedule itself is _dkim_rotation (pure) behind the module mailauth.dkim.dkim_rotation, which keeps each
domain's state on the managed host. These pure functions connect it to the role's keys (``signing_keys``):

- ``rotation_requests``: which domains rotate, with their selector prefixes (an item's selector), schedule and
  the keys that signed before (adopted), checked before anything changes;
- ``waiting_keys``: the keys of the generations published in an earlier run, whose records are checked;
- ``served_generations``: which of those generations every name server serves, matching the keys;
- ``rotated_keys``: the role's keys after the rotation moved: one per selector whose private key must exist
  (``signing`` only for the active generation), the revoked ones (``v=DKIM1; p=`` records, private keys removed),
  the records to remove, and the report per domain.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import posixpath

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_rotation as rot
from ansible_collections.mailauth.dkim.plugins.module_utils import _dns_format
from ansible_collections.mailauth.dkim.plugins.module_utils._opendkim_role import RoleInputError

SETTINGS = ('period_months', 'retire_days', 'delete_days', 'min_publish_hours', 'emergency', 'archive', 'nameservers')


def rotation_setting(value, what):
    """None (rotation off) or the dict of a rotation setting (true: {}), its keys checked."""
    if value is None:
        return None
    if not isinstance(value, dict):
        try:
            return {} if boolean(value, strict=True) else None
        except TypeError:
            raise RoleInputError('%s must be true, false or a dict with %s, got %r' % (what, ', '.join(SETTINGS), value))
    unknown = sorted(set(value) - set(SETTINGS))
    if unknown:
        raise RoleInputError('%s: unknown setting(s) %s; the settings are %s' % (what, ', '.join(unknown), ', '.join(SETTINGS)))
    return dict(value)


def _request(domain, setting, keys, now, default_nameservers, default_port=53):
    what = 'opendkim_rotation of %s' % domain
    try:
        sched = rot.schedule(setting, what)
        if setting.get('emergency'):
            rot.parse_time(setting['emergency'], '%s: emergency' % what)
        if now:
            rot.parse_time(now)
    except rot.RotationError as exc:
        raise RoleInputError(str(exc))
    nameservers = setting.get('nameservers') or default_nameservers
    # The port of opendkim_dns_update's server when the rotation asks that server, else DNS's own.
    port = 53 if setting.get('nameservers') else default_port
    if not isinstance(nameservers, list) or not all(isinstance(n, str) and n.strip() for n in nameservers):
        raise RoleInputError('%s: nameservers must be a list of addresses or host names, got %r' % (what, nameservers))
    try:
        archive = boolean(setting.get('archive', False), strict=True)
    except TypeError:
        raise RoleInputError('%s: archive must be true or false, got %r' % (what, setting.get('archive')))
    templates = {}
    for key in keys:
        if key['key_type'] in templates:
            first = templates[key['key_type']]['selector']
            raise RoleInputError(
                '%s rotates two %s keys (selectors %s and %s): with rotation a domain has one item per key type, and '
                'its selector is the prefix of the rotated selectors' % (domain, key['key_type'], first, key['selector']))
        try:
            # The longest selector the prefix gets: <prefix>-YYYYMM and a letter.
            _dns_format.validate_selector('%s-202612z' % key['selector'], domain)
        except _dns_format.RecordError as exc:
            raise RoleInputError('%s: the selector %s is too long to be a rotation prefix: %s'
                                 % (domain, key['selector'], str(exc).replace('-202612z', '-YYYYMM')))
        templates[key['key_type']] = key
    return {
        'domain': domain,
        'prefixes': dict((key_type, key['selector']) for key_type, key in sorted(templates.items())),
        'schedule': dict((name, sched[name]) for name in sorted(rot.DEFAULTS)),
        'emergency': setting.get('emergency') or None,
        'archive': archive,
        'nameservers': [n.strip() for n in nameservers],
        'port': port,
        'adopt': [{'key_type': key_type, 'selector': key['selector'], 'path': key['path']}
                  for key_type, key in sorted(templates.items())],
        'templates': templates,
    }


def rotation_requests(keys, default, now=None, dns_server=None, dns_port=53):
    """One request per rotating domain, in the order of the keys; [] when nothing rotates.

    ``default`` is opendkim_rotation; an item's own ``rotation`` overrides it (a dict over the role's dict). All
    items of a domain must agree. ``dns_server`` and ``dns_port`` (opendkim_dns_update's) are the default name server.
    """
    base = rotation_setting(default, 'opendkim_rotation')
    domains = []
    by_domain = {}
    for key in keys:
        own = key.get('rotation')
        setting = base
        if own is not None:
            setting = rotation_setting(own, 'opendkim_domains (%s %s).rotation' % (key['domain'], key['selector']))
            if setting is not None and base:
                setting = dict(base, **setting)
        domain = key['domain']
        if domain not in by_domain:
            domains.append(domain)
            by_domain[domain] = {'setting': setting, 'keys': [key], 'from': key['selector']}
            continue
        entry = by_domain[domain]
        if entry['setting'] != setting:
            raise RoleInputError(
                'the items of %s disagree on rotation (selector %s: %s, selector %s: %s): a domain rotates as one, '
                'give rotation on every item of it or on none'
                % (domain, entry['from'], json.dumps(entry['setting'], sort_keys=True), key['selector'],
                   json.dumps(setting, sort_keys=True)))
        entry['keys'].append(key)
    default_nameservers = [dns_server] if dns_server else []
    return [_request(domain, by_domain[domain]['setting'], by_domain[domain]['keys'], now, default_nameservers,
                     int(dns_port or 53))
            for domain in domains if by_domain[domain]['setting'] is not None]


def _rotated_key(template, selector, generation):
    return dict(template, selector=selector, fqdn='%s._domainkey.%s' % (selector, template['domain']),
                path=posixpath.join(posixpath.dirname(template['path']), '%s.%s.private' % (template['domain'], selector)),
                generation=generation, signing=False)


def rotation_items(requests, served=None):
    """dkim_rotation's ``domains``: one item per request, with each domain's served generations (``served``,
    ``{domain: [names]}``) when given."""
    out = []
    for request in requests or []:
        item = {'domain': request['domain'], 'prefixes': request['prefixes'], 'schedule': request['schedule'],
                'adopt': request['adopt']}
        if request.get('emergency'):
            item['emergency'] = request['emergency']
        if served is not None:
            item['served'] = list(served.get(request['domain']) or [])
        out.append(item)
    return out


def dns_checks(requests, key_results):
    """One dns_check per set of name servers: ``{nameservers, port, records}`` with the records of the waiting keys
    (``key_results`` of dkim_key in check mode; a key that does not exist has no record) of the domains that ask
    those servers. Usually every domain asks the same servers, so this is one call for all of them."""
    by_domain = dict((request['domain'], request) for request in requests or [])
    groups = {}
    for result in key_results or []:
        request = by_domain.get(result.get('domain'))
        if request is None or not result.get('record'):
            continue
        groups.setdefault((tuple(request['nameservers']), request['port']), []).append(result['record'])
    return [{'nameservers': list(nameservers), 'port': port, 'records': records}
            for (nameservers, port), records in sorted(groups.items())]


def _results(results):
    """The dkim_rotation results by domain (skipped or failed items left out)."""
    return dict((r['domain'], r) for r in results or [] if isinstance(r, dict) and r.get('domain') and 'state' in r)


def waiting_keys(requests, results):
    """The keys of the generations published before this run (dkim_rotation's ``waiting``), to check in DNS."""
    by_domain = _results(results)
    out = []
    for request in requests:
        result = by_domain.get(request['domain']) or {}
        for generation in result.get('waiting') or []:
            for key_type, selector in sorted(generation['selectors'].items()):
                if key_type in request['templates']:
                    out.append(_rotated_key(request['templates'][key_type], selector, generation['name']))
    return out


def served_generations(requests, waiting, key_results, dns_results):
    """{domain: [generation names]} of the waiting generations whose every record is served, matching its key.

    ``key_results`` are dkim_key's results for ``waiting`` (in check mode: a missing key has no record);
    ``dns_results`` dns_check's ``records`` for the records of those keys.
    """
    records = dict((posixpath.normpath(str(r.get('path'))), r.get('record')) for r in key_results or [])
    status = {}
    for result in dns_results or []:
        status[(str(result.get('fqdn', '')).rstrip('.').lower(), result.get('value'))] = result.get('status')
    verdict = {}
    for key in waiting:
        record = records.get(posixpath.normpath(key['path']))
        ok = bool(record) and status.get((str(record['fqdn']).rstrip('.').lower(), record['value'])) == 'published'
        name = (key['domain'], key['generation'])
        verdict[name] = verdict.get(name, True) and ok
    out = dict((request['domain'], []) for request in requests)
    for (domain, generation), ok in sorted(verdict.items()):
        if ok:
            out.setdefault(domain, []).append(generation)
    return out


def rotated_keys(keys, requests, results, ttl=_dns_format.DEFAULT_TTL):
    """The role's keys after dkim_rotation advanced each rotating domain (``results``, one per request).

    Returns ``{keys, revoked, removed, report}``: ``keys`` with each rotating domain's items replaced by one key per
    selector whose private key must exist (``signing`` true only for the active generation), in generation order;
    ``revoked`` the keys whose records become ``v=DKIM1; p=`` and whose private keys go; ``removed`` the records
    (as revoked records, which name the version tag) of deleted generations, to remove from DNS; ``report`` per
    domain: steps, signing, present, revoked and gone selectors, active selectors by key type, age_days, overdue,
    next step and its date; ``lines`` the
    report as one line per domain.
    """
    by_request = dict((request['domain'], request) for request in requests)
    by_domain = _results(results)
    missing = [domain for domain in by_request if domain not in by_domain]
    if missing:
        raise RoleInputError('no rotation result for %s (the rotation task did not run for it)' % ', '.join(missing))
    out, revoked, removed, report = [], [], [], []
    done = set()
    for key in keys:
        domain = key['domain']
        if domain not in by_request:
            out.append(key)
            continue
        if domain in done:
            continue
        done.add(domain)
        request, result = by_request[domain], by_domain[domain]
        state = result['state']
        prefixes = state.get('prefixes') or request['prefixes']
        for generation in state['generations']:
            for key_type, selector in sorted(rot.selectors(generation, prefixes).items()):
                rotated = _rotated_key(request['templates'][key_type], selector, generation['name'])
                if generation['phase'] == 'revoked':
                    revoked.append(rotated)
                    continue
                rotated['signing'] = generation['phase'] == 'active'
                out.append(rotated)
        present = set(g['name'] for g in state['generations'])
        for name in state['used']:
            if name in present:
                continue
            adopted = state.get('adopted') if name == rot.ADOPTED else None
            for key_type, selector in sorted(rot.selectors({'name': name, 'selectors': adopted}, prefixes).items()):
                removed.append(_dns_format.revoked_dkim_record(domain, selector, key_type, ttl))
        summary = result.get('summary') or {}
        report.append({
            'domain': domain, 'steps': list(result.get('steps') or []),
            'signing': [k['selector'] for k in out if k['domain'] == domain and k['signing']],
            'present': [k['selector'] for k in out if k['domain'] == domain],
            'revoked': [k['selector'] for k in revoked if k['domain'] == domain],
            'gone': [r['selector'] for r in removed if r['domain'] == domain],
            'active': summary.get('active') or {}, 'age_days': summary.get('age_days'),
            'overdue': bool(summary.get('overdue')), 'step': summary.get('step'), 'at': summary.get('at'),
        })
    return {'keys': out, 'revoked': revoked, 'removed': removed, 'report': report, 'lines': report_lines(report)}


def report_lines(report):
    """One line per rotating domain for the console."""
    lines = []
    for item in report:
        active = ', '.join(sorted(item['active'].values())) or 'nothing yet'
        age = '' if item['age_days'] is None else ', %d days old' % item['age_days']
        when = '' if item['at'] is None else ' from %s' % item['at']
        done = '; this run: %s' % ', '.join(item['steps']) if item['steps'] else ''
        warn = ' (OVERDUE: older than its period)' if item['overdue'] else ''
        lines.append('%s: signs with %s%s%s; next: %s%s%s' % (item['domain'], active, age, warn, item['step'], when, done))
    return lines
