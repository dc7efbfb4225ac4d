# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: signing_keys
version_added: 0.3.0
short_description: The role's key list, checked and normalised
description:
  - 'Checks O(_input) (the role variable C(opendkim_domains)) against the role''s argument spec, filling in its
    defaults, then with the functions the modules use: domain and selector syntax and lengths, key type and size,
    a selector listed twice for a domain, an SPF or DMARC policy given differently on two items of a domain, and
    every SPF and DMARC policy exactly as M(mailauth.dkim.dns_records) renders it.'
  - Fails naming the item and the bad value. Items that use the old name C(name) instead of C(domain) work and cause
    one deprecation warning.
positional: _input, key_dir, fleet_keys, host_label
options:
  _input:
    description: The items of C(opendkim_domains).
    type: list
    elements: dict
    required: true
  key_dir:
    description: Directory of the private key files.
    type: path
    required: true
  fleet_keys:
    description:
      - The fleet mode of items that do not set C(fleet_keys) (the role variable C(opendkim_fleet_keys)).
      - V(per_host) keys get the selector C(<selector>-<host_label>).
    type: str
    choices: [single, per_host, shared]
    default: single
    version_added: 0.4.0
  host_label:
    description: The host's part of V(per_host) selectors.
    type: str
    version_added: 0.4.0
'''

EXAMPLES = r'''
__opendkim_keys: "{{ opendkim_domains | mailauth.dkim.signing_keys(opendkim_key_dir) }}"
# => [{domain: example.com, selector: mail, key_type: rsa, key_size: 2048, testing: false, spf: null,
#      dmarc: null, fqdn: mail._domainkey.example.com, path: /etc/dkimkeys/example.com.mail.private}]
'''

RETURN = r'''
_value:
  description: One dict per key with C(domain), C(selector) (lower case), C(key_type), C(key_size) (null for Ed25519),
    C(testing), C(spf), C(dmarc), C(fqdn), C(path) and C(fleet).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.signing_keys (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'signing_keys': FILTERS['signing_keys']}
