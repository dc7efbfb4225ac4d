# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailauth.dkim.postconf_info as a playbook runs it: on a host without Postfix it reports installed=false (the role
then stops with its own message, or installs Postfix); with a postconf on PATH it returns what postconf prints, in
check mode too. Molecule and the site tests run it against real Postfix."""

from __future__ import absolute_import, division, print_function

import json
import os

import pytest

FAKE_POSTCONF = r'''#!/bin/sh
# postconf stand-in: -c DIR, then -M, -Px, -x NAMES or NAMES.
echo "$@" >> "$(dirname "$0")/calls"
shift 2
case "$1" in
  -M) echo "smtp       inet  n       -       y       -       -       smtpd" ;;
  -Px) echo "submission/inet/smtpd_milters = inet:localhost:8893" ;;
  -x) echo "milter_mail_macros = i {auth_type} Postfix" ;;
  *) for name in "$@"; do
       case "$name" in
         smtpd_milters) echo "smtpd_milters = inet:localhost:8893" ;;
         queue_directory) echo "queue_directory = /var/spool/postfix" ;;
         *) echo "postconf: warning: $name: unknown parameter" >&2 ;;
       esac
     done ;;
esac
'''


def task(names, fake_dir=None):
    environment = '\n  environment:\n    PATH: "%s:/usr/bin:/bin"' % fake_dir if fake_dir else ''
    return '''
- name: Postfix
  mailauth.dkim.postconf_info:
    parameters: %s
    expanded: [milter_mail_macros]
    master: true
    config_dir: /etc/postfix-test%s
''' % (json.dumps(names), environment)


@pytest.fixture
def fake_postconf(tmp_path):
    directory = tmp_path / 'bin'
    directory.mkdir()
    (directory / 'postconf').write_text(FAKE_POSTCONF)
    os.chmod(str(directory / 'postconf'), 0o755)
    return directory


@pytest.mark.skipif(os.path.exists('/usr/sbin/postconf'), reason='this machine has Postfix')
def test_without_postfix_installed_is_false(run_playbook):
    run = run_playbook(task(['smtpd_milters']), check=True)
    assert run.rc == 0
    assert run.result('Postfix') == dict(run.result('Postfix'), changed=False, installed=False, parameters={},
                                         expanded={}, master_services=[], master_parameters=[])


def test_returns_what_postconf_prints(run_playbook, fake_postconf):
    run = run_playbook(task(['smtpd_milters', 'queue_directory'], fake_postconf), check=True)
    assert run.rc == 0, run.result('Postfix')
    result = run.result('Postfix')
    assert result['changed'] is False and result['installed'] is True
    assert result['parameters'] == {'smtpd_milters': 'inet:localhost:8893', 'queue_directory': '/var/spool/postfix'}
    assert result['expanded'] == {'milter_mail_macros': 'i {auth_type} Postfix'}
    assert result['master_services'] == ['smtp       inet  n       -       y       -       -       smtpd']
    assert result['master_parameters'] == ['submission/inet/smtpd_milters = inet:localhost:8893']
    assert (fake_postconf / 'calls').read_text().splitlines() == [
        '-c /etc/postfix-test smtpd_milters queue_directory', '-c /etc/postfix-test -x milter_mail_macros',
        '-c /etc/postfix-test -M', '-c /etc/postfix-test -Px']


def test_an_unknown_parameter_fails_naming_it(run_playbook, fake_postconf):
    run = run_playbook(task(['smtpd_milters', 'smtpd_miltres'], fake_postconf))
    assert run.rc != 0
    assert run.result('Postfix')['msg'] == 'parameters: Postfix knows no parameter smtpd_miltres'
