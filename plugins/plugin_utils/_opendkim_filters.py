# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE plugin_utils of mailauth.dkim: the code of the filters that shape the data of the opendkim role.

This file is not part of the collection's public API. Other collections must not import it.

Thin wrappers over plugins/module_utils/_opendkim_role.py: they hand Jinja's values to its pure functions, turn
their RoleInputError into AnsibleFilterError and report deprecated variable names once. Each filter is a file
plugins/filter/<name>.py with its documentation (ansible-doc -t filter mailauth.dkim.<name>) that exposes the
function of the same name in FILTERS.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import functools
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.yaml import yaml_load
from ansible.utils.display import Display

from ansible_collections.mailauth.dkim.plugins.module_utils import _opendkim_fleet as fleet
from ansible_collections.mailauth.dkim.plugins.module_utils import _opendkim_role as role
from ansible_collections.mailauth.dkim.plugins.module_utils import _opendkim_rotation as rotation

display = Display()


@functools.lru_cache(maxsize=1)
def _role_options():
    """The options of the role's meta/argument_specs.yml: the one home of its types and defaults."""
    with open(role.spec_path(__file__)) as handle:
        return yaml_load(handle)['argument_specs']['main']['options']


def _reported(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except role.RoleInputError as exc:
            raise AnsibleFilterError(str(exc))
    return wrapper


def _deprecate(messages):
    if messages:
        renamed = ', '.join('%s (now %s)' % item for item in sorted(role.RENAMED_KEY_OPTIONS.items()))
        display.deprecated('opendkim_domains: %d item(s) use the old item name(s) %s, the names of the modules. '
                           'First: %s' % (len(messages), renamed, messages[0]),
                           version='1.0.0', collection_name='mailauth.dkim')


@_reported
def signing_keys(domains, key_dir, fleet_keys='single', host_label=None):
    keys, deprecations = role.signing_keys(domains, key_dir, _role_options()['opendkim_domains'], fleet_keys,
                                           host_label)
    _deprecate(deprecations)
    return keys


def _sending_ips(own, update):
    """opendkim_sending_ips, else opendkim_dns_update.sending_ips, else the addresses of its ptr items."""
    if own:
        return list(own)
    update = update if isinstance(update, dict) else {}
    if update.get('sending_ips'):
        return list(update['sending_ips'])
    return [item.get('ip') for item in update.get('ptr') or [] if isinstance(item, dict)]


def _peer_value(variables, name):
    """A variable of another host, None when it is not set there or cannot be templated in its context."""
    try:
        return variables.get(name)
    except Exception:  # pylint: disable=broad-except
        return None


@_reported
def fleet_keys(keys, hostvars, hosts, this_host, sending_ips=None, dns_update=None):
    options = _role_options()
    item_defaults = dict((name, options['opendkim_domains']['options'][name].get('default'))
                         for name in ('selector', 'key_type', 'key_size'))
    peers = {}
    for host in hosts:
        if host == this_host:
            continue
        variables = hostvars[host]
        items = _peer_value(variables, 'opendkim_domains')
        if not items:
            continue
        mode = _peer_value(variables, 'opendkim_fleet_keys') or options['opendkim_fleet_keys']['default']
        label = _peer_value(variables, 'opendkim_fleet_host_label') or str(host).split('.', maxsplit=1)[0]
        peers[host] = {'keys': fleet.peer_keys(items, mode, label, item_defaults),
                       'sending_ips': _sending_ips(_peer_value(variables, 'opendkim_sending_ips'),
                                                   _peer_value(variables, 'opendkim_dns_update'))}
    return fleet.fleet_keys(keys, this_host, _sending_ips(sending_ips, dns_update), peers)


@_reported
def shared_key_plan(hosts, hostvars, this_host, keys, probe='__opendkim_shared_probe'):
    signers = dict((key['fqdn'], key.get('signers') or [this_host]) for key in keys if key.get('fleet') == 'shared')
    holdings = {}
    for host in hosts:
        result = hostvars[host].get(probe) or {}
        held = {}
        for item in result.get('key_results') or []:
            fqdn = '%s._domainkey.%s' % (item['selector'], item['domain'])
            held[fqdn] = {'path': item['path'], 'fingerprint': item.get('fingerprint')}
        if held:
            holdings[host] = held
    return fleet.shared_key_plan(this_host, list(hosts), holdings, signers)


@_reported
def role_option(value, name):
    options = _role_options()
    if name not in options:
        raise AnsibleFilterError('role_option: the role has no variable %r' % (name,))
    if name == 'opendkim_dns_update':
        return role.dns_update(value, options[name])
    return role.apply_spec(name, value, options[name])[0]


@_reported
def spf_conflicts(policies, hostvars, hosts, this_host):
    others = dict((host, hostvars[host].get('opendkim_domains')) for host in hosts if host != this_host)
    return role.spf_conflicts(policies, others)


@_reported
def dns_publication(hosts, hostvars, ttl):
    data = dict((host, {'records': hostvars[host].get('opendkim_dns_records'),
                        'removals': hostvars[host].get('opendkim_dns_removals'),
                        'rotation': hostvars[host].get('opendkim_rotation_report'),
                        'update': hostvars[host].get('opendkim_dns_update')}) for host in hosts)
    return role.publication(data, ttl)


def _slurped(registered):
    """{configuration file: text or None} from a registered slurp loop over the instances (None: not readable), or
    from the result of mailauth.dkim.config_files (the ``previous`` texts it returned)."""
    if 'files' in (registered or {}):
        return dict((entry['path'], entry['previous']) for entry in registered['files'] if 'previous' in entry)
    texts = {}
    for result in (registered or {}).get('results', []):
        content = None if result.get('failed') or result.get('skipped') else result.get('content')
        texts[result['item']['config_file']] = base64.b64decode(content).decode('utf-8', 'replace') if content else None
    return texts


def _rendered(files):
    """{configuration file: text} from the files the role rendered and wrote (``path``, ``content``)."""
    return dict((entry['path'], entry['content']) for entry in files or [])


def _written_paths(written):
    """The paths mailauth.dkim.config_files changed (its registered result; none when it did not run)."""
    return [entry['path'] for entry in (written or {}).get('files', []) if entry.get('changed')]


def _changed_items(registered, key):
    return [result['item'][key] for result in (registered or {}).get('results', []) if result.get('changed')]


def _service(item):
    return item['service'] if isinstance(item, Mapping) else item


def _started_services(registered):
    """The services a registered loop of ansible.builtin.systemd_service (state=started) started: its ``status`` is
    the unit's state before the task, so a changed item whose unit was not active or activating was started. The
    loop's items are the service names (or instances, with their ``service``)."""
    return [_service(result['item']) for result in (registered or {}).get('results', [])
            if result.get('changed') and not result.get('failed')
            and (result.get('status') or {}).get('ActiveState') not in (None, 'active', 'activating')]


def _changed_units(instances, units):
    """The services whose unit changed: from a registered template loop over the instances (item.service), or from
    the result of mailauth.dkim.config_files (the instances whose ``unit_dest`` it changed)."""
    if 'files' in (units or {}):
        changed = set(_written_paths(units))
        return [inst['service'] for inst in instances if inst.get('unit_dest') in changed]
    return _changed_items(units, 'service')


@_reported
def opendkim_service_actions(instances, trusted_hosts_file, before, after, written, units, started=None):
    return role.service_actions(instances, trusted_hosts_file, _slurped(before), _rendered(after),
                                _written_paths(written), _changed_units(instances, units), _started_services(started))


def _registered(value):
    """The results of a registered loop, of dkim_rotation with ``domains`` (or a list of results); a skipped task
    gives none."""
    if isinstance(value, dict):
        return value.get('results') or value.get('domains') or []
    return value or []


@_reported
def rotation_requests(keys, default, now=None, dns_update=None):
    update = dns_update if isinstance(dns_update, dict) else {}
    return rotation.rotation_requests(keys, default, now, update.get('server'), update.get('port') or 53)


@_reported
def rotation_items(requests, served=None):
    return rotation.rotation_items(requests, served)


@_reported
def rotation_dns_checks(requests, key_probe):
    return rotation.dns_checks(requests, (key_probe or {}).get('key_results') or [])


@_reported
def rotation_waiting_keys(requests, probe):
    return rotation.waiting_keys(requests, _registered(probe))


@_reported
def rotation_served(requests, waiting, key_probe, dns_check):
    key_results = (key_probe or {}).get('key_results') or []
    # A registered loop of dns_check (one per domain) or a single result.
    dns_results = [record for result in (_registered(dns_check) if 'results' in (dns_check or {}) else [dns_check or {}])
                   for record in result.get('records') or []]
    return rotation.served_generations(requests, waiting, key_results, dns_results)


@_reported
def rotated_keys(keys, requests, advanced, ttl=3600):
    return rotation.rotated_keys(keys, requests, _registered(advanced), ttl)


# Filter name: function. plugins/filter/<name>.py exposes FILTERS['<name>'].
FILTERS = {
    'signing_keys': signing_keys,
    'key_options': _reported(role.key_options),
    'domain_policies': _reported(role.domain_policies),
    'spf_conflicts': spf_conflicts,
    'fleet_keys': fleet_keys,
    'shared_key_plan': shared_key_plan,
    'role_option': role_option,
    'opendkim_sockets': _reported(role.check_sockets),
    'trusted_hosts': _reported(role.trusted_hosts),
    'opendkim_instances': _reported(role.instances),
    'opendkim_files': _reported(role.config_files),
    'postfix_milter_settings': _reported(role.postfix_milter_settings),
    'postconf_changes': _reported(role.postconf_changes),
    'dns_publication': dns_publication,
    'readiness_lines': _reported(role.readiness_lines),
    'records_summary': _reported(role.records_summary),
    'milter_bypasses': _reported(role.milter_bypasses),
    'bypass_fixes': _reported(role.bypass_fixes),
    'opendkim_service_actions': opendkim_service_actions,
    'signing_instances': _reported(role.signing_instances),
    'rotation_requests': rotation_requests,
    'rotation_items': rotation_items,
    'rotation_dns_checks': rotation_dns_checks,
    'rotation_waiting_keys': rotation_waiting_keys,
    'rotation_served': rotation_served,
    'rotated_keys': rotated_keys,
}
