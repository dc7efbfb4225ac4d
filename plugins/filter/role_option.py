# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: role_option
version_added: 0.3.0
short_description: A role variable with the defaults of the role's argument spec
description:
  - Checks a variable of the C(mailauth.dkim.opendkim) role against its C(meta/argument_specs.yml) entry and fills
    in the defaults written there (also those of suboptions), so that tasks never repeat a default.
positional: _input, name
options:
  _input:
    description: The value of the variable.
    type: raw
    required: true
  name:
    description: The name of the role variable.
    type: str
    required: true
'''

EXAMPLES = r'''
update: "{{ opendkim_dns_update | mailauth.dkim.role_option('opendkim_dns_update') }}"
# => port 53, tsig_algorithm hmac-sha256, check true, ... where the user gave nothing
'''

RETURN = r'''
_value:
  description: The value with its defaults.
  type: raw
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.role_option (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'role_option': FILTERS['role_option']}
