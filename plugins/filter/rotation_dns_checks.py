# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: rotation_dns_checks
version_added: 0.4.0
short_description: The DNS checks of waiting rotation generations, one per set of name servers
description:
  - Groups the records of the waiting keys by the name servers (and port) their domain's rotation asks, so that
    M(mailauth.dkim.dns_check) runs once per set of servers instead of once per domain. A key that does not exist
    yet has no record and is left out (its generation is then not served).
positional: _input, key_probe
options:
  _input:
    description: The requests from P(mailauth.dkim.rotation_requests#filter).
    type: list
    elements: dict
    required: true
  key_probe:
    description: The result of M(mailauth.dkim.dkim_key) in check mode for the waiting keys (its C(key_results)).
    type: dict
    required: true
'''

EXAMPLES = r'''
checks: "{{ requests | mailauth.dkim.rotation_dns_checks(key_probe) }}"
# => [{nameservers: [192.0.2.53], port: 53, records: [...]}]
'''

RETURN = r'''
_value:
  description: One item per set of name servers, with C(nameservers), C(port) and C(records).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.rotation_dns_checks (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'rotation_dns_checks': FILTERS['rotation_dns_checks']}
