# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: postfix_milter_settings
version_added: 0.3.0
short_description: Postfix's milter settings with ours added
description:
  - C(smtpd_milters) and C(non_smtpd_milters) keep every milter already there (other milters, C({name, attr=value})
    groups) in place and spelling; ours are appended once; those in O(stale) are taken out. A list that already
    holds ours is returned exactly as written.
positional: _input, milters, stale, default_action, protocol
options:
  _input:
    description: 'The current settings: C(smtpd_milters) and C(non_smtpd_milters).'
    type: dict
    required: true
  milters:
    description: Our milter addresses.
    type: list
    elements: str
    required: true
  stale:
    description: Milter addresses to take out (an instance that is no longer wanted).
    type: list
    elements: str
    required: true
  default_action:
    description: C(milter_default_action).
    type: str
    required: true
  protocol:
    description: C(milter_protocol).
    type: int
    required: true
'''

EXAMPLES = r'''
current:
  smtpd_milters: inet:localhost:8893
  non_smtpd_milters: ""
desired: "{{ current | mailauth.dkim.postfix_milter_settings(['inet:localhost:8891'], [], 'accept', 6) }}"
# => {smtpd_milters: 'inet:localhost:8893, inet:localhost:8891',
#     non_smtpd_milters: 'inet:localhost:8891', milter_default_action: accept, milter_protocol: '6'}
'''

RETURN = r'''
_value:
  description: C(smtpd_milters), C(non_smtpd_milters), C(milter_default_action) and C(milter_protocol) (a string).
  type: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.postfix_milter_settings (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'postfix_milter_settings': FILTERS['postfix_milter_settings']}
