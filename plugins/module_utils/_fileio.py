# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: atomic file writes and backup names.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Every file a module of this collection writes (DKIM private keys, zone snippets, backups) goes through
write_atomic(): a temporary file in the target directory, permissions set on it, then a rename.
"""

from __future__ import absolute_import, division, print_function

import os
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


def backup_name(path, now=None):
    """``<path>.<UTC timestamp>.bak``; a counter is added if that name is taken."""
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))
    candidate = '%s.%s.bak' % (path, stamp)
    counter = 1
    while os.path.lexists(candidate):
        counter += 1
        candidate = '%s.%s.%d.bak' % (path, stamp, counter)
    return candidate
