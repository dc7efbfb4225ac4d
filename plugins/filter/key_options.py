# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: key_options
version_added: 0.3.0
short_description: The keys option of mailauth.dkim.dkim_key
description:
  - Turns the keys of P(mailauth.dkim.signing_keys#filter) into the items of the O(mailauth.dkim.dkim_key#module:keys)
    option.
options:
  _input:
    description: Keys from P(mailauth.dkim.signing_keys#filter).
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
keys: "{{ __opendkim_keys | mailauth.dkim.key_options }}"
'''

RETURN = r'''
_value:
  description: Items with C(path), C(domain), C(selector), C(key_type), C(testing) and, for RSA, C(key_size).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.key_options (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'key_options': FILTERS['key_options']}
