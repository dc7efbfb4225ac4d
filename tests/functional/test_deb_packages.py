# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailauth.dkim.deb_packages as a user runs it, against this machine's real dpkg, in check mode (nothing is
installed here; Molecule installs OpenDKIM with it on fresh containers): installed packages are found, a missing
one is reported, a bad name fails naming it."""

from __future__ import absolute_import, division, print_function

import json

import pytest


def task(names):
    return '''
- name: Packages
  mailauth.dkim.deb_packages:
    name: %s
''' % json.dumps(names)


def test_installed_packages_change_nothing(run_playbook):
    run = run_playbook(task(['dpkg', 'apt', 'dpkg']), check=True)
    assert run.rc == 0
    result = run.result('Packages')
    assert result['changed'] is False and result['installed'] == [] and result['cache_updated'] is False


def test_a_missing_package_would_be_installed(run_playbook):
    run = run_playbook(task(['dpkg', 'mailauth-dkim-no-such-package']), check=True)
    assert run.rc == 0
    result = run.result('Packages')
    assert result['changed'] is True and result['installed'] == ['mailauth-dkim-no-such-package']


@pytest.mark.parametrize('name', ['opendkim=2.11.0', 'OpenDKIM', '--reinstall'])
def test_a_bad_name_fails_naming_it(run_playbook, name):
    run = run_playbook(task(['dpkg', name]), check=True)
    assert run.rc != 0
    assert run.result('Packages')['msg'].startswith("'%s' is not a Debian package name" % name)
