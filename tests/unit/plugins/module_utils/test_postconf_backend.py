# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_postconf_backend (module mailauth.dkim.postconf): only differing settings change, check mode changes nothing,
and a change that postconf or `postfix check` rejects is written back byte for byte with Postfix's message.

A small stand-in for postconf/postfix edits ``name = value`` lines in a temporary configuration directory; the
real Postfix runs these paths in Molecule (molecule/default: a main.cf that `postfix check` rejects).
"""

from __future__ import absolute_import, division, print_function

import os
import time

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._postconf_backend import (
    PostconfBackend, parse_lines, parse_settings, read_postfix)

DEFAULTS = {'smtpd_milters': '', 'non_smtpd_milters': '', 'milter_default_action': 'tempfail',
            'milter_protocol': '6', 'queue_directory': '/var/spool/postfix',
            'milter_mail_macros': 'i {auth_type} $milter_macro_v'}
SERVICES = 'smtp       inet  n       -       y       -       -       smtpd\nsubmission inet  n       -       y       -       -       smtpd\n'

MAIN_CF = (b'# the admin\'s comment stays\nmyhostname = mx.example.net\n'
           b'smtpd_milters = inet:localhost:8893\nmaillog_file = /var/log/postfix.log\n')
MASTER_CF = b'# master.cf stand-in\nsubmission/inet/smtpd_milters = inet:localhost:8893\n'


def _read(path):
    values = {}
    with open(path) as handle:
        for line in handle:
            name, sep, value = line.partition(' = ')
            if sep and not line.startswith('#'):
                values[name] = value.rstrip('\n')
    return values


def _write(path, changes):
    with open(path) as handle:
        lines = handle.read().splitlines(True)
    for entry in changes:
        name, value = entry.split('=', 1)
        for i, line in enumerate(lines):
            if line.startswith(name + ' = '):
                lines[i] = '%s = %s\n' % (name, value)
                break
        else:
            lines.append('%s = %s\n' % (name, value))
    with open(path, 'w') as handle:
        handle.write(''.join(lines))


class FakePostfix(object):
    """postconf [-P] names, postconf -e/-P entries and postfix check, on ``name = value`` files."""

    def __init__(self, directory, check_error=None, fail_edit=None, running=True):
        self.directory = directory
        self.check_error = check_error
        self.fail_edit = fail_edit
        self.calls = []
        self.main_cf_hot = None
        self.running = running
        self.reloads = []  # main.cf as each reload read it

    def __call__(self, argv):
        self.calls.append(argv)
        assert argv[1:3] == ['-c', self.directory]
        main, master = os.path.join(self.directory, 'main.cf'), os.path.join(self.directory, 'master.cf')
        if argv[0] == 'postfix' and argv[3:] == ['status']:
            return (0, '', '') if self.running else (1, '', 'postfix/postfix-script: the Postfix mail system is not running')
        if argv[0] == 'postfix' and argv[3:] == ['reload']:
            assert self.running
            self.reloads.append(open(main, 'rb').read())
            return 0, '', ''
        if argv[0] == 'postfix':
            assert argv[3:] == ['check']
            # Postfix's util/load_file.c reads main.cf again (0.3 s pauses) while st_mtime >= start - 1 second.
            self.main_cf_hot = int(os.stat(main).st_mtime) >= int(time.time()) - 1
            return (1, '', self.check_error) if self.check_error else (0, '', '')
        args = argv[3:]
        if args[0] in ('-e', '-P') and '=' in args[-1]:
            if self.fail_edit == args[0]:
                return 1, '', 'postconf: fatal: %s: cannot update' % args[0]
            _write(main if args[0] == '-e' else master, args[1:])
            return 0, '', ''
        if args == ['-M']:
            return 0, SERVICES, ''
        if args[0] == '-P':
            values = _read(master)
            return 0, ''.join('%s = %s\n' % (n, values[n]) for n in args[1:] if n in values), ''
        if args == ['-Px']:
            return 0, open(master).read().split('\n', 1)[1], ''
        values = dict(DEFAULTS, **_read(main))
        expand = args[0] == '-x'
        names = args[1:] if expand else args
        shown = dict((n, values[n].replace('$milter_macro_v', '$mail_name $v') if expand else values[n]) for n in names
                     if n in values)
        warnings = ''.join('postconf: warning: %s: unknown parameter\n' % n for n in names if n not in values)
        return 0, ''.join('%s = %s\n' % (n, shown[n]) for n in names if n in shown), warnings


@pytest.fixture
def config(tmp_path):
    for name, data in (('main.cf', MAIN_CF), ('master.cf', MASTER_CF)):
        (tmp_path / name).write_bytes(data)
        os.chmod(str(tmp_path / name), 0o640)
    return str(tmp_path)


def backend(config, run, main=(), master=(), check=True, check_mode=False, diff=False, reload=False):
    params = {'main': list(main), 'master': list(master), 'config_dir': config, 'check': check, 'reload': reload}
    return PostconfBackend(params, run, check_mode=check_mode, diff=diff)


def test_only_settings_that_differ_change_and_a_rerun_changes_nothing(config):
    run = FakePostfix(config)
    wanted = ['smtpd_milters=inet:localhost:8893, inet:localhost:8891', 'non_smtpd_milters=inet:localhost:8891',
              'milter_default_action=accept', 'milter_protocol=6']
    result = backend(config, run, main=wanted, master=['submission/inet/smtpd_milters=inet:localhost:8893'],
                     diff=True).run()
    assert result['changed'] is True
    assert result['files'] == ['main.cf']
    # milter_protocol already is 6 (the default) and the submission override already holds its value.
    assert result['main'] == wanted[:3] and result['master'] == []
    assert result['diff']['before'] == (
        'smtpd_milters = inet:localhost:8893\nnon_smtpd_milters = \nmilter_default_action = tempfail\n')
    assert result['diff']['after'] == ''.join('%s = %s\n' % tuple(e.split('=', 1)) for e in wanted[:3])
    assert ['postconf', '-c', config, '-e'] + wanted[:3] in run.calls
    assert run.calls[-1] == ['postfix', '-c', config, 'check']
    text = open(os.path.join(config, 'main.cf'), 'rb').read()
    assert text.startswith(b"# the admin's comment stays\nmyhostname = mx.example.net\n")
    assert b'maillog_file = /var/log/postfix.log\n' in text
    assert open(os.path.join(config, 'master.cf'), 'rb').read() == MASTER_CF

    again = FakePostfix(config)
    rerun = backend(config, again, main=wanted, master=['submission/inet/smtpd_milters=inet:localhost:8893']).run()
    assert rerun == {'changed': False, 'main': [], 'master': [], 'files': [], 'reloaded': False}
    assert not [call for call in again.calls if call[0] == 'postfix' or '-e' in call]


def test_check_mode_reports_and_changes_nothing(config):
    run = FakePostfix(config)
    result = backend(config, run, main=['milter_default_action=accept'],
                     master=['submission/inet/smtpd_milters=inet:localhost:8891'], check_mode=True).run()
    assert result == {'changed': True, 'main': ['milter_default_action=accept'],
                      'master': ['submission/inet/smtpd_milters=inet:localhost:8891'],
                      'files': ['main.cf', 'master.cf'], 'reloaded': False}
    assert open(os.path.join(config, 'main.cf'), 'rb').read() == MAIN_CF
    assert open(os.path.join(config, 'master.cf'), 'rb').read() == MASTER_CF
    assert not [call for call in run.calls if call[0] == 'postfix' or '-e' in call]


@pytest.mark.parametrize('check_error, fail_edit, message', [
    ("postfix/postfix-script: fatal: missing 'postlog' service in master.cf", None,
     "Postfix rejected the changed configuration; main.cf and master.cf put back and Postfix was not reloaded: "
     "postfix/postfix-script: fatal: missing 'postlog' service in master.cf"),
    (None, '-P',
     "postconf could not change the configuration; main.cf and master.cf put back and Postfix was not reloaded: "
     "postconf -P failed (exit 1): postconf: fatal: -P: cannot update"),
])
def test_a_rejected_change_is_written_back_byte_for_byte(config, check_error, fail_edit, message):
    run = FakePostfix(config, check_error=check_error, fail_edit=fail_edit)
    with pytest.raises(MailauthError) as failure:
        backend(config, run, main=['milter_default_action=accept'],
                master=['submission/inet/smtpd_milters=inet:localhost:8891']).run()
    assert str(failure.value) == message
    assert open(os.path.join(config, 'main.cf'), 'rb').read() == MAIN_CF
    assert open(os.path.join(config, 'master.cf'), 'rb').read() == MASTER_CF
    assert oct(os.stat(os.path.join(config, 'main.cf')).st_mode & 0o777) == oct(0o640)
    # Put back from memory: no backup copy or temporary file is left behind.
    assert sorted(os.listdir(config)) == ['main.cf', 'master.cf']


def test_without_check_postfix_check_does_not_run(config):
    run = FakePostfix(config, check_error='would fail')
    assert backend(config, run, main=['milter_default_action=accept'], check=False).run()['changed'] is True
    assert not [call for call in run.calls if call[0] == 'postfix']
    assert _read(os.path.join(config, 'main.cf'))['milter_default_action'] == 'accept'


@pytest.mark.parametrize('kind, entries, message', [
    ('main', ['smtpd_milters'], "main: 'smtpd_milters' is not name=value; nothing was changed"),
    ('main', ['smtpd milters=x'], "main: 'smtpd milters=x' is not name=value; nothing was changed"),
    ('main', ['-o=x'], "main: '-o=x' is not name=value; nothing was changed"),
    ('main', ['a=1\nb=2'], "main: 'a=1\\nb=2' is not name=value; nothing was changed"),
    ('main', ['a=1', 'a=2'], "main: a is given twice, as '1' and '2'; nothing was changed"),
    ('master', ['submission/smtpd_milters=x'],
     "master: 'submission/smtpd_milters=x' is not service/type/name=value, type one of inet, unix, unix-dgram, "
     "fifo, pass; nothing was changed"),
    ('master', ['submission/tcp/smtpd_milters=x'],
     "master: 'submission/tcp/smtpd_milters=x' is not service/type/name=value, type one of inet, unix, "
     "unix-dgram, fifo, pass; nothing was changed"),
    ('master', ['-c/inet/x=y'],
     "master: '-c/inet/x=y' is not service/type/name=value, type one of inet, unix, unix-dgram, fifo, pass; "
     "nothing was changed"),
])
def test_bad_entries_are_refused_before_postconf_runs(config, kind, entries, message):
    run = FakePostfix(config)
    with pytest.raises(MailauthError) as failure:
        backend(config, run, **{kind: entries}).run()
    assert str(failure.value) == message
    assert run.calls == []


def test_same_entry_twice_is_one_setting():
    assert parse_settings(['a=1', 'a=1'], 'main') == [('a', '1')]
    assert parse_settings(['[::1]:10025/inet/smtpd_milters= x '], 'master') == [
        ('[::1]:10025/inet/smtpd_milters', 'x')]


@pytest.mark.parametrize('text, values', [
    ('smtpd_milters = inet:localhost:8891, unix:opendkim/opendkim.sock\n',
     {'smtpd_milters': 'inet:localhost:8891, unix:opendkim/opendkim.sock'}),
    ('non_smtpd_milters = \nsmtpd_milters =\n', {'non_smtpd_milters': '', 'smtpd_milters': ''}),
    ('submission/inet/smtpd_milters = a = b\n', {'submission/inet/smtpd_milters': 'a = b'}),
    ('postconf: warning: nonsense\n', {}),
])
def test_parse_lines(text, values):
    assert parse_lines(text) == values


def test_postfix_check_does_not_wait_for_main_cf_to_cool_down(config):
    """`postfix check` right after `postconf -e` would pause about 2 s until main.cf looked still (Postfix rereads
    a file changed in the last second): the backend dates the complete, renamed main.cf back first."""
    run = FakePostfix(config)
    before = time.time()
    assert backend(config, run, main=['milter_default_action=accept']).run()['changed'] is True
    assert run.main_cf_hot is False
    assert os.stat(os.path.join(config, 'main.cf')).st_mtime < before - 1
    assert _read(os.path.join(config, 'main.cf'))['milter_default_action'] == 'accept'


def test_reload_after_a_checked_change_reads_the_new_file(config):
    run = FakePostfix(config)
    result = backend(config, run, main=['milter_default_action=accept'], reload=True).run()
    assert result['reloaded'] is True
    assert len(run.reloads) == 1 and b'milter_default_action = accept' in run.reloads[0]
    assert [call[3:] for call in run.calls if call[0] == 'postfix'] == [['check'], ['status'], ['reload']]


@pytest.mark.parametrize('case', ['no change', 'stopped', 'check mode', 'not asked'])
def test_no_reload_without_a_change_a_running_postfix_or_the_option(config, case):
    run = FakePostfix(config, running=case != 'stopped')
    wanted = ['milter_default_action=tempfail'] if case == 'no change' else ['milter_default_action=accept']
    result = backend(config, run, main=wanted, check_mode=case == 'check mode', reload=case != 'not asked').run()
    assert result['reloaded'] is False and run.reloads == []
    assert result['changed'] is (case != 'no change')


def test_a_rejected_change_is_not_reloaded(config):
    run = FakePostfix(config, check_error="postfix/postfix-script: fatal: missing 'postlog' service in master.cf")
    with pytest.raises(MailauthError):
        backend(config, run, main=['milter_default_action=accept'], reload=True).run()
    assert run.reloads == [] and not [call for call in run.calls if call[3:] == ['status']]


def test_read_postfix_reads_main_cf_expanded_values_and_master_cf_in_three_calls(config):
    run = FakePostfix(config)
    now = read_postfix(run, 'postconf', config,
                       parameters=['smtpd_milters', 'non_smtpd_milters', 'milter_mail_macros', 'queue_directory'],
                       expanded=['milter_mail_macros'], master=True)
    assert now == {
        # From main.cf, and Postfix's defaults where main.cf is silent; $variables as written.
        'parameters': {'smtpd_milters': 'inet:localhost:8893', 'non_smtpd_milters': '',
                       'milter_mail_macros': 'i {auth_type} $milter_macro_v', 'queue_directory': '/var/spool/postfix'},
        'expanded': {'milter_mail_macros': 'i {auth_type} $mail_name $v'},
        'master_services': SERVICES.splitlines(),
        'master_parameters': ['submission/inet/smtpd_milters = inet:localhost:8893'],
    }
    assert [call[3:] for call in run.calls] == [
        ['smtpd_milters', 'non_smtpd_milters', 'milter_mail_macros', 'queue_directory'],
        ['-x', 'milter_mail_macros'], ['-M'], ['-Px']]


def test_read_postfix_without_master_reads_only_what_is_asked(config):
    run = FakePostfix(config)
    assert read_postfix(run, 'postconf', config, parameters=['milter_protocol']) == {
        'parameters': {'milter_protocol': '6'}, 'expanded': {}, 'master_services': [], 'master_parameters': []}
    assert len(run.calls) == 1
    assert read_postfix(run, 'postconf', config)['parameters'] == {} and len(run.calls) == 1


@pytest.mark.parametrize('option', ['parameters', 'expanded'])
def test_read_postfix_names_an_unknown_parameter(config, option):
    with pytest.raises(MailauthError, match=r"^%s: Postfix knows no parameter smtpd_miltres$" % option):
        read_postfix(FakePostfix(config), 'postconf', config, **{option: ['smtpd_milters', 'smtpd_miltres']})


def test_read_postfix_reports_a_failing_postconf(config):
    def broken(argv):
        return 1, '', 'postconf: fatal: open /etc/postfix/main.cf: Permission denied\n'

    with pytest.raises(MailauthError) as failure:
        read_postfix(broken, 'postconf', config, master=True)
    assert str(failure.value) == 'postconf -M failed (exit 1): postconf: fatal: open /etc/postfix/main.cf: Permission denied'
    assert failure.value.result == {'rc': 1}
