# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: spf_conflicts
version_added: 0.3.0
short_description: SPF policies another host of the inventory describes differently
description:
  - Compares this host's SPF policies with the C(opendkim_domains) of the other hosts, also those outside the play
    or the batch. A domain has one SPF record; two descriptions would replace each other.
positional: _input, hostvars, hosts, this_host
options:
  _input:
    description: Policies from P(mailauth.dkim.domain_policies#filter).
    type: list
    elements: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts to compare with, for example C(groups.all).
    type: list
    elements: str
    required: true
  this_host:
    description: The current host (C(inventory_hostname)), left out of the comparison.
    type: str
    required: true
'''

EXAMPLES = r'''
conflicts: "{{ __opendkim_policies | mailauth.dkim.spf_conflicts(hostvars, groups['all'], inventory_hostname) }}"
# => ['example.com on mail2: {"mx": true}']
'''

RETURN = r'''
_value:
  description: 'Sorted lines C(<domain> on <host>: <spf as JSON>); empty when every host agrees.'
  type: list
  elements: str
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.spf_conflicts (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'spf_conflicts': FILTERS['spf_conflicts']}
