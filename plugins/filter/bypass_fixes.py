# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: bypass_fixes
version_added: 0.3.0
short_description: postconf arguments that repair the findings of milter_bypasses
description:
  - Splits the fixes of P(mailauth.dkim.milter_bypasses#filter) findings into C(main) (C(name=value) for C(postconf
    -e)) and C(master) (C(service/type/name=value) for C(postconf -P)).
options:
  _input:
    description: Findings of P(mailauth.dkim.milter_bypasses#filter).
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
argv: "{{ ['postconf', '-P'] + (bypasses | mailauth.dkim.bypass_fixes).master }}"
'''

RETURN = r'''
_value:
  description: C(main) and C(master), two lists of arguments.
  type: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.bypass_fixes (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'bypass_fixes': FILTERS['bypass_fixes']}
