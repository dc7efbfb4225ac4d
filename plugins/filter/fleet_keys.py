# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: fleet_keys
version_added: 0.4.0
short_description: This host's keys checked against every mail server of the inventory, with one SPF per domain
description:
  - Reads the C(opendkim_domains) of every other host (also those outside the play or the batch), with their
    C(opendkim_fleet_keys), C(opendkim_fleet_host_label) and sending addresses.
  - Fails when a DNS name would hold different keys on two hosts (unless both are V(shared) with the same type and
    size), naming both hosts and their choices.
  - Gives each key the domain's one SPF policy - the C(ip4), C(ip6) and C(include) lists of every host that signs
    the domain joined, with each of those hosts' sending addresses - and fails, naming both hosts, when they give
    another option (C(all), C(a), C(mx)) differently.
positional: _input, hostvars, hosts, this_host, sending_ips, dns_update
options:
  _input:
    description: This host's keys, from P(mailauth.dkim.signing_keys#filter).
    type: list
    elements: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts to compare with, for example C(groups.all).
    type: list
    elements: str
    required: true
  this_host:
    description: The current host (C(inventory_hostname)).
    type: str
    required: true
  sending_ips:
    description: This host's C(opendkim_sending_ips).
    type: list
    elements: str
  dns_update:
    description: This host's C(opendkim_dns_update) (its C(sending_ips), else its C(ptr) addresses, when O(sending_ips) is empty).
    type: dict
'''

EXAMPLES = r'''
__opendkim_keys: >-
  {{ __opendkim_keys | mailauth.dkim.fleet_keys(hostvars, groups['all'], inventory_hostname,
     opendkim_sending_ips, opendkim_dns_update) }}
'''

RETURN = r'''
_value:
  description:
    - The keys of O(_input); each C(spf) is the merged policy of its domain, or null when no host gives one.
    - V(shared) keys also get C(signers), every host of the inventory that signs them, this one first.
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.fleet_keys (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'fleet_keys': FILTERS['fleet_keys']}
