# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE module_utils of mailauth.dkim: the backend of the mailauth.dkim.dkim_rotation module.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Reads a domain's rotation state (``<state_dir>/<domain>.rotation.json`` on the managed host, next to its keys),
advances it with the pure functions of _dkim_rotation and writes it back atomically with _fileio. Any controller
can run the next step: everything the schedule needs is in that file. A state file that cannot be read is never
overwritten. Raises RotationBackendError; the module fails once in main().
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os

from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_rotation as rot
from ansible_collections.mailauth.dkim.plugins.module_utils import _dns_format
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import FileAttributes, write_atomic

KEY_TYPES = ('rsa', 'ed25519')


class RotationBackendError(MailauthError):
    """Why mailauth.dkim.dkim_rotation fails."""


def _check_state(data, path):
    """The parsed state file, checked enough that advance() cannot trip over it."""
    if not isinstance(data, dict) or not isinstance(data.get('generations'), list) or \
            not isinstance(data.get('used'), list):
        raise RotationBackendError('%s is not a rotation state (generations and used lists); it was left alone' % path)
    for gen in data['generations']:
        if not isinstance(gen, dict) or gen.get('phase') not in rot.PHASES or not gen.get('name'):
            raise RotationBackendError('%s has a generation that cannot be read (%s); it was left alone'
                                       % (path, json.dumps(gen, sort_keys=True)))
    return data


