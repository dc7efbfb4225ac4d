# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_fileio: atomic writes (mode, prepare before the rename, failure keeps the old file) and backup names."""

from __future__ import absolute_import, division, print_function

import os
import stat

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils import _fileio


def test_write_atomic_mode_and_prepare_before_rename(tmp_path):
    path = str(tmp_path / 'key.pem')
    seen = []

    def prepare(tmp):
        seen.append((os.path.dirname(tmp) == str(tmp_path), os.path.exists(path),
                     stat.S_IMODE(os.stat(tmp).st_mode)))

    _fileio.write_atomic(path, b'secret', prepare)
    assert seen == [(True, False, 0o600)]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert open(path, 'rb').read() == b'secret'
    assert os.listdir(str(tmp_path)) == ['key.pem']


def test_write_atomic_failure_keeps_old_file_and_no_temp(tmp_path):
    path = str(tmp_path / 'key.pem')
    with open(path, 'wb') as handle:
        handle.write(b'old')

    def prepare(tmp):
        raise OSError(1, 'boom')

    with pytest.raises(OSError):
        _fileio.write_atomic(path, b'new', prepare)
    assert open(path, 'rb').read() == b'old'
    assert os.listdir(str(tmp_path)) == ['key.pem']


def test_backup_name_is_unique(tmp_path):
    path = str(tmp_path / 'key.pem')
    first = _fileio.backup_name(path, now=0)
    assert first == path + '.19700101T000000Z.bak'
    open(first, 'w').close()
    assert _fileio.backup_name(path, now=0) == path + '.19700101T000000Z.2.bak'
