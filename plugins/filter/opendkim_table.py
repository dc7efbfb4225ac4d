# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: opendkim_table
version_added: 0.4.0
short_description: The entries of an OpenDKIM KeyTable or SigningTable
description:
  - 'C(KeyTable): one line per key, C(<selector>._domainkey.<domain> <domain>:<selector>:<private key file>).'
  - 'C(SigningTable): one line per key, C(*@<domain> <selector>._domainkey.<domain>), and with O(sign_subdomains)
    a second one for C(*@*.<domain>). Every matching line adds a signature.'
  - Every line ends with a newline; no keys give an empty text. One pass in Python, where a template loop over
    hundreds of keys costs most of a second per run.
positional: _input, table, sign_subdomains
options:
  _input:
    description: The signing keys of one OpenDKIM instance (C(domain), C(selector), C(path)).
    type: list
    elements: dict
    required: true
  table:
    description: Which table.
    type: str
    choices: [KeyTable, SigningTable]
    required: true
  sign_subdomains:
    description: Also sign mail from the subdomains of each domain (SigningTable only).
    type: bool
    default: false
'''

EXAMPLES = r'''
# templates/etc/opendkim/KeyTable.j2
content: "{{ item.instance.signing_keys | mailauth.dkim.opendkim_table('KeyTable') }}"
'''

RETURN = r'''
_value:
  description: The lines of the table.
  type: str
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.opendkim_table (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'opendkim_table': FILTERS['opendkim_table']}
