# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: signing_instances
version_added: 0.4.0
short_description: The OpenDKIM instances with the keys each one signs with
description:
  - Sets each instance's C(signing_keys) to the keys of its algorithm (RSA or Ed25519) whose C(signing) is true.
    A key rotation keeps some keys for verification only (published, or retiring); they stay out of KeyTable and
    SigningTable.
positional: _input, keys
options:
  _input:
    description: The instances (from P(mailauth.dkim.opendkim_instances#filter)).
    type: list
    elements: dict
    required: true
  keys:
    description: The role's keys (from P(mailauth.dkim.rotated_keys#filter) or P(mailauth.dkim.signing_keys#filter)).
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
__opendkim_instances: "{{ __opendkim_instances | mailauth.dkim.signing_instances(__opendkim_keys) }}"
'''

RETURN = r'''
_value:
  description: The instances, each with its C(signing_keys).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.signing_instances (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'signing_instances': FILTERS['signing_instances']}
