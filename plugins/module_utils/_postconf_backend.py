# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: the logic of the postconf module.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Changes Postfix parameters of main.cf (``postconf -e``) and service parameters of master.cf (``postconf -P``) as
one transaction: the settings that already hold their value are left alone; the files about to change are kept in
memory, changed by postconf itself (so nothing else in them moves), checked with ``postfix check``, and written back
byte for byte when postconf or the check fails. Nothing is reloaded. No backup file is left behind.
"""

from __future__ import absolute_import, division, print_function

import os
import re

from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import (
    read_no_follow, same_mode_and_owner, write_atomic)

_MAIN = re.compile(r'^([A-Za-z0-9_]+)=(.*)$', re.S)
# service/type/parameter=value; the service may be an address such as [::1]:10025 or 127.0.0.1:10025.
_MASTER = re.compile(r'^([^-/\s=][^/\s=]*/(?:inet|unix|unix-dgram|fifo|pass)/[A-Za-z0-9_]+)=(.*)$', re.S)
_FORMS = {'main': 'name=value', 'master': 'service/type/name=value, type one of inet, unix, unix-dgram, fifo, pass'}


def parse_settings(entries, kind):
    """``[(name, value), ...]`` of ``name=value`` entries (``kind`` 'main') or ``service/type/name=value`` entries
    (``kind`` 'master'); raises MailauthError naming the first bad entry and the form expected."""
    pattern = _MAIN if kind == 'main' else _MASTER
    parsed = []
    seen = {}
    for entry in entries:
        match = pattern.match(entry) if isinstance(entry, str) else None
        if match is None or '\n' in entry:
            raise MailauthError('%s: %r is not %s; nothing was changed' % (kind, entry, _FORMS[kind]))
        name, value = match.group(1), match.group(2).strip()
        if name in seen and seen[name] != value:
            raise MailauthError('%s: %s is given twice, as %r and %r; nothing was changed'
                                % (kind, name, seen[name], value))
        if name not in seen:
            seen[name] = value
            parsed.append((name, value))
    return parsed


def parse_lines(text):
    """``{name: value}`` from the ``name = value`` lines of ``postconf`` or ``postconf -P``."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition(' = ')
        if sep:
            values[name.strip()] = value.strip()
        elif line.rstrip().endswith(' ='):
            values[line.rstrip()[:-2].strip()] = ''
    return values


def settle(path, seconds=2):
    """Date ``path`` ``seconds`` back. Postfix reads a main.cf changed in the last second again every 0.3 s until it
    stays unchanged (util/load_file.c, "pausing to let main.cf cool down"), so `postfix check` right after
    `postconf -e` waits about 2 s for nothing: postconf replaced the file whole (a rename), no half-written file
    can be read."""
    st = os.stat(path)
    os.utime(path, (st.st_atime, st.st_mtime - seconds))


