# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: dns_publication
version_added: 0.3.0
short_description: The DNS records of every host of the play, for publication
description:
  - Collects each host's C(opendkim_dns_records) once, adds the PTR records of its C(opendkim_dns_update.ptr) (each
    with its own C(ttl), else O(ttl)), and lists per domain the sending addresses of the hosts that sign for it
    (C(opendkim_dns_update.sending_ips), else the addresses of its PTR records), for the readiness check of M(mailauth.dkim.dns_check).
positional: _input, hostvars, ttl
options:
  _input:
    description: The hosts, for example C(ansible_play_hosts).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  ttl:
    description: TTL of PTR records that do not give one.
    type: int
    required: true
'''

EXAMPLES = r'''
publication: "{{ ansible_play_hosts | mailauth.dkim.dns_publication(hostvars, 3600) }}"
'''

RETURN = r'''
_value:
  description: C(records) (the list for M(mailauth.dkim.dns_publish)), C(sending_ips_by_domain) and C(removals) (the
    records of rotated-out key selectors to remove, from each host's C(opendkim_dns_removals), none at a name that a
    host still publishes) and C(rotation) (every host's C(opendkim_rotation_report) items, for the readiness report).
  type: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.dns_publication (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'dns_publication': FILTERS['dns_publication']}
