# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: rotation_waiting_keys
version_added: 0.4.0
short_description: The keys of the rotation generations that wait for their records
description:
  - The keys of every generation published in an earlier run (RV(mailauth.dkim.dkim_rotation#module:waiting)), so
    that their records can be checked in DNS before the rotation advances.
positional: _input, probe
options:
  _input:
    description: The requests from P(mailauth.dkim.rotation_requests#filter).
    type: list
    elements: dict
    required: true
  probe:
    description: The registered loop of M(mailauth.dkim.dkim_rotation) over the requests (in check mode).
    type: raw
    required: true
'''

EXAMPLES = r'''
__opendkim_rotation_waiting: "{{ __opendkim_rotation_requests | mailauth.dkim.rotation_waiting_keys(__opendkim_rotation_probe) }}"
'''

RETURN = r'''
_value:
  description: Keys shaped like those of P(mailauth.dkim.signing_keys#filter), with C(generation).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.rotation_waiting_keys (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'rotation_waiting_keys': FILTERS['rotation_waiting_keys']}
