# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: the logic of the config_files module.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Writes a set of configuration files as one transaction: every entry is checked (absolute path, no symbolic link,
known owner and group, a mode) before anything is written; the files whose content differs are written atomically
(temporary file and rename, owner and mode set before the rename); then the checks run (for example
``opendkim -n -x /etc/opendkim.conf``). When a check fails, every file written is put back byte for byte with its
previous owner and mode, and a file that did not exist is removed, so what is on disk always passed the checks.
Directories listed are made (or given their owner and mode) before the files, and are part of the same undo.
"""

from __future__ import absolute_import, division, print_function

import errno
import grp
import os
import pwd
import stat

from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import read_no_follow, write_atomic


def _mode(value, path, option='files'):
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    else:
        try:
            mode = int(str(value), 8)
        except ValueError:
            mode = -1
    if not 0 <= mode <= 0o7777:
        raise MailauthError('%s: %s: mode %r is not an octal mode such as 0644; nothing was changed'
                            % (option, path, value))
    return mode


def _id(name, kind, path, option='files'):
    """The uid (``kind`` 'owner') or gid ('group') of ``name``; None when no name is given."""
    if name is None:
        return None
    try:
        return pwd.getpwnam(name).pw_uid if kind == 'owner' else grp.getgrnam(name).gr_gid
    except KeyError:
        raise MailauthError('%s: %s: %s %r does not exist on this host; nothing was changed'
                            % (option, path, kind, name))


def _attributes_differ(st, mode, uid, gid):
    return any((stat.S_IMODE(st.st_mode) != mode, uid not in (None, st.st_uid), gid not in (None, st.st_gid)))


def _owner_and_mode(mode, uid, gid):
    """A ``prepare`` for write_atomic(): set the mode and the owner on the temporary file before the rename."""
    def prepare(tmp):
        os.chmod(tmp, mode)
        if uid is not None or gid is not None:
            os.chown(tmp, -1 if uid is None else uid, -1 if gid is None else gid)
    return prepare


class ConfigFilesBackend(object):
    """``params``: directories (path, mode, owner, group), files (path, content, mode, owner, group,
    return_previous) and checks (argv lists).

    ``run(argv)`` returns (rc, stdout, stderr); the checks run only when a file's content changed.
    """

    def __init__(self, params, run, check_mode=False, diff=False):
        self.params = params
        self.run_command = run
        self.check_mode = check_mode
        self.diff = diff

    def plan_directories(self):
        """Every directory checked and compared with what is on disk, before anything is created."""
        plans = []
        for entry in self.params.get('directories') or []:
            path = entry['path']
            if not os.path.isabs(path):
                raise MailauthError('directories: %s: not an absolute path; nothing was changed' % path)
            mode = _mode(entry.get('mode') or '0755', path, 'directories')
            uid = _id(entry.get('owner'), 'owner', path, 'directories')
            gid = _id(entry.get('group'), 'group', path, 'directories')
            try:
                st = os.lstat(path)
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise MailauthError('directories: cannot look at %s: %s; nothing was changed' % (path, exc.strerror))
                st = None
            if st is not None and not stat.S_ISDIR(st.st_mode):
                raise MailauthError('directories: %s exists and is not a directory (a symbolic link is never followed); '
                                    'nothing was changed' % path)
            plans.append({'path': path, 'mode': mode, 'uid': uid, 'gid': gid, 'stat': st,
                          'changed': st is None or _attributes_differ(st, mode, uid, gid)})
        return plans

    def plan(self):
        """Every file checked and compared with what is on disk, before anything is written."""
        plans = []
        seen = set()
        for entry in self.params['files']:
            path = entry['path']
            if not os.path.isabs(path) or path in seen:
                raise MailauthError('files: %s: %s; nothing was changed' % (
                    path, 'listed twice' if path in seen else 'not an absolute path'))
            seen.add(path)
            mode = _mode(entry.get('mode') or '0644', path)
            uid = _id(entry.get('owner'), 'owner', path)
            gid = _id(entry.get('group'), 'group', path)
            try:
                old = read_no_follow(path)
                st = os.lstat(path)
            except (IOError, OSError) as exc:
                if exc.errno == errno.ENOENT:
                    old, st = None, None
                elif exc.errno == errno.ELOOP:
                    raise MailauthError('files: %s is a symbolic link; the file is written only as itself, never '
                                        'through a link; nothing was changed' % path)
                else:
                    raise MailauthError('files: cannot read %s: %s; nothing was changed' % (path, exc.strerror))
            new = entry['content'].encode('utf-8')
            attrs = st is not None and _attributes_differ(st, mode, uid, gid)
            plans.append({'path': path, 'old': old, 'new': new, 'mode': mode, 'uid': uid, 'gid': gid, 'stat': st,
                          'content_changed': old != new, 'attributes_changed': attrs,
                          'return_previous': bool(entry.get('return_previous'))})
        return plans

    def run(self):
        dir_plans = self.plan_directories()
        plans = self.plan()
        written = [p for p in plans if p['content_changed']]
        files = []
        for p in plans:
            files.append({'path': p['path'], 'changed': p['content_changed'] or p['attributes_changed'],
                          'created': p['old'] is None})
            if p['return_previous']:
                files[-1]['previous'] = None if p['old'] is None else p['old'].decode('utf-8', 'replace')
        directories = [{'path': d['path'], 'changed': d['changed'], 'created': d['stat'] is None} for d in dir_plans]
        result = {'changed': any(entry['changed'] for entry in files + directories), 'files': files,
                  'directories': directories}
        if self.diff:
            result['diff'] = [{'before_header': p['path'], 'after_header': p['path'],
                               'before': (p['old'] or b'').decode('utf-8', 'replace'),
                               'after': p['new'].decode('utf-8', 'replace')} for p in written]
        if self.check_mode:
            return result
        done = []
        dirs_done = []
        try:
            for d in dir_plans:
                if d['changed']:
                    if d['stat'] is None:
                        os.mkdir(d['path'], 0o700)
                    dirs_done.append(d)
                    _owner_and_mode(d['mode'], d['uid'], d['gid'])(d['path'])
            for p in plans:
                if p['content_changed']:
                    write_atomic(p['path'], p['new'], _owner_and_mode(p['mode'], p['uid'], p['gid']))
                    done.append(p)
                elif p['attributes_changed']:
                    _owner_and_mode(p['mode'], p['uid'], p['gid'])(p['path'])
            if written:
                for argv in self.params['checks']:
                    rc, out, err = self.run_command(argv)
                    if rc != 0:
                        raise MailauthError('%s rejected the new files (exit %d), the previous files were put back: %s'
                                            % (' '.join(argv), rc, (err or out).strip()),
                                            rc=rc, stderr=(err or out).strip(), cmd=argv)
        except (IOError, OSError) as exc:
            self.undo(done, dirs_done)
            raise MailauthError('cannot write %s: %s; the previous files were put back'
                                % (exc.filename or '', exc.strerror))
        except MailauthError:
            self.undo(done, dirs_done)
            raise
        return result

    @staticmethod
    def undo(done, dirs_done=()):
        """Put every written file back as it was (content, owner, mode), or remove it when it was new; then every
        directory: removed when the run created it, its owner and mode put back otherwise."""
        for p in reversed(done):
            if p['old'] is None:
                os.unlink(p['path'])
            else:
                st = p['stat']
                write_atomic(p['path'], p['old'], _owner_and_mode(stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid))
        for d in reversed(dirs_done):
            st = d['stat']
            if st is None:
                os.rmdir(d['path'])
            else:
                _owner_and_mode(stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)(d['path'])