class RotationBackend(object):
    def __init__(self, params, check_mode=False, diff=False, files=None):
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.files = files or FileAttributes(default_mode='0644')

    def validate(self, p):
        """Checks one domain's parameters (the module's, or one item of ``domains`` with the shared ones)."""
        try:
            domain = _dns_format.validate_domain(p['domain'])
            prefixes = {}
            for key_type, prefix in (p['prefixes'] or {}).items():
                if key_type not in KEY_TYPES:
                    raise RotationBackendError('prefixes: key type %r is not one of %s' % (key_type, ', '.join(KEY_TYPES)))
                # The longest selector a prefix gets: <prefix>-YYYYMM and a letter.
                _dns_format.validate_selector('%s-202612z' % prefix, domain)
                prefixes[key_type] = str(prefix).lower()
        except _dns_format.RecordError as exc:
            raise RotationBackendError('prefixes: %s' % str(exc).replace('-202612z', '-YYYYMM'))
        if not prefixes:
            raise RotationBackendError('prefixes must name at least one key type (rsa, ed25519) and its selector prefix')
        if len(set(prefixes.values())) != len(prefixes):
            raise RotationBackendError('prefixes must differ between key types, got %s' % json.dumps(prefixes, sort_keys=True))
        try:
            sched = rot.schedule(p['schedule'], 'schedule')
            now = rot.parse_time(p['now'], 'now') if p['now'] else datetime.datetime.now(datetime.timezone.utc)
            emergency = rot.parse_time(p['emergency'], 'emergency') if p['emergency'] else None
            _dns_format.validate_ttl(p['ttl'])
        except (rot.RotationError, _dns_format.RecordError) as exc:
            raise RotationBackendError(str(exc))
        state_dir = p['state_dir']
        # In check mode a directory that a real run would create first (a fresh host) means no state yet.
        if not os.path.isdir(state_dir) and not (self.check_mode and not os.path.lexists(state_dir)):
            raise RotationBackendError('state_dir %s does not exist' % state_dir)
        return domain, prefixes, sched, now, emergency, os.path.join(state_dir, '%s.rotation.json' % domain)

    @staticmethod
    def read(path):
        if not os.path.lexists(path):
            return {}
        if os.path.islink(path):
            raise RotationBackendError('%s is a symbolic link; the rotation state is not read or written through one'
                                       % path)
        try:
            with open(path) as handle:
                return _check_state(json.load(handle), path)
        except ValueError as exc:
            raise RotationBackendError('%s is not valid JSON (%s); it was left alone' % (path, exc))
        except (IOError, OSError) as exc:
            raise RotationBackendError('cannot read %s: %s' % (path, exc.strerror or exc))

    @staticmethod
    def adoptable(p, domain):
        """{key_type: selector} of the keys given in ``adopt`` that exist (regular files, not links)."""
        out = {}
        for item in p.get('adopt') or []:
            if item.get('key_type') not in KEY_TYPES or not item.get('selector') or not item.get('path'):
                raise RotationBackendError('adopt: each item needs key_type (rsa or ed25519), selector and path, got %s'
                                           % json.dumps(item, sort_keys=True))
            try:
                selector = _dns_format.validate_selector(item['selector'], domain)
            except _dns_format.RecordError as exc:
                raise RotationBackendError('adopt: %s' % exc)
            if os.path.isfile(item['path']) and not os.path.islink(item['path']):
                out[item['key_type']] = selector
        return out

    def domain_params(self):
        """One parameter set per domain: the module's own, or each item of ``domains`` with the shared options."""
        p = self.params
        if not p.get('domains'):
            return [p]
        return [dict(item, state_dir=p['state_dir'], ttl=p['ttl'], now=p['now']) for item in p['domains']]

    def plan(self, p, checked):
        """Reads and advances one domain's state (``checked``: what validate() made of ``p``); writes nothing.
        Returns (result, text to write or None)."""
        domain, prefixes, sched, now, emergency, path = checked
        before = self.read(path)
        if before and before.get('prefixes') not in (None, prefixes):
            raise RotationBackendError(
                '%s rotates the selector prefixes %s, not %s: changing them would orphan the published keys; use a '
                'new domain item or remove the state file after retiring the keys'
                % (path, json.dumps(before['prefixes'], sort_keys=True), json.dumps(prefixes, sort_keys=True)))
        state, steps = rot.advance(before, now, sched, p['ttl'], dict((n, True) for n in p['served'] or []),
                                   emergency, self.adoptable(p, domain))
        state['prefixes'] = prefixes
        changed = bool(steps) or (not before and bool(state['generations']))
        text = None
        if changed:
            text = json.dumps(dict(state, domain=domain), indent=2, sort_keys=True).encode('utf-8') + b'\n'
        out = {'changed': changed, 'steps': steps, 'state_file': path, 'state': state, 'domain': domain,
               'summary': rot.summary(state, now, sched, prefixes, p['ttl']),
               'pending': [dict(name=g['name'], selectors=rot.selectors(g, prefixes))
                           for g in state['generations'] if g['phase'] == 'published'],
               # Published before this run: the generations whose records a caller checks before the next run.
               'waiting': [dict(name=g['name'], selectors=rot.selectors(g, prefixes))
                           for g in (before or {}).get('generations', []) if g['phase'] == 'published']}
        out.update(rot.keys_and_records(state, prefixes))
        summary = out['summary']
        out['warnings'] = []
        if summary['overdue']:
            out['warnings'].append(
                '%s: the signing key(s) %s are %s days old, past the rotation period of %d months; next: %s'
                % (domain, ', '.join(sorted(summary['active'].values())), summary['age_days'], sched['period_months'],
                   summary['step']))
        if self.diff and changed:
            out['diff'] = {'before_header': path, 'after_header': path,
                           'before': json.dumps(before, indent=2, sort_keys=True) + '\n' if before else '',
                           'after': text.decode('utf-8')}
        return out, text

    def write(self, out, text):
        path = out['state_file']
        if text is not None and not self.check_mode:
            def prepare(tmp):
                self.files.apply(tmp, False, target=path)

            try:
                write_atomic(path, text, prepare)
            except (IOError, OSError) as exc:
                raise RotationBackendError('cannot write %s: %s' % (path, getattr(exc, 'strerror', None) or exc))
        if os.path.exists(path) and not self.check_mode:
            out['changed'] = self.files.apply(path, out['changed'])

    def run(self):
        """One domain (the module's ``domain``) or many (``domains``): every state is read and advanced before any
        is written, so a bad state file or parameter of one domain leaves every state file as it was."""
        checked = [(p, self.validate(p)) for p in self.domain_params()]
        # Compared as validated (lower case, A-label): one state file must not be advanced twice in one call.
        names = [one[0] for p, one in checked]
        twice = sorted(set(name for name in names if names.count(name) > 1))
        if twice:
            raise RotationBackendError('domains: %s listed more than once' % ', '.join(twice))
        planned = [self.plan(p, one) for p, one in checked]
        for out, text in planned:
            self.write(out, text)
        if not self.params.get('domains'):
            return planned[0][0]
        results = [out for out, text in planned]
        warnings = [w for out in results for w in out.pop('warnings')]
        diffs = [out.pop('diff') for out in results if 'diff' in out]
        result = {'changed': any(out['changed'] for out in results), 'domains': results, 'warnings': warnings}
        if diffs:
            result['diff'] = diffs
        return result
