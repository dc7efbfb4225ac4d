# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailauth.dkim.config_files as a user runs it: check, apply, check, apply; a set that its check rejects is put
back; a bad entry changes nothing. The check is `grep`, standing in for `opendkim -n` (Molecule runs the real one)."""

from __future__ import absolute_import, division, print_function

import json
import os


def task(directory, table, check=True):
    files = [{'path': os.path.join(directory, 'KeyTable'), 'content': table},
             {'path': os.path.join(directory, 'opendkim.conf'),
              'content': 'KeyTable file:%s/KeyTable\n' % directory, 'mode': '0640'}]
    checks = [['grep', '-q', '^mail._domainkey', os.path.join(directory, 'KeyTable')]] if check else []
    return '''
- name: Write
  mailauth.dkim.config_files:
    files: %s
    checks: %s
''' % (json.dumps(files), json.dumps(checks))


def etc(tmp_path):
    """The files' own directory (the playbook is written to tmp_path)."""
    directory = tmp_path / 'etc'
    directory.mkdir()
    return directory


def listing(directory):
    return dict((name, open(os.path.join(str(directory), name), 'rb').read()) for name in os.listdir(str(directory)))


def test_check_apply_check_apply(tmp_path, run_playbook):
    tmp_path = etc(tmp_path)
    table = 'mail._domainkey.example.com example.com:mail:/etc/dkimkeys/example.com.mail.private\n'
    planned = run_playbook(task(str(tmp_path), table), check=True, diff=True)
    assert planned.rc == 0 and planned.result('Write')['changed'] is True
    assert os.listdir(str(tmp_path)) == []

    applied = run_playbook(task(str(tmp_path), table), diff=True)
    result = applied.result('Write')
    assert applied.rc == 0 and result['changed'] is True
    assert [f['created'] for f in result['files']] == [True, True]
    assert (tmp_path / 'KeyTable').read_text() == table
    assert oct(os.stat(str(tmp_path / 'opendkim.conf')).st_mode & 0o777) == oct(0o640)

    for check in (True, False):
        again = run_playbook(task(str(tmp_path), table), check=check, diff=True)
        assert again.rc == 0 and again.result('Write')['changed'] is False


def test_a_rejected_set_is_put_back(tmp_path, run_playbook):
    tmp_path = etc(tmp_path)
    good = 'mail._domainkey.example.com example.com:mail:/k\n'
    assert run_playbook(task(str(tmp_path), good)).rc == 0
    before = listing(tmp_path)
    failed = run_playbook(task(str(tmp_path), 'nothing we sign\n'))
    result = failed.result('Write')
    assert failed.rc != 0 and result['failed'] is True
    assert result['msg'].startswith('grep -q ^mail._domainkey %s/KeyTable rejected the new files (exit 1), the '
                                    'previous files were put back' % tmp_path)
    assert result['cmd'] == ['grep', '-q', '^mail._domainkey', '%s/KeyTable' % tmp_path]
    assert listing(tmp_path) == before


def test_a_bad_entry_changes_nothing(tmp_path, run_playbook):
    tmp_path = etc(tmp_path)
    playbook = task(str(tmp_path), 'x\n', check=False).replace('"mode": "0640"', '"mode": "0640", "owner": "nobody-here"')
    failed = run_playbook(playbook)
    assert failed.rc != 0
    assert failed.result('Write')['msg'] == (
        "files: %s/opendkim.conf: owner 'nobody-here' does not exist on this host; nothing was changed" % tmp_path)
    assert not (tmp_path / 'KeyTable').exists()
