# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: opendkim_files
version_added: 0.3.0
short_description: The OpenDKIM files of one configuration change, in writing order
description:
  - 'TrustedHosts, then the KeyTable and SigningTable of every instance, then every instance''s configuration file
    (C(validate) true: the file C(opendkim -n -x) checks, with every table of the change in place).'
positional: _input, trusted_hosts_file, new_install
options:
  _input:
    description: Instances from P(mailauth.dkim.opendkim_instances#filter).
    type: list
    elements: dict
    required: true
  trusted_hosts_file:
    description: Path of the TrustedHosts file.
    type: path
    required: true
  new_install:
    description:
      - OpenDKIM was installed by this run and has not run yet. No configuration then asks for its previous text
        (C(write.return_previous)), as no service read the package's file.
    type: bool
    default: false
'''

EXAMPLES = r'''
loop: "{{ __opendkim_instances | mailauth.dkim.opendkim_files('/etc/opendkim/TrustedHosts') }}"
# Each file's options for mailauth.dkim.config_files after a new installation (the role adds each file's content).
options: "{{ __opendkim_instances | mailauth.dkim.opendkim_files('/etc/opendkim/TrustedHosts', true) | map(attribute='write') }}"
'''

RETURN = r'''
_value:
  description:
    - Dicts with C(src) (template), C(dest), C(validate) and C(instance), and C(write), the file's item of the
      C(files) option of M(mailauth.dkim.config_files) without its C(content) (C(path), C(owner) root, C(group)
      root, C(mode) 0644, and C(return_previous) for a configuration, unless O(new_install)).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.opendkim_files (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'opendkim_files': FILTERS['opendkim_files']}
