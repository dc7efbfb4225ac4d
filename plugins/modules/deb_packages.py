#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: deb_packages
short_description: Install Debian packages with apt-get, without python3-apt
version_added: 0.4.0
description:
  - Installs the named packages that C(dpkg-query) does not show as installed, with one
    C(apt-get install --no-install-recommends). Packages already installed are left alone (never upgraded).
  - The package lists are refreshed (C(apt-get update)) first when they are older than O(cache_valid_time), and
    only when something is to be installed, so a run that finds every package installed never goes to the network.
  - Needs nothing but dpkg and apt-get on the host. M(ansible.builtin.apt) needs C(python3-apt), and on a host
    without it first refreshes the package lists and installs it (with its recommended packages); use
    M(ansible.builtin.apt) for anything beyond installing missing packages.
  - Configuration files that the packages ship are installed only where none exist (C(--force-confold)); no
    question is asked (C(DEBIAN_FRONTEND=noninteractive)).
author:
  - mailauth.dkim contributors (@mailauth)
attributes:
  check_mode:
    support: full
    description: Reports the packages that would be installed (asks C(dpkg-query)) and changes nothing.
  diff_mode:
    support: none
    description: RV(installed) names the packages that were installed.
  platform:
    platforms: debian
    support: full
    description: Debian, Ubuntu and their derivatives (C(dpkg-query) and C(apt-get)).
options:
  name:
    description:
      - Package names, optionally with an architecture (C(libc6:amd64)). No versions, patterns or files.
      - A virtual package is refused after the installation (dpkg never shows it installed); name a package that
        provides it.
    type: list
    elements: str
    required: true
  cache_valid_time:
    description: Refresh the package lists before installing when they are older than this many seconds.
    type: int
    default: 3600
  install_recommends:
    description: Install the packages' recommended packages too.
    type: bool
    default: false
  lock_timeout:
    description: Seconds to wait for another apt or dpkg run to finish (C(DPkg::Lock::Timeout)).
    type: int
    default: 60
  keep_stopped:
    description:
      - systemd units (with their type, C(opendkim.service)) that a new package must not start. Debian's
        maintainer scripts start a package's service at once, with the package's default configuration; a
        playbook that configures the service next would then have to stop or restart it.
      - For a unit that no installed package provides yet, a runtime drop-in
        (C(/run/systemd/system/UNIT.d/zz-mailauth-dkim-keep-stopped.conf), gone at reboot) with a start condition
        that never holds is in place for the time of the installation, so the package's start is skipped while its
        enabling works as usual. It is removed after the installation, whether that succeeded or not, and systemd
        reloaded. The unit is left stopped; start it yourself. Units that exist already are left alone, and so is
        everything on a host without systemd.
    type: list
    elements: str
    default: []
requirements:
  - dpkg and apt on the managed host.
seealso:
  - module: ansible.builtin.apt
'''

EXAMPLES = r'''
- name: Install OpenDKIM (nothing happens, and nothing is downloaded, when it is installed)
  mailauth.dkim.deb_packages:
    name: [opendkim, opendkim-tools, python3-cryptography]

- name: Install OpenDKIM without starting it with Debian's default configuration
  mailauth.dkim.deb_packages:
    name: [opendkim]
    keep_stopped: [opendkim.service]
'''

RETURN = r'''
installed:
  description: The packages that were installed (or would be, in check mode); empty when all were installed.
  returned: always
  type: list
  elements: str
  sample: [opendkim, opendkim-tools]
cache_updated:
  description: Whether the package lists were refreshed (C(apt-get update)).
  returned: always
  type: bool
  sample: true
kept_stopped:
  description: The units of O(keep_stopped) that were held back during the installation (the new ones).
  returned: always
  type: list
  elements: str
  sample: [opendkim.service]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailauth.dkim.plugins.module_utils._deb_packages_backend import DebPackagesBackend, ENVIRONMENT
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='list', elements='str', required=True),
            cache_valid_time=dict(type='int', default=3600),
            install_recommends=dict(type='bool', default=False),
            lock_timeout=dict(type='int', default=60),
            keep_stopped=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    backend = DebPackagesBackend(
        module.params,
        run=lambda argv: module.run_command(argv, environ_update=ENVIRONMENT),
        dpkg_query=module.get_bin_path('dpkg-query', required=True),
        apt_get=module.get_bin_path('apt-get', required=True),
        systemctl=module.get_bin_path('systemctl') or 'systemctl',
        check_mode=module.check_mode)
    try:
        result = backend.run()
    except MailauthError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
