# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: rotation_items
version_added: 0.4.0
short_description: The domains option of dkim_rotation for the role's rotating domains
description:
  - One item per rotating domain (C(domain), C(prefixes), C(schedule), C(adopt), C(emergency) when set, and
    C(served) when O(served) is given), so that M(mailauth.dkim.dkim_rotation) advances every domain in one task.
positional: _input, served
options:
  _input:
    description: The requests from P(mailauth.dkim.rotation_requests#filter).
    type: list
    elements: dict
    required: true
  served:
    description: Per domain, the names of its served generations (from P(mailauth.dkim.rotation_served#filter)).
    type: dict
'''

EXAMPLES = r'''
domains: "{{ requests | mailauth.dkim.rotation_items(served) }}"
# => [{domain: example.com, prefixes: {rsa: mail}, schedule: {...}, adopt: [...], served: ['202607']}]
'''

RETURN = r'''
_value:
  description: The items for the C(domains) option of M(mailauth.dkim.dkim_rotation).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.rotation_items (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'rotation_items': FILTERS['rotation_items']}
