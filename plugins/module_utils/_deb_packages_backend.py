# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: the logic of the deb_packages module.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Installs the Debian packages that dpkg does not list as installed, with ``apt-get install``; the package lists are
refreshed first when they are older than ``cache_valid_time``, and only when something is to be installed. Asks
dpkg-query and apt-get only, so the host needs no python3-apt, and a run where everything is installed never goes
to the network. Services named in ``keep_stopped`` that a new package would start are held back by a runtime
drop-in for the time of the installation, so that its maintainer scripts cannot start them with the package's
defaults.
"""

from __future__ import absolute_import, division, print_function

import os
import re
import time

from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError

# Debian Policy 5.6.1: lower case letters, digits, + - . ; at least two characters, starting alphanumerically.
# An architecture qualifier (libc6:amd64) is allowed; versions (name=1.0) and patterns are not.
_NAME = re.compile(r'^[a-z0-9][a-z0-9+.-]+(:[a-z0-9][a-z0-9-]*)?$')
# systemd unit names (systemd.unit(5)): a name of these characters with the unit type as suffix.
_UNIT = re.compile(r'^[A-Za-z0-9:_.\\@-]+\.(service|socket|timer|path)$')
# Where systemd keeps its runtime units: present when it runs as the init system (sd_booted(3)).
SYSTEMD_RUNTIME = '/run/systemd/system'
# keep_stopped: the runtime drop-in that keeps a unit from starting while its package is installed.
HOLD_FILE = 'zz-mailauth-dkim-keep-stopped.conf'
HOLD_TEXT = ('# mailauth.dkim.deb_packages: keeps this unit from starting while its package is installed; removed '
             'after the installation.\n[Unit]\nConditionPathExists=/dev/null/held-by-mailauth.dkim.deb_packages\n')
# dpkg's database and apt's lists (what ansible.builtin.apt's cache_valid_time looks at too).
UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp'
LISTS_DIR = '/var/lib/apt/lists'
# apt-get without questions: the configuration files a package ships only where none exist yet.
ENVIRONMENT = {'DEBIAN_FRONTEND': 'noninteractive', 'DEBIAN_PRIORITY': 'critical', 'LC_ALL': 'C'}


def check_names(names):
    """The names, each once in their order, or a MailauthError naming the first one that is no package name."""
    out = []
    for name in names:
        if not isinstance(name, str) or not _NAME.match(name):
            raise MailauthError('%r is not a Debian package name (lower case letters, digits, "+", "-" and ".", '
                                'optionally :architecture; no versions or patterns); nothing was installed' % (name,))
        if name not in out:
            out.append(name)
    return out


def check_units(units):
    """The unit names, each once in their order, or a MailauthError naming the first one that is no unit name."""
    out = []
    for unit in units:
        if not isinstance(unit, str) or unit.startswith('-') or not _UNIT.match(unit):
            raise MailauthError('keep_stopped: %r is not a systemd unit name with its type (opendkim.service); '
                                'nothing was installed' % (unit,))
        if unit not in out:
            out.append(unit)
    return out


def installed_packages(dpkg_query_output):
    """The names (and name:architecture) that ``dpkg-query -W -f '${binary:Package} ${Status}\\n'`` shows as
    installed (status "install ok installed" or "hold ok installed")."""
    installed = set()
    for line in dpkg_query_output.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] == 'ok' and fields[3] == 'installed':
            installed.add(fields[0])
            installed.add(fields[0].split(':', 1)[0])
    return installed


class DebPackagesBackend(object):
    """``params``: name, cache_valid_time, install_recommends, lock_timeout, keep_stopped. ``run(argv)`` returns
    (rc, stdout, stderr) and runs with ENVIRONMENT; ``now()``, ``mtime(path)`` (None: no such path) and
    ``has_lists()`` (whether apt has any package index) read the clock and apt's state; ``runtime_dir`` is
    systemd's runtime unit directory (missing: systemd does not run)."""

    def __init__(self, params, run, dpkg_query='dpkg-query', apt_get='apt-get', systemctl='systemctl',
                 check_mode=False, now=time.time, mtime=None, has_lists=None, runtime_dir=SYSTEMD_RUNTIME):
        self.params = params
        self.run_command = run
        self.dpkg_query = dpkg_query
        self.apt_get_path = apt_get
        self.systemctl = systemctl
        self.runtime_dir = runtime_dir
        self.check_mode = check_mode
        self.now = now
        self.mtime = mtime or _mtime
        self.has_lists = has_lists or _has_lists

    def missing(self, names):
        # rc 1 with "no packages found matching" on stderr for names dpkg never heard of: those are missing.
        rc, out, err = self.run_command([self.dpkg_query, '-W', '-f', '${binary:Package} ${Status}\n'] + names)
        if rc not in (0, 1):
            raise MailauthError('dpkg-query failed (exit %d): %s' % (rc, (err or out).strip()), rc=rc)
        installed = installed_packages(out)
        return [name for name in names if name not in installed]

    def lists_age(self):
        """Seconds since apt's package lists were last refreshed (None: never, or there are none: images often
        ship an empty, recently emptied lists directory)."""
        if not self.has_lists():
            return None
        stamps = [self.mtime(path) for path in (UPDATE_STAMP, LISTS_DIR)]
        stamps = [stamp for stamp in stamps if stamp is not None]
        return self.now() - max(stamps) if stamps else None

    def apt_get(self, args, what):
        argv = [self.apt_get_path, '-q', '-y', '-o', 'DPkg::Lock::Timeout=%d' % self.params['lock_timeout']] + args
        rc, out, err = self.run_command(argv)
        if rc != 0:
            raise MailauthError('%s failed (exit %d): %s' % (what, rc, (err or out).strip()[-2000:]), rc=rc,
                                stdout=out, stderr=err)

    def units_to_hold(self, units):
        """The units that no installed package provides yet (systemd knows no unit file for them): those a new
        package would start. None without systemd."""
        if not units or not os.path.isdir(self.runtime_dir):
            return []
        held = []
        for unit in units:
            rc, out, err = self.run_command([self.systemctl, 'show', '-p', 'LoadState', '--value', unit])
            if rc != 0:
                raise MailauthError('systemctl show %s failed (exit %d): %s' % (unit, rc, (err or out).strip()), rc=rc)
            if out.strip() == 'not-found':
                held.append(unit)
        return held

    def hold_file(self, unit):
        return os.path.join(self.runtime_dir, unit + '.d', HOLD_FILE)

    def hold(self, units):
        """A runtime drop-in (under /run, gone at reboot) with a start condition that never holds: the maintainer
        scripts' start is skipped ("start condition failed"), while enabling the unit works as usual. systemd reads
        it with the unit file the package brings (the package reloads systemd before it starts the unit)."""
        for unit in units:
            path = self.hold_file(unit)
            if not os.path.isdir(os.path.dirname(path)):
                os.mkdir(os.path.dirname(path), 0o755)
            with open(path, 'w') as handle:
                handle.write(HOLD_TEXT)

    def release(self, units, error=None):
        """Removes the drop-ins and reloads systemd; a failure says so, after the installation's own error."""
        if not units:
            return
        problems = []
        for unit in units:
            path = self.hold_file(unit)
            try:
                os.remove(path)
                os.rmdir(os.path.dirname(path))
            except OSError as exc:
                if os.path.exists(path):
                    problems.append('cannot remove %s (%s)' % (path, exc.strerror))
        rc, out, err = self.run_command([self.systemctl, 'daemon-reload'])
        if rc != 0:
            problems.append('systemctl daemon-reload failed (exit %d): %s' % (rc, (err or out).strip()))
        if problems:
            msg = ('%s: %s will not start until the drop-in is gone and systemd reloaded (or a reboot)'
                   % ('; '.join(problems), ', '.join(units)))
            raise MailauthError('%s; and %s' % (error, msg) if error else msg, rc=rc or 1)

    def run(self):
        names = check_names(self.params['name'])
        units = check_units(self.params.get('keep_stopped') or [])
        missing = self.missing(names)
        result = {'changed': bool(missing), 'installed': missing, 'cache_updated': False, 'kept_stopped': []}
        if not missing or self.check_mode:
            return result
        held = self.units_to_hold(units)
        try:
            self.hold(held)
            result['kept_stopped'] = held
            self.install(missing, result)
        except (MailauthError, OSError) as exc:
            # A drop-in that cannot be written (OSError) is reported like any other failure, not as a traceback.
            error = exc if isinstance(exc, MailauthError) else MailauthError(
                'cannot hold back %s: %s; nothing was installed' % (', '.join(held), exc))
            self.release(held, error)
            raise error
        self.release(held)
        return result

    def install(self, missing, result):
        age = self.lists_age()
        if age is None or age > self.params['cache_valid_time']:
            self.apt_get(['update'], 'apt-get update')
            result['cache_updated'] = True
        options = [] if self.params['install_recommends'] else ['--no-install-recommends']
        install = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', 'install']
        what = 'apt-get install %s' % ' '.join(missing)
        try:
            self.apt_get(install + options + missing, what)
        except MailauthError:
            # Lists young enough to be trusted can still miss a package or name a file the mirror no longer has
            # (404): refreshed once, and tried again.
            if result['cache_updated']:
                raise
            self.apt_get(['update'], 'apt-get update')
            result['cache_updated'] = True
            self.apt_get(install + options + missing, what)
        still = self.missing(missing)
        if still:
            raise MailauthError(
                'apt-get installed something else than %s: dpkg does not list %s as installed (a virtual package? '
                'name the package that provides it)' % (' '.join(missing), ', '.join(still)),
                installed=[name for name in missing if name not in still])


def _mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _has_lists():
    try:
        return any('_Packages' in name for name in os.listdir(LISTS_DIR))
    except OSError:
        return False
