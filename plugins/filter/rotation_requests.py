# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: rotation_requests
version_added: 0.4.0
short_description: Which domains rotate their keys, checked
description:
  - From the role's keys (P(mailauth.dkim.signing_keys#filter)) and C(opendkim_rotation) (an item's C(rotation)
    overrides it), one request per rotating domain with its selector prefixes (one per key type), schedule,
    emergency, archive, name servers and the keys that signed before the rotation (adopted when their files exist).
  - Fails naming the value for an unknown setting, a period outside 1-12 months, a moment that is not ISO 8601,
    two items of a domain that disagree, two keys of one type in a rotating domain, or a prefix too long for a
    selector.
positional: _input, default, now, dns_update
options:
  _input:
    description: The role's keys.
    type: list
    elements: dict
    required: true
  default:
    description: C(opendkim_rotation).
    type: raw
    required: true
  now:
    description: C(opendkim_rotation_now), checked when given.
    type: str
  dns_update:
    description: C(opendkim_dns_update); its C(server) is the default name server.
    type: dict
'''

EXAMPLES = r'''
__opendkim_rotation_requests: >-
  {{ __opendkim_keys | mailauth.dkim.rotation_requests(opendkim_rotation, opendkim_rotation_now, opendkim_dns_update) }}
'''

RETURN = r'''
_value:
  description: One dict per rotating domain with C(domain), C(prefixes), C(schedule), C(emergency), C(archive),
    C(nameservers), C(adopt) and C(templates) (the key of each type).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.rotation_requests (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'rotation_requests': FILTERS['rotation_requests']}
