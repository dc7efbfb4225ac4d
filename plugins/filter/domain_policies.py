# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: domain_policies
version_added: 0.3.0
short_description: One dns_records domain item per signing domain
description:
  - 'Groups keys per domain, in order, shaped like the O(mailauth.dkim.dns_records#module:domains) option: the domain,
    its C(spf) and C(dmarc) when an item gives them and, with O(key_results), the records of its keys as C(dkim).'
positional: _input, key_results, revoked
options:
  _input:
    description: Keys from P(mailauth.dkim.signing_keys#filter).
    type: list
    elements: dict
    required: true
  key_results:
    description: The C(key_results) returned by M(mailauth.dkim.dkim_key); C(dkim) is left out when not given.
    type: list
    elements: dict
  revoked:
    description:
      - Keys revoked by a key rotation (P(mailauth.dkim.rotated_keys#filter)); each adds a revoked DKIM record
        (C(v=DKIM1; p=)) to C(dkim), after the records of O(key_results).
    type: list
    elements: dict
    version_added: 0.4.0
'''

EXAMPLES = r'''
domains: "{{ __opendkim_keys | mailauth.dkim.domain_policies(__opendkim_key_result.key_results) }}"
'''

RETURN = r'''
_value:
  description: One dict per domain with C(domain) and, when known, C(spf), C(dmarc) and C(dkim).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.domain_policies (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'domain_policies': FILTERS['domain_policies']}
