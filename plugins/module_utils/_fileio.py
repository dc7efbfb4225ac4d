# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: atomic file writes and backup names.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Every file a module of this collection writes (DKIM private keys, zone snippets, backups) goes through
write_atomic(): a temporary file in the target directory, permissions set on it, then a rename. backup()
copies a file that is about to be replaced or removed the same way. FileAttributes applies a module's file
options (owner, group, mode, SELinux context) without the backend holding the AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

import os
import stat
import tempfile
import time


def write_atomic(path, data, prepare=None):
    """Write ``data`` to ``path`` through a 0600 temporary file in the same directory and a rename.

    ``prepare(tmp_path)`` runs before the rename (to set owner/group/mode), so the final name never
    exists with the wrong permissions. A crash leaves either the old file or the new one.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if prepare is not None:
            prepare(tmp)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def read_no_follow(path):
    """The bytes of ``path``; raises OSError (ELOOP) when ``path`` itself is a symbolic link instead of following it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
    with os.fdopen(fd, 'rb') as handle:
        return handle.read()


def backup_name(path, now=None):
    """``<path>.<UTC timestamp>.bak``; a counter is added if that name is taken."""
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))
    candidate = '%s.%s.bak' % (path, stamp)
    counter = 1
    while os.path.lexists(candidate):
        counter += 1
        candidate = '%s.%s.%d.bak' % (path, stamp, counter)
    return candidate


def same_mode_and_owner(source):
    """A ``prepare`` for write_atomic(): the new file gets the mode and (where allowed) the owner of ``source``."""
    st = os.stat(source)

    def prepare(tmp):
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass

    return prepare


def new_file_mode(mode=0o644):
    """``mode`` less the process umask: the mode a new file would get from open()."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def backup(path, name=None):
    """Copy ``path`` to ``name`` (default: backup_name(path)) atomically, with its mode and owner; return the name.

    Raises IOError/OSError.
    """
    name = name or backup_name(path)
    data = read_no_follow(path)
    write_atomic(name, data, same_mode_and_owner(path))
    return name


class FileAttributes(object):
    """A module's file options (owner, group, mode, SELinux context, attributes), applied to a path.

    ``module`` is the AnsibleModule (only its load_file_common_arguments and set_fs_attributes_if_different are
    used); with ``None`` nothing is applied, which is what unit tests of the backends use.
    ``default_mode`` is the mode used when the task gives none (for example ``'0600'`` for private keys).
    """

    def __init__(self, module=None, default_mode=None):
        self.module = module
        self.default_mode = default_mode

    def apply(self, path, changed, target=None):
        """Set the options on ``path``; returns ``changed``, or True when something had to be set.

        ``target`` is the name the options are meant for when ``path`` is a temporary file that will be renamed
        to it (so the final name never exists with the wrong owner or mode).
        """
        if self.module is None:
            return changed
        args = self.module.load_file_common_arguments(self.module.params, path=target or path)
        if args.get('mode') is None and self.default_mode is not None:
            args['mode'] = self.default_mode
        args['path'] = path
        return self.module.set_fs_attributes_if_different(args, changed)
