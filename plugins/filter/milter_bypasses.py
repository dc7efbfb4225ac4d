# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: milter_bypasses
version_added: 0.3.0
short_description: Postfix services that take in mail around the milter
description:
  - 'Reads C(postconf -M) (O(_input)) and C(postconf -Px) (O(overrides)) and finds where user mail would not reach
    our milters: an C(smtpd) service not bound to the loopback address (a content filter''s re-injection port is)
    or C(pickup) whose C(-o smtpd_milters)/C(non_smtpd_milters) lacks them, a C(receive_override_options) with C(no_milters)
    there, and a C(milter_mail_macros) (main.cf or such a service) without C({auth_type}).'
positional: _input, overrides, mail_macros, milters
options:
  _input:
    description: The lines of C(postconf -M).
    type: list
    elements: str
    required: true
  overrides:
    description: The lines of C(postconf -Px) (C(name/type/parameter = value)).
    type: list
    elements: str
    required: true
  mail_macros:
    description: main.cf's C(milter_mail_macros) (C(postconf -x -h milter_mail_macros)).
    type: str
    required: true
  milters:
    description: Our milter addresses.
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
bypasses: "{{ services | mailauth.dkim.milter_bypasses(overrides, macros, ['inet:localhost:8891']) }}"
# => [{service: 'master.cf service submission/inet', setting: smtpd_milters, value: 'inet:localhost:11332',
#      fix: 'inet:localhost:11332, inet:localhost:8891', message: '...'}]
'''

RETURN = r'''
_value:
  description: One dict per finding with C(service), C(setting), C(value), C(message) and C(fix) (the value that
    repairs it).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.milter_bypasses (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'milter_bypasses': FILTERS['milter_bypasses']}
