# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: rotated_keys
version_added: 0.4.0
short_description: The role's keys after the rotation advanced
description:
  - Replaces the items of each rotating domain by one key per selector whose private key must exist (C(signing)
    only for the active generation), and lists the revoked keys, the records to remove and a report per domain.
positional: _input, requests, advanced, ttl
options:
  _input:
    description: The role's keys.
    type: list
    elements: dict
    required: true
  requests:
    description: The requests from P(mailauth.dkim.rotation_requests#filter).
    type: list
    elements: dict
    required: true
  advanced:
    description: The registered loop of M(mailauth.dkim.dkim_rotation) over the requests.
    type: raw
    required: true
  ttl:
    description: TTL of the records to remove.
    type: int
    default: 3600
'''

EXAMPLES = r'''
__opendkim_rotation: "{{ __opendkim_keys | mailauth.dkim.rotated_keys(requests, advanced, opendkim_dns_ttl) }}"
'''

RETURN = r'''
_value:
  description: C(keys), C(revoked) (keys), C(removed) (records), C(report) (per domain) and C(lines) (the report
    as text).
  type: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.rotated_keys (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'rotated_keys': FILTERS['rotated_keys']}
