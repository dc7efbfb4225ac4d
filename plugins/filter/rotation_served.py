# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: rotation_served
version_added: 0.4.0
short_description: Which waiting rotation generations DNS serves
description:
  - A generation counts as served when every one of its keys exists and the record of each is served, exactly,
    by every name server asked (M(mailauth.dkim.dns_check) status V(published)).
positional: _input, waiting, key_probe, dns_check
options:
  _input:
    description: The requests from P(mailauth.dkim.rotation_requests#filter).
    type: list
    elements: dict
    required: true
  waiting:
    description: The keys from P(mailauth.dkim.rotation_waiting_keys#filter).
    type: list
    elements: dict
    required: true
  key_probe:
    description: The result of M(mailauth.dkim.dkim_key) in check mode for those keys (its C(key_results)).
    type: dict
    required: true
  dns_check:
    description:
      - The result of M(mailauth.dkim.dns_check) for their records (its C(records)), or a registered loop of it
        (one per domain).
    type: raw
    required: true
'''

EXAMPLES = r'''
served: "{{ requests | mailauth.dkim.rotation_served(waiting, key_probe, dns_state) }}"
# => {example.com: ['202607']}
'''

RETURN = r'''
_value:
  description: Per rotating domain, the names of its served generations.
  type: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.rotation_served (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'rotation_served': FILTERS['rotation_served']}
