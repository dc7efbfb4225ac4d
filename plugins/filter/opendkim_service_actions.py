# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: opendkim_service_actions
version_added: 0.3.0
short_description: Reload or restart each OpenDKIM service after a change
description:
  - 'For each OpenDKIM instance: C(restart) when its systemd unit changed, on its first start (no configuration
    file before the run) or when a setting that OpenDKIM reads only at start changed (C(Socket), C(UserID),
    C(PidFile), C(UMask), C(Background), C(ChangeRootDirectory), C(AutoRestart*), C(MilterDebug), C(QueryCache),
    C(POPDBFile), C(StrictTestMode), C(TestPublicKeys)); C(reload) (SIGUSR1: the configuration, KeyTable,
    SigningTable and TrustedHosts are read again, no connection is dropped) when only its configuration, tables
    or TrustedHosts changed otherwise; C(none) when none of its files changed, or when the run started the service
    after writing them (O(started)), so that it already runs with them.'
positional: _input, trusted_hosts_file, before, after, written, units, started
options:
  _input:
    description: Instances from P(mailauth.dkim.opendkim_instances#filter).
    type: list
    elements: dict
    required: true
  trusted_hosts_file:
    description: Path of the TrustedHosts file (read by every instance).
    type: path
    required: true
  before:
    description:
      - The configuration files before the run wrote them. Either the registered result of
        M(mailauth.dkim.config_files) with O(mailauth.dkim.config_files#module:files[].return_previous) set for the
        configuration files (C(previous); null means there was no file), or a registered C(ansible.builtin.slurp)
        loop over the instances (C(item.config_file); a failed item means there was no file).
      - A configuration file not found there counts as its service's first start.
    type: dict
    required: true
  after:
    description: The files as the role rendered and wrote them with M(mailauth.dkim.config_files) (dicts with
      C(path) and C(content)); an instance whose configuration file is not among them is restarted.
    type: list
    elements: dict
    required: true
  written:
    description: The registered result of M(mailauth.dkim.config_files), which wrote the files (C(files)).
    type: dict
    required: true
  units:
    description: What wrote the systemd units. Either the registered result of M(mailauth.dkim.config_files) (a
      service's unit changed when the instance's C(unit_dest) is among its changed files), or a registered loop over
      the instances (C(item.service), C(changed)).
    type: dict
    required: true
  started:
    description:
      - The registered C(ansible.builtin.systemd_service) loop (C(state=started), C(item.service)) that ran after
        every file was written. An item that changed while its unit was neither active nor activating before it
        (C(status.ActiveState)) was started by it and needs neither a reload nor a restart.
      - Left out, every service is judged by its files and unit alone.
    type: dict
    version_added: 0.4.0
'''

EXAMPLES = r'''
actions: "{{ instances | mailauth.dkim.opendkim_service_actions('/etc/opendkim/TrustedHosts', before, after, written, units) }}"
# => [{service: opendkim, action: reload, reason: 'changed: /etc/opendkim/KeyTable, /etc/opendkim/SigningTable'},
#     {service: opendkim-ed25519, action: none, reason: none of its files changed}]
'''

RETURN = r'''
_value:
  description: One dict per instance with C(service), C(action) (C(restart), C(reload) or C(none)) and C(reason).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.opendkim_service_actions (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'opendkim_service_actions': FILTERS['opendkim_service_actions']}
