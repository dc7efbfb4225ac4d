# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: postconf_changes
version_added: 0.3.0
short_description: postconf -e arguments for the settings that differ
description:
  - The C(name=value) arguments that change the current settings into the desired ones, and nothing else.
positional: _input, current
options:
  _input:
    description: The desired settings.
    type: dict
    required: true
  current:
    description: The current settings.
    type: dict
    required: true
'''

EXAMPLES = r'''
argv: "{{ ['postconf', '-e'] + desired | mailauth.dkim.postconf_changes(current) }}"
'''

RETURN = r'''
_value:
  description: C(name=value) strings, empty when nothing differs.
  type: list
  elements: str
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.postconf_changes (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'postconf_changes': FILTERS['postconf_changes']}
