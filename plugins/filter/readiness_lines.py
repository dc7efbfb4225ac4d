# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: readiness_lines
version_added: 0.3.0
short_description: The readiness report of dns_check as console lines
description:
  - One line per record (status, name, type), then per domain READY or NOT READY and its checks.
options:
  _input:
    description: The result of M(mailauth.dkim.dns_check).
    type: dict
    required: true
'''

EXAMPLES = r'''
msg: "{{ __opendkim_dns_check | mailauth.dkim.readiness_lines }}"
'''

RETURN = r'''
_value:
  description: The lines.
  type: list
  elements: str
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.readiness_lines (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'readiness_lines': FILTERS['readiness_lines']}