class PostconfBackend(object):
    """``params``: main, master (lists of entries), config_dir, check, reload. ``run(argv)`` returns (rc, stdout,
    stderr)."""

    def __init__(self, params, run, postconf='postconf', postfix='postfix', check_mode=False, diff=False):
        self.params = params
        self.run_command = run
        self.postconf = postconf
        self.postfix = postfix
        self.check_mode = check_mode
        self.diff = diff
        self.config_dir = params['config_dir']

    def _run(self, argv, what):
        rc, out, err = self.run_command(argv)
        if rc != 0:
            raise MailauthError('%s failed (exit %d): %s' % (what, rc, (err or out).strip()), rc=rc)
        return out

    def current(self, main, master):
        """``{name: value}`` of the settings now (None: not set, or an unknown parameter)."""
        now = {}
        for settings, option in ((main, []), (master, ['-P'])):
            if settings:
                names = [setting[0] for setting in settings]
                found = parse_lines(self._run([self.postconf, '-c', self.config_dir] + option + names,
                                              ' '.join(['postconf'] + option + names)))
                now.update((name, found.get(name)) for name in names)
        return now

    def run(self):
        main = parse_settings(self.params['main'] or [], 'main')
        master = parse_settings(self.params['master'] or [], 'master')
        now = self.current(main, master)
        main_changes = ['%s=%s' % (n, v) for n, v in main if now[n] != v]
        master_changes = ['%s=%s' % (n, v) for n, v in master if now[n] != v]
        files = (['main.cf'] if main_changes else []) + (['master.cf'] if master_changes else [])
        result = {'changed': bool(files), 'main': main_changes, 'master': master_changes, 'files': files,
                  'reloaded': False}
        if self.diff:
            header = ' and '.join(files) or 'main.cf'
            result['diff'] = {
                'before': ''.join('%s = %s\n' % (n, now[n]) for n, v in main + master
                                  if now[n] != v and now[n] is not None),
                'after': ''.join(entry.replace('=', ' = ', 1) + '\n' for entry in main_changes + master_changes),
                'before_header': header, 'after_header': header,
            }
        if files and not self.check_mode:
            self.apply(main_changes, master_changes, files)
            if self.params.get('reload'):
                result['reloaded'] = self.reload()
        return result

    def reload(self):
        """``postfix reload`` when Postfix runs (``postfix status``); a stopped Postfix reads the files when it
        starts. Whether it reloaded."""
        rc, out, err = self.run_command([self.postfix, '-c', self.config_dir, 'status'])
        if rc != 0:
            return False
        self._run([self.postfix, '-c', self.config_dir, 'reload'],
                  'postfix reload (the changed configuration passed the check and stays)')
        return True

    def apply(self, main_changes, master_changes, files):
        paths = [os.path.join(self.config_dir, name) for name in files]
        try:
            saved = [(path, read_no_follow(path)) for path in paths]
        except (IOError, OSError) as exc:
            raise MailauthError('cannot read %s: %s; nothing was changed' % (exc.filename, exc.strerror))
        undone = '%s put back and Postfix was not reloaded' % ' and '.join(files)
        try:
            if main_changes:
                self._run([self.postconf, '-c', self.config_dir, '-e'] + main_changes, 'postconf -e')
                if self.params['check']:
                    settle(os.path.join(self.config_dir, 'main.cf'))
            if master_changes:
                self._run([self.postconf, '-c', self.config_dir, '-P'] + master_changes, 'postconf -P')
        except MailauthError as exc:
            self._put_back(saved)
            raise MailauthError('postconf could not change the configuration; %s: %s' % (undone, exc), **exc.result)
        if self.params['check']:
            rc, out, err = self.run_command([self.postfix, '-c', self.config_dir, 'check'])
            if rc != 0:
                self._put_back(saved)
                raise MailauthError('Postfix rejected the changed configuration; %s: %s' % (undone, (err or out).strip()),
                                    rc=rc, stderr=(err or out).strip())

    @staticmethod
    def _put_back(saved):
        for path, data in saved:
            write_atomic(path, data, same_mode_and_owner(path))


def read_postfix(run, postconf, config_dir, parameters=(), expanded=(), master=False):
    """What the module postconf_info returns: main.cf ``parameters`` as Postfix sees them (``postconf``, defaults
    included, $variables as written), ``expanded`` ones with $variables expanded (``postconf -x``) and, with
    ``master``, the lines of ``postconf -M`` (the services of master.cf) and ``postconf -Px`` (their -o overrides,
    expanded). ``run(argv)`` returns (rc, stdout, stderr); an unknown parameter raises MailauthError naming it."""
    result = {'parameters': {}, 'expanded': {}, 'master_services': [], 'master_parameters': []}
    base = [postconf, '-c', config_dir]

    def postconf_out(args):
        rc, out, err = run(base + args)
        if rc != 0:
            raise MailauthError('%s failed (exit %d): %s' % (' '.join(['postconf'] + args), rc, (err or out).strip()),
                                rc=rc)
        return out

    for key, flags, names in (('parameters', [], parameters), ('expanded', ['-x'], expanded)):
        if names:
            values = parse_lines(postconf_out(flags + list(names)))
            unknown = [name for name in names if name not in values]
            if unknown:
                raise MailauthError('%s: Postfix knows no parameter %s' % (key, ', '.join(unknown)))
            result[key] = dict((name, values[name]) for name in names)
    if master:
        result['master_services'] = postconf_out(['-M']).splitlines()
        result['master_parameters'] = postconf_out(['-Px']).splitlines()
    return result
