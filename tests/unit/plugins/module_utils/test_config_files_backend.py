# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_config_files_backend (module mailauth.dkim.config_files): only differing files are written, the checks run with
every new file in place, and a rejected set is put back byte for byte (new files removed), with nothing left behind.

The check here is a small stand-in for `opendkim -n` that reads the files; the real OpenDKIM runs this path in
Molecule (molecule/default: a configuration that `opendkim -n` rejects).
"""

from __future__ import absolute_import, division, print_function

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils._config_files_backend import ConfigFilesBackend
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError

ME, MY_GROUP = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


class Check(object):
    """Fails (like `opendkim -n`) when the configuration names a KeyTable that holds the word 'bogus'."""

    def __init__(self):
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        with open(argv[-1]) as conf:
            table = conf.read().split('KeyTable ')[1].split()[0]
        with open(table) as handle:
            if 'bogus' in handle.read():
                return 1, '', '%s: configuration error: unknown key "bogus"' % argv[-1]
        return 0, '', ''


@pytest.fixture
def etc(tmp_path):
    conf = tmp_path / 'opendkim.conf'
    conf.write_text('# old\nKeyTable %s/KeyTable\n' % tmp_path)
    os.chmod(str(conf), 0o640)
    (tmp_path / 'KeyTable').write_text('old.example old.example:s:/k\n')
    return tmp_path


def files(etc, table='new.example new.example:s:/k\n', conf=None, **extra):
    entries = [dict({'path': str(etc / 'TrustedHosts'), 'content': '127.0.0.1\n', 'owner': ME, 'group': MY_GROUP,
                     'mode': '0644'}, **extra),
               {'path': str(etc / 'KeyTable'), 'content': table, 'mode': '0644'},
               {'path': str(etc / 'opendkim.conf'),
                'content': conf or '# new\nKeyTable %s/KeyTable\n' % etc, 'mode': '0644'}]
    return entries


def run(etc, entries, check=None, check_mode=False, diff=False):
    check = check or Check()
    params = {'files': entries, 'checks': [['opendkim', '-n', '-x', str(etc / 'opendkim.conf')]]}
    return ConfigFilesBackend(params, check, check_mode=check_mode, diff=diff).run()


def snapshot(etc):
    return dict((name, ((etc / name).read_bytes(), stat.S_IMODE(os.stat(str(etc / name)).st_mode)))
                for name in sorted(os.listdir(str(etc))))


def test_writes_what_differs_checks_it_and_a_rerun_changes_nothing(etc):
    check = Check()
    result = run(etc, files(etc), check, diff=True)
    assert result['changed'] is True
    assert result['files'] == [{'path': str(etc / 'TrustedHosts'), 'changed': True, 'created': True},
                               {'path': str(etc / 'KeyTable'), 'changed': True, 'created': False},
                               {'path': str(etc / 'opendkim.conf'), 'changed': True, 'created': False}]
    assert check.calls == [['opendkim', '-n', '-x', str(etc / 'opendkim.conf')]]
    assert (etc / 'KeyTable').read_text() == 'new.example new.example:s:/k\n'
    assert stat.S_IMODE(os.stat(str(etc / 'opendkim.conf')).st_mode) == 0o644
    assert [d['before_header'] for d in result['diff']] == [str(etc / n) for n in ('TrustedHosts', 'KeyTable',
                                                                                   'opendkim.conf')]
    assert result['diff'][1]['before'] == 'old.example old.example:s:/k\n'
    assert sorted(os.listdir(str(etc))) == ['KeyTable', 'TrustedHosts', 'opendkim.conf']

    again = Check()
    rerun = run(etc, files(etc), again)
    assert rerun['changed'] is False and not any(f['changed'] for f in rerun['files'])
    assert again.calls == []  # nothing written, nothing to check


def test_a_mode_alone_is_set_without_rewriting_or_checking(etc):
    run(etc, files(etc))
    os.chmod(str(etc / 'KeyTable'), 0o600)
    check = Check()
    result = run(etc, files(etc), check)
    assert [f['changed'] for f in result['files']] == [False, True, False]
    assert stat.S_IMODE(os.stat(str(etc / 'KeyTable')).st_mode) == 0o644
    assert check.calls == []


def test_check_mode_reports_and_changes_nothing(etc):
    before = snapshot(etc)
    check = Check()
    result = run(etc, files(etc), check, check_mode=True)
    assert result['changed'] is True and [f['created'] for f in result['files']] == [True, False, False]
    assert snapshot(etc) == before
    assert check.calls == []


def test_a_rejected_set_is_put_back_byte_for_byte_and_new_files_removed(etc):
    before = snapshot(etc)
    with pytest.raises(MailauthError) as failure:
        run(etc, files(etc, table='bogus\n'))
    assert str(failure.value) == (
        'opendkim -n -x %s rejected the new files (exit 1), the previous files were put back: '
        '%s: configuration error: unknown key "bogus"' % (etc / 'opendkim.conf', etc / 'opendkim.conf'))
    assert failure.value.result['stderr'] == '%s: configuration error: unknown key "bogus"' % (etc / 'opendkim.conf')
    # Content and mode as before; TrustedHosts, which did not exist, is gone; no copy or temporary file is left.
    assert snapshot(etc) == before


@pytest.mark.parametrize('entry, message', [
    ({'path': 'relative/KeyTable'}, 'files: relative/KeyTable: not an absolute path; nothing was changed'),
    ({'mode': 'rw-r--r--'}, "files: {etc}/TrustedHosts: mode 'rw-r--r--' is not an octal mode such as 0644; "
                            "nothing was changed"),
    ({'mode': '99999'}, "files: {etc}/TrustedHosts: mode '99999' is not an octal mode such as 0644; nothing was "
                        "changed"),
    ({'owner': 'no-such-user-mailauth'}, "files: {etc}/TrustedHosts: owner 'no-such-user-mailauth' does not exist "
                                         "on this host; nothing was changed"),
    ({'group': 'no-such-group-mailauth'}, "files: {etc}/TrustedHosts: group 'no-such-group-mailauth' does not "
                                          "exist on this host; nothing was changed"),
])
def test_bad_entries_change_nothing(etc, entry, message):
    before = snapshot(etc)
    with pytest.raises(MailauthError) as failure:
        run(etc, files(etc, **entry))
    assert str(failure.value) == message.format(etc=etc)
    assert snapshot(etc) == before


def test_a_path_listed_twice_or_a_symbolic_link_changes_nothing(etc):
    before = snapshot(etc)
    twice = files(etc) + [{'path': str(etc / 'KeyTable'), 'content': 'x\n', 'mode': '0644'}]
    with pytest.raises(MailauthError) as failure:
        run(etc, twice)
    assert str(failure.value) == 'files: %s: listed twice; nothing was changed' % (etc / 'KeyTable')
    os.symlink(str(etc / 'KeyTable'), str(etc / 'TrustedHosts'))
    with pytest.raises(MailauthError) as failure:
        run(etc, files(etc))
    assert 'TrustedHosts is a symbolic link' in str(failure.value)
    assert os.path.islink(str(etc / 'TrustedHosts'))
    os.unlink(str(etc / 'TrustedHosts'))
    assert snapshot(etc) == before


def tree(root):
    """{relative path: (mode, content or None for a directory)} of everything under ``root``."""
    out = {}
    for base, dirs, names in os.walk(str(root)):
        for name in dirs + names:
            path = os.path.join(base, name)
            content = None if os.path.isdir(path) else open(path, 'rb').read()
            out[os.path.relpath(path, str(root))] = (stat.S_IMODE(os.lstat(path).st_mode), content)
    return out


def unit_set(etc, table='new.example new.example:s:/k\n'):
    """A systemd drop-in in a directory that does not exist yet, with the OpenDKIM files."""
    directories = [{'path': str(etc / 'system'), 'mode': '0755'},
                   {'path': str(etc / 'system' / 'opendkim.service.d'), 'mode': '0755', 'owner': ME,
                    'group': MY_GROUP}]
    unit = {'path': str(etc / 'system' / 'opendkim.service.d' / 'zz.conf'), 'content': '[Service]\n',
            'mode': '0644'}
    return directories, files(etc, table) + [unit]


def run_with_directories(etc, directories, entries, check_mode=False):
    params = {'directories': directories, 'files': entries,
              'checks': [['opendkim', '-n', '-x', str(etc / 'opendkim.conf')]]}
    return ConfigFilesBackend(params, Check(), check_mode=check_mode).run()


def test_directories_are_made_before_the_files_and_a_rerun_changes_nothing(etc):
    directories, entries = unit_set(etc)
    before = tree(etc)
    planned = run_with_directories(etc, directories, entries, check_mode=True)
    assert tree(etc) == before
    result = run_with_directories(etc, directories, entries)
    assert planned == result
    assert result['directories'] == [{'path': str(etc / 'system'), 'changed': True, 'created': True},
                                     {'path': str(etc / 'system' / 'opendkim.service.d'), 'changed': True,
                                      'created': True}]
    assert result['files'][-1] == {'path': entries[-1]['path'], 'changed': True, 'created': True}
    made = tree(etc)
    assert made['system'] == (0o755, None) and made['system/opendkim.service.d'] == (0o755, None)
    assert made['system/opendkim.service.d/zz.conf'] == (0o644, b'[Service]\n')

    os.chmod(str(etc / 'system' / 'opendkim.service.d'), 0o700)
    fixed = run_with_directories(etc, directories, entries)
    assert fixed['changed'] is True and [d['changed'] for d in fixed['directories']] == [False, True]
    assert tree(etc) == made
    rerun = run_with_directories(etc, directories, entries)
    assert rerun['changed'] is False and tree(etc) == made


def test_a_rejected_set_removes_the_directories_it_made_and_gives_back_modes(etc):
    (etc / 'system').mkdir()
    os.chmod(str(etc / 'system'), 0o750)
    directories, entries = unit_set(etc, table='bogus\n')
    before = tree(etc)
    with pytest.raises(MailauthError, match='rejected the new files'):
        run_with_directories(etc, directories, entries)
    # opendkim.service.d (made by the task) is gone with its file; system has its mode 0750 back.
    assert tree(etc) == before


@pytest.mark.parametrize('kind', ['file', 'link', 'relative', 'mode'])
def test_a_bad_directory_changes_nothing(etc, kind):
    target = etc / 'system'
    path = str(target)
    mode = '0755'
    if kind == 'file':
        target.write_text('not a directory\n')
    elif kind == 'link':
        (etc / 'real').mkdir()
        os.symlink(str(etc / 'real'), path)
    elif kind == 'relative':
        path = 'system'
    else:
        mode = 'rwxr-xr-x'
    before = tree(etc)
    with pytest.raises(MailauthError) as failure:
        run_with_directories(etc, [{'path': path, 'mode': mode}], files(etc))
    message = str(failure.value)
    assert message.startswith('directories: ') and message.endswith('nothing was changed')
    assert path in message
    assert tree(etc) == before


def test_previous_texts_are_returned_only_where_asked(etc):
    entries = files(etc)
    for entry in entries[:1] + entries[2:]:
        entry['return_previous'] = True
    for check_mode in (True, False):
        result = run(etc, entries, check_mode=check_mode)
        # TrustedHosts did not exist; opendkim.conf did; KeyTable was not asked for.
        assert result['files'][0]['previous'] is None
        assert 'previous' not in result['files'][1]
        assert result['files'][2]['previous'] == '# old\nKeyTable %s/KeyTable\n' % etc
    assert run(etc, entries)['files'][2]['previous'] == '# new\nKeyTable %s/KeyTable\n' % etc
