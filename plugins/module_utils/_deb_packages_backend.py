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
to the network.
"""

from __future__ import absolute_import, division, print_function

import os
import re
import time

from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError

# Debian Policy 5.6.1: lower case letters, digits, + - . ; at least two characters, starting alphanumerically.
# An architecture qualifier (libc6:amd64) is allowed; versions (name=1.0) and patterns are not.
_NAME = re.compile(r'^[a-z0-9][a-z0-9+.-]+(:[a-z0-9][a-z0-9-]*)?$')
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
    """``params``: name, cache_valid_time, install_recommends, lock_timeout. ``run(argv)`` returns
    (rc, stdout, stderr) and runs with ENVIRONMENT; ``now()``, ``mtime(path)`` (None: no such path) and
    ``has_lists()`` (whether apt has any package index) read the clock and apt's state."""

    def __init__(self, params, run, dpkg_query='dpkg-query', apt_get='apt-get', check_mode=False, now=time.time,
                 mtime=None, has_lists=None):
        self.params = params
        self.run_command = run
        self.dpkg_query = dpkg_query
        self.apt_get_path = apt_get
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

    def run(self):
        names = check_names(self.params['name'])
        missing = self.missing(names)
        result = {'changed': bool(missing), 'installed': missing, 'cache_updated': False}
        if not missing or self.check_mode:
            return result
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
        return result


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
