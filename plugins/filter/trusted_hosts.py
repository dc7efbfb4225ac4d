# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: trusted_hosts
version_added: 0.3.0
short_description: Check the TrustedHosts entries
description:
  - 'Each entry is one host, address or network: not empty, no white space, comma or C(#) (the file has one entry
    per line).'
  - Networks wider than a /16 (IPv4) or a /48 (IPv6) are refused unless O(allow_wide) is true.
positional: _input, allow_wide
options:
  _input:
    description: The entries, C(opendkim_trusted_hosts).
    type: list
    elements: str
    required: true
  allow_wide:
    description: Accept networks wider than a /16 (IPv4) or /48 (IPv6).
    type: bool
    default: false
'''

EXAMPLES = r'''
hosts: "{{ opendkim_trusted_hosts | mailauth.dkim.trusted_hosts(opendkim_trusted_hosts_allow_wide) }}"
'''

RETURN = r'''
_value:
  description: The entries, unchanged.
  type: list
  elements: str
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.trusted_hosts (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'trusted_hosts': FILTERS['trusted_hosts']}
