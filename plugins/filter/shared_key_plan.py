# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: shared_key_plan
version_added: 0.4.0
short_description: Which host makes or hands out each shared key
description:
  - From the check-mode results of M(mailauth.dkim.dkim_key) for the V(shared) keys of every host of the play,
    decides for each shared key of this host whether it V(keep)s it, V(make)s it (no host has it; the first host of
    the play that signs it makes it) or V(copy)s it from the host that has it.
  - Fails when two hosts hold different keys under one name, naming both hosts and fingerprints, and when no host of
    the run holds a shared key while another host of the inventory that signs it was not checked in this run
    (outside C(--limit)), since it may hold the key and a new one would replace its record.
positional: _input, hostvars, this_host, keys, probe
options:
  _input:
    description: The hosts of the play in order, all batches (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  this_host:
    description: The current host (C(inventory_hostname)).
    type: str
    required: true
  keys:
    description: This host's keys from P(mailauth.dkim.fleet_keys#filter) (their C(signers)).
    type: list
    elements: dict
    required: true
  probe:
    description: The name of the registered check-mode M(mailauth.dkim.dkim_key) result on each host.
    type: str
    default: __opendkim_shared_probe
'''

EXAMPLES = r'''
__opendkim_shared_plan: >-
  {{ ansible_play_hosts_all | mailauth.dkim.shared_key_plan(hostvars, inventory_hostname, __opendkim_keys) }}
# => [{fqdn: mail._domainkey.example.com, path: /etc/dkimkeys/example.com.mail.private, source: mx1,
#      source_path: /etc/dkimkeys/example.com.mail.private, action: copy}]
'''

RETURN = r'''
_value:
  description: One dict per shared key of this host with C(fqdn), C(path), C(source), C(source_path) and C(action).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.shared_key_plan (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'shared_key_plan': FILTERS['shared_key_plan']}
