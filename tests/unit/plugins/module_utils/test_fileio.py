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


def test_backup_keeps_content_and_mode(tmp_path):
    path = tmp_path / 'key.pem'
    path.write_bytes(b'old key')
    os.chmod(str(path), 0o640)
    name = _fileio.backup(str(path), str(path) + '.x.bak')
    assert name == str(path) + '.x.bak'
    assert open(name, 'rb').read() == b'old key'
    assert stat.S_IMODE(os.stat(name).st_mode) == 0o640
    default = _fileio.backup(str(path))
    assert default.startswith(str(path) + '.') and default.endswith('Z.bak')
    assert sorted(os.listdir(str(tmp_path))) == sorted(['key.pem', 'key.pem.x.bak', os.path.basename(default)])


def test_rewrite_with_same_mode_and_owner(tmp_path):
    path = tmp_path / 'zone'
    path.write_bytes(b'old')
    os.chmod(str(path), 0o604)
    _fileio.write_atomic(str(path), b'new', _fileio.same_mode_and_owner(str(path)))
    assert open(str(path), 'rb').read() == b'new'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o604


def test_new_file_mode_honours_the_umask():
    old = os.umask(0o027)
    try:
        assert _fileio.new_file_mode(0o644) == 0o640
        assert _fileio.new_file_mode() == 0o640
    finally:
        os.umask(old)


class FakeModule(object):
    """The two AnsibleModule methods FileAttributes uses."""

    def __init__(self, params):
        self.params = params
        self.calls = []

    def load_file_common_arguments(self, params, path=None):
        return dict(path=path, mode=params.get('mode'), owner=params.get('owner'))

    def set_fs_attributes_if_different(self, args, changed):
        self.calls.append(args)
        return True


def test_file_attributes():
    assert _fileio.FileAttributes().apply('/k', False) is False  # no module: nothing applied (unit tests)
    module = FakeModule({'mode': None, 'owner': 'opendkim'})
    files = _fileio.FileAttributes(module, default_mode='0600')
    assert files.apply('/dir/.k.tmp', False, target='/dir/k') is True
    assert module.calls == [{'path': '/dir/.k.tmp', 'mode': '0600', 'owner': 'opendkim'}]
    module.params['mode'] = '0640'
    files.apply('/dir/k', False)
    assert module.calls[-1] == {'path': '/dir/k', 'mode': '0640', 'owner': 'opendkim'}
