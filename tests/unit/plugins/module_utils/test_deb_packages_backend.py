# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_deb_packages_backend (module mailauth.dkim.deb_packages): only missing packages are installed, the lists are
refreshed only when something is to be installed and they are old, check mode and bad names change nothing, and a
new package's service named in keep_stopped is not started by the installation (and not left masked).

A stand-in for dpkg-query and apt-get keeps a set of installed packages; the real ones run in Molecule (the role
installs OpenDKIM with this module on fresh Debian 12 and 13 containers).
"""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils._deb_packages_backend import (
    HOLD_FILE, LISTS_DIR, UPDATE_STAMP, DebPackagesBackend, check_names, installed_packages)
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError

NOW = 1800000000.0
# Packages apt knows about, with what installing them installs (a virtual package installs its provider).
ARCHIVE = {'opendkim': ['opendkim', 'libopendkim11'], 'opendkim-tools': ['opendkim-tools'],
           'python3-cryptography': ['python3-cryptography'], 'postfix': ['postfix'],
           'mail-transport-agent': ['postfix']}
# The service each package ships, which its maintainer script starts on installation (unless masked).
UNITS = {'opendkim': 'opendkim.service', 'postfix': 'postfix.service'}


class FakeApt(object):
    """dpkg-query -W -f '${binary:Package} ${Status}\\n' NAMES, apt-get update and apt-get install NAMES, and the
    systemctl calls of keep_stopped (show -p LoadState --value, daemon-reload). ``runtime_dir`` is systemd's runtime
    unit directory: installing a package starts its unit unless a drop-in there holds it back."""

    def __init__(self, installed=(), config_files=(), fail=None, stale=(), runtime_dir=None):
        self.stale = set(stale)  # packages the lists do not know until apt-get update
        self.installed = set(installed)
        self.config_files = set(config_files)  # removed, configuration left: "deinstall ok config-files"
        self.fail = fail
        self.calls = []
        self.runtime_dir = runtime_dir
        self.running = set(UNITS[name] for name in installed if name in UNITS)

    def held(self, unit):
        return bool(self.runtime_dir) and os.path.exists(os.path.join(self.runtime_dir, unit + '.d', HOLD_FILE))

    def systemctl(self, argv):
        if argv[1] == 'show':
            assert argv[2:5] == ['-p', 'LoadState', '--value']
            known = argv[5] in [UNITS[name] for name in self.installed if name in UNITS]
            return 0, ('loaded' if known else 'not-found') + '\n', ''
        assert argv[1:] == ['daemon-reload']
        if self.fail == 'reload':
            return 1, '', 'Failed to reload daemon: Access denied'
        return 0, '', ''

    def __call__(self, argv):
        self.calls.append(argv)
        if argv[0] == 'systemctl':
            return self.systemctl(argv)
        if argv[0] == 'dpkg-query':
            assert argv[1:4] == ['-W', '-f', '${binary:Package} ${Status}\n']
            lines, unknown = [], []
            for name in argv[4:]:
                if name in self.installed:
                    lines.append('%s install ok installed\n' % name)
                elif name in self.config_files:
                    lines.append('%s deinstall ok config-files\n' % name)
                else:
                    unknown.append(name)
            err = ''.join('dpkg-query: no packages found matching %s\n' % name for name in unknown)
            return (1 if unknown else 0), ''.join(lines), err
        assert argv[:5] == ['apt-get', '-q', '-y', '-o', 'DPkg::Lock::Timeout=60']
        if 'update' in argv:
            if self.fail == 'update':
                return 100, '', 'E: Could not get lock /var/lib/apt/lists/lock'
            self.stale = set()
            return 0, '', ''
        assert argv[5:10] == ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold',
                              'install']
        names = [arg for arg in argv[10:] if not arg.startswith('-')]
        unknown = [name for name in names if self.fail == 'install' or name in self.stale]
        if unknown:
            return 100, '', 'E: Unable to locate package %s' % unknown[0]
        for name in names:
            self.installed.update(ARCHIVE[name])
            if name in UNITS and not self.held(UNITS[name]):
                self.running.add(UNITS[name])
        return 0, 'Setting up ...', ''

    def apt_calls(self):
        return [call[5:] for call in self.calls if call[0] == 'apt-get']

    def systemctl_calls(self):
        return [call[1:] for call in self.calls if call[0] == 'systemctl']


def backend(apt, names, lists_age=None, check_mode=False, recommends=False, stamp=False, has_lists=True,
            keep_stopped=()):
    params = {'name': list(names), 'cache_valid_time': 3600, 'install_recommends': recommends, 'lock_timeout': 60,
              'keep_stopped': list(keep_stopped)}
    times = {}
    if lists_age is not None:
        times[UPDATE_STAMP if stamp else LISTS_DIR] = NOW - lists_age
    return DebPackagesBackend(params, apt, check_mode=check_mode, now=lambda: NOW, mtime=times.get,
                              has_lists=lambda: has_lists, runtime_dir=apt.runtime_dir or '/nonexistent')


def test_only_missing_packages_are_installed_after_refreshing_old_lists():
    apt = FakeApt(installed=['python3-cryptography'])
    result = backend(apt, ['opendkim', 'opendkim-tools', 'python3-cryptography'], lists_age=86400).run()
    assert result == {'changed': True, 'installed': ['opendkim', 'opendkim-tools'], 'cache_updated': True, 'kept_stopped': []}
    assert apt.apt_calls() == [
        ['update'],
        ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', 'install',
         '--no-install-recommends', 'opendkim', 'opendkim-tools']]
    assert {'opendkim', 'opendkim-tools', 'python3-cryptography'} <= apt.installed


def test_a_rerun_asks_dpkg_only_and_never_refreshes_the_lists():
    apt = FakeApt(installed=['opendkim', 'opendkim-tools', 'python3-cryptography'])
    result = backend(apt, ['opendkim', 'opendkim-tools', 'python3-cryptography'], lists_age=10 ** 7).run()
    assert result == {'changed': False, 'installed': [], 'cache_updated': False, 'kept_stopped': []}
    assert apt.apt_calls() == [] and len(apt.calls) == 1


@pytest.mark.parametrize('age, stamp, updated', [
    (None, False, True),     # no lists at all (a fresh image): refreshed
    (7200, False, True),
    (600, False, False),     # refreshed ten minutes ago
    (600, True, False),      # apt's periodic stamp counts too
])
def test_lists_are_refreshed_only_when_older_than_cache_valid_time(age, stamp, updated):
    apt = FakeApt()
    result = backend(apt, ['opendkim'], lists_age=age, stamp=stamp).run()
    assert result['cache_updated'] is updated
    assert (['update'] in apt.apt_calls()) is updated
    assert 'opendkim' in apt.installed


def test_an_empty_lists_directory_is_refreshed_however_young():
    """Images are built with /var/lib/apt/lists emptied: a fresh directory with no package index in it."""
    apt = FakeApt()
    assert backend(apt, ['opendkim'], lists_age=5, has_lists=False).run()['cache_updated'] is True
    assert apt.apt_calls()[0] == ['update'] and 'opendkim' in apt.installed


def test_young_lists_that_lack_a_package_are_refreshed_once_and_the_install_tried_again():
    apt = FakeApt(stale=['opendkim-tools'])
    result = backend(apt, ['opendkim', 'opendkim-tools'], lists_age=60).run()
    assert result == {'changed': True, 'installed': ['opendkim', 'opendkim-tools'], 'cache_updated': True, 'kept_stopped': []}
    assert [call[-1] for call in apt.apt_calls()] == ['opendkim-tools', 'update', 'opendkim-tools']
    assert {'opendkim', 'opendkim-tools'} <= apt.installed


def test_check_mode_reports_and_installs_nothing():
    apt = FakeApt(installed=['opendkim'], config_files=['opendkim-tools'])
    result = backend(apt, ['opendkim', 'opendkim-tools'], check_mode=True).run()
    # Removed with its configuration left behind is not installed.
    assert result == {'changed': True, 'installed': ['opendkim-tools'], 'cache_updated': False, 'kept_stopped': []}
    assert apt.apt_calls() == []


def test_recommends_when_asked():
    apt = FakeApt()
    backend(apt, ['postfix'], lists_age=0, recommends=True).run()
    assert apt.apt_calls() == [['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold',
                                'install', 'postfix']]


@pytest.mark.parametrize('name', ['OpenDKIM', 'opendkim=2.11.0', 'opendkim*', '-o', 'x', '../x', 'a b', 7, ''])
def test_bad_names_are_refused_naming_the_value_before_anything_runs(name):
    apt = FakeApt()
    with pytest.raises(MailauthError) as failure:
        backend(apt, ['opendkim', name]).run()
    assert str(failure.value).startswith('%r is not a Debian package name' % (name,))
    assert str(failure.value).endswith('nothing was installed')
    assert apt.calls == []


@pytest.mark.parametrize('fail, message', [
    ('update', 'apt-get update failed (exit 100): E: Could not get lock /var/lib/apt/lists/lock'),
    ('install', 'apt-get install opendkim failed (exit 100): E: Unable to locate package opendkim'),
])
def test_apt_get_failures_name_the_step_with_apt_message(fail, message):
    apt = FakeApt(fail=fail)
    with pytest.raises(MailauthError) as failure:
        backend(apt, ['opendkim']).run()
    assert str(failure.value) == message
    assert failure.value.result['rc'] == 100
    # Refreshed once at most (the lists were missing, so already before the install).
    assert [call for call in apt.apt_calls() if call == ['update']] == [['update']]
    assert 'opendkim' not in apt.installed


def test_a_virtual_package_is_refused_after_the_installation_instead_of_reinstalled_every_run():
    apt = FakeApt()
    with pytest.raises(MailauthError) as failure:
        backend(apt, ['opendkim', 'mail-transport-agent'], lists_age=0).run()
    assert 'dpkg does not list mail-transport-agent as installed (a virtual package?' in str(failure.value)
    assert failure.value.result['installed'] == ['opendkim']


def test_names_are_taken_once_in_order_and_parsed_with_architectures():
    assert check_names(['postfix', 'at', 'postfix', 'libc6:amd64']) == ['postfix', 'at', 'libc6:amd64']
    out = 'libc6:amd64 install ok installed\nzlib1g hold ok installed\nold deinstall ok config-files\nx y\n'
    assert installed_packages(out) == {'libc6:amd64', 'libc6', 'zlib1g'}


@pytest.fixture
def runtime_dir(tmp_path):
    """systemd's runtime unit directory, with a drop-in of somebody else's that must survive."""
    path = tmp_path / 'run-systemd-system'
    (path / 'other.service.d').mkdir(parents=True)
    (path / 'other.service.d' / 'override.conf').write_text('[Service]\nNice=5\n')
    return str(path)


def remaining(runtime_dir):
    return sorted(os.path.relpath(os.path.join(top, name), runtime_dir)
                  for top, dirs, files in os.walk(runtime_dir) for name in dirs + files)


def test_a_new_package_does_not_start_its_service_held_by_keep_stopped_and_nothing_is_left(runtime_dir):
    apt = FakeApt(installed=['postfix'], runtime_dir=runtime_dir)
    seen = []
    install = apt.__call__

    def spy(argv):
        if argv[0] == 'apt-get' and 'install' in argv:
            seen.extend(remaining(runtime_dir))
        return install(argv)

    result = DebPackagesBackend(
        {'name': ['opendkim', 'postfix'], 'cache_valid_time': 3600, 'install_recommends': False, 'lock_timeout': 60,
         'keep_stopped': ['opendkim.service', 'postfix.service']},
        spy, now=lambda: NOW, mtime={LISTS_DIR: NOW}.get, has_lists=lambda: True, runtime_dir=runtime_dir).run()
    assert result == {'changed': True, 'installed': ['opendkim'], 'cache_updated': False,
                      'kept_stopped': ['opendkim.service']}
    # The drop-in was there during apt-get install, with a start condition that never holds.
    assert 'opendkim.service.d/' + HOLD_FILE in seen
    assert 'opendkim' in apt.installed and 'opendkim.service' not in apt.running
    # postfix.service exists already (its package is installed): left alone, and it keeps running.
    assert 'postfix.service' in apt.running and 'postfix.service.d' not in seen
    # Afterwards: only the other drop-in is left, and systemd was reloaded after the installation.
    assert remaining(runtime_dir) == ['other.service.d', 'other.service.d/override.conf']
    kinds = [call[1] if call[0] == 'systemctl' else call[0] for call in apt.calls if call[0] != 'dpkg-query']
    assert kinds == ['show', 'show', 'apt-get', 'daemon-reload']


def test_the_drop_in_holds_a_unit_by_a_start_condition_that_never_holds(runtime_dir):
    apt = FakeApt(runtime_dir=runtime_dir)
    backend_ = backend(apt, ['opendkim'], keep_stopped=['opendkim.service'])
    backend_.hold(['opendkim.service'])
    with open(os.path.join(runtime_dir, 'opendkim.service.d', HOLD_FILE)) as handle:
        lines = handle.read().splitlines()
    assert lines[1:] == ['[Unit]', 'ConditionPathExists=/dev/null/held-by-mailauth.dkim.deb_packages']


def test_without_keep_stopped_the_package_starts_its_service(runtime_dir):
    apt = FakeApt(runtime_dir=runtime_dir)
    backend(apt, ['opendkim'], lists_age=0).run()
    assert 'opendkim.service' in apt.running and apt.systemctl_calls() == []


@pytest.mark.parametrize('installed, check_mode, systemd', [
    (['opendkim'], False, True),  # nothing to install
    ([], True, True),             # check mode
    ([], False, False),           # no systemd running
])
def test_keep_stopped_needs_an_installation_under_systemd(runtime_dir, installed, check_mode, systemd):
    apt = FakeApt(installed=installed, runtime_dir=runtime_dir if systemd else None)
    result = backend(apt, ['opendkim'], lists_age=0, check_mode=check_mode, keep_stopped=['opendkim.service']).run()
    assert result['kept_stopped'] == [] and apt.systemctl_calls() == []
    assert remaining(runtime_dir) == ['other.service.d', 'other.service.d/override.conf']


def test_a_failed_installation_removes_the_drop_in_and_keeps_apt_message(runtime_dir):
    apt = FakeApt(fail='install', runtime_dir=runtime_dir)
    with pytest.raises(MailauthError) as failure:
        backend(apt, ['opendkim'], lists_age=0, keep_stopped=['opendkim.service']).run()
    assert str(failure.value).startswith('apt-get install opendkim failed (exit 100): E: Unable to locate package')
    assert remaining(runtime_dir) == ['other.service.d', 'other.service.d/override.conf']
    assert apt.systemctl_calls()[-1] == ['daemon-reload']


def test_a_failed_reload_is_reported_naming_the_unit(runtime_dir):
    apt = FakeApt(fail='reload', runtime_dir=runtime_dir)
    with pytest.raises(MailauthError) as failure:
        backend(apt, ['opendkim'], lists_age=0, keep_stopped=['opendkim.service']).run()
    assert str(failure.value) == ('systemctl daemon-reload failed (exit 1): Failed to reload daemon: Access denied: '
                                  'opendkim.service will not start until the drop-in is gone and systemd reloaded '
                                  '(or a reboot)')
    assert 'opendkim' in apt.installed


@pytest.mark.parametrize('unit', ['opendkim', '--now', 'open dkim.service', '../x.service', 7, ''])
def test_bad_unit_names_are_refused_naming_the_value_before_anything_runs(unit):
    apt = FakeApt()
    with pytest.raises(MailauthError) as failure:
        backend(apt, ['opendkim'], keep_stopped=[unit]).run()
    assert str(failure.value).startswith('keep_stopped: %r is not a systemd unit name' % (unit,))
    assert apt.calls == []


def test_a_drop_in_that_cannot_be_written_fails_naming_the_unit_before_apt_runs(tmp_path):
    runtime_dir = tmp_path / 'run-systemd-system'
    runtime_dir.mkdir()
    (runtime_dir / 'opendkim.service.d').write_text('a file where the drop-in directory belongs')
    apt = FakeApt(runtime_dir=str(runtime_dir))
    with pytest.raises(MailauthError) as failure:
        backend(apt, ['opendkim'], lists_age=0, keep_stopped=['opendkim.service']).run()
    assert str(failure.value).startswith('cannot hold back opendkim.service: ')
    assert str(failure.value).endswith('; nothing was installed')
    assert apt.apt_calls() == [] and 'opendkim' not in apt.installed
