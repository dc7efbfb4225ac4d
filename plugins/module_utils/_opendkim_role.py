# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE module_utils of mailauth.dkim: the data of the mailauth.dkim.opendkim role.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

The role's tasks are declarative glue; every list or dict they need is shaped here, by pure functions over plain
values that the filters in plugins/filter/ (code in plugins/plugin_utils/_opendkim_filters.py) expose to Jinja:

- the role's variables are checked with the role's own argument spec (ArgumentSpecValidator, which also applies
  the defaults written there) and with the same functions the modules use (``_dns_format`` for names and
  records, ``_dkim_keys`` for key types and sizes, the option specs of ``dns_records`` for SPF and DMARC);
- the key list, the per-domain policies, the OpenDKIM instances and files, Postfix's milter settings and the
  records of all hosts are computed in one pass each (linear in the number of domains).

Every check raises RoleInputError with a message that names the variable, the item and the bad value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import os
import posixpath
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_keys import KeyDataError, validate_key_request
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import (
    RecordError,
    dmarc_value,
    spf_value,
    validate_domain,
    validate_selector,
)
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_client import DNSClientError
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_publish_backend import tsig_key
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_records_backend import DMARC_SPEC, SPF_SPEC

# Item names of opendkim_domains that were renamed to the modules' vocabulary (old name: new name).
RENAMED_KEY_OPTIONS = {'name': 'domain'}

_INET = re.compile(r'^inet(6?):([0-9]{1,5})(?:@(\S+))?$')
_LOCAL = re.compile(r'^local:(/\S+)$')
# A Postfix milter list: {name, attr=value, ...} groups or bare names, separated by commas or white space.
_MILTER_TOKEN = re.compile(r'\{[^}]*\}|[^,\s{}]+')
_MILTER_NAME = re.compile(r'^\{\s*([^,\s}]*)')


class RoleInputError(ValueError):
    """A role variable that cannot be used; the message names the variable and the bad value."""


# --------------------------------------------------------------------------------------------
# The role's argument spec: types, defaults, aliases
# --------------------------------------------------------------------------------------------

def _errors(result):
    """The messages of a failed ArgumentSpecValidator run (an unknown option says so: its message does not)."""
    return '; '.join(('unsupported option %s' % err if isinstance(err, UnsupportedError) else str(err))
                     for err in result.errors)


def _without_none(value):
    """``value`` with the null entries of its dicts left out: an option set to null means "not given"."""
    if isinstance(value, dict):
        return dict((k, _without_none(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def apply_spec(name, value, spec):
    """Check ``value`` of the role variable ``name`` against its argument spec entry and fill in the defaults.

    Null options count as not given (they get their default). Returns (validated value, deprecation messages).
    ``spec`` is the entry of meta/argument_specs.yml.
    """
    result = ArgumentSpecValidator({name: spec}).validate({name: _without_none(value)})
    if result.error_messages:
        raise RoleInputError('%s: %s' % (name, _errors(result)))
    return result.validated_parameters[name], [d['msg'] for d in result._deprecations]  # pylint: disable=protected-access


def dns_update(value, spec):
    """``opendkim_dns_update`` with its defaults, checked as dns_publish will check it (the TSIG key is built
    with dnspython, so a secret that is not base64 is refused here; the secret is never shown)."""
    update = apply_spec('opendkim_dns_update', value, spec)[0]
    try:
        tsig_key(update['tsig_key_name'], update['tsig_key_secret'], update['tsig_algorithm'])
        for index, zone in enumerate(update['zones'] or []):
            validate_domain(zone, what='opendkim_dns_update.zones[%d]' % index)
        for index, item in enumerate(update['ptr'] or []):
            try:
                ipaddress.ip_address(item['ip'])
            except ValueError:
                raise RecordError('opendkim_dns_update.ptr[%d].ip %r is not an IP address' % (index, item['ip']))
            validate_domain(item['name'], what='opendkim_dns_update.ptr[%d].name' % index)
    except DNSClientError as exc:
        raise RoleInputError('opendkim_dns_update: %s' % exc)
    except RecordError as exc:
        raise RoleInputError(str(exc))
    return update


# --------------------------------------------------------------------------------------------
# Keys and domain policies
# --------------------------------------------------------------------------------------------

def check_policy(where, domain, kind, value):
    """Validate an spf or dmarc dict exactly as mailauth.dkim.dns_records does (its option spec, then the record)."""
    spec = SPF_SPEC if kind == 'spf' else DMARC_SPEC
    result = ArgumentSpecValidator(spec).validate(value)
    if result.error_messages:
        raise RoleInputError('%s (%s): %s: %s' % (where, domain, kind, _errors(result)))
    params = dict((k, v) for k, v in result.validated_parameters.items() if v is not None)
    try:
        if kind == 'spf':
            spf_value(params, domain)
        else:
            dmarc_value(params)
    except RecordError as exc:
        raise RoleInputError('%s (%s): %s' % (where, domain, exc))


FLEET_MODES = ('single', 'per_host', 'shared')


def fleet_selector(selector, mode, label, domain, where):
    """The selector a key is published under: ``<selector>-<label>`` for per_host keys."""
    if mode not in FLEET_MODES:
        raise RoleInputError('%s: fleet_keys must be one of %s, got %r' % (where, ', '.join(FLEET_MODES), mode))
    if mode != 'per_host':
        return selector
    if not label:
        raise RoleInputError('%s: fleet_keys per_host needs a host label (opendkim_fleet_host_label)' % where)
    try:
        return validate_selector('%s-%s' % (selector, str(label).lower()), domain)
    except RecordError as exc:
        raise RoleInputError('%s: fleet_keys per_host: the host label %r does not make a valid selector: %s'
                             % (where, label, exc))


def signing_keys(domains, key_dir, spec, fleet='single', host_label=None):
    """The normalised keys of ``opendkim_domains`` (validated items, in order).

    Each key is ``{domain, selector, key_type, key_size, testing, spf, dmarc, path, fqdn, fleet, rotation, signing}``:
    names in lower case without a trailing dot, ``key_size`` None for Ed25519, ``path`` the private key file in ``key_dir``,
    ``fleet`` the item's fleet_keys (else ``fleet``); per_host keys get the selector ``<selector>-<host_label>``.
    Returns (keys, deprecation messages).
    """
    if not isinstance(domains, list):
        raise RoleInputError('opendkim_domains must be a list with one dict per key, got %r' % (domains,))
    items, deprecations = apply_spec('opendkim_domains', domains, spec)
    keys = []
    seen = {}
    policies = {}
    for index, item in enumerate(items):
        where = 'opendkim_domains[%d]' % index
        for old, new in RENAMED_KEY_OPTIONS.items():
            if item.get(old) is None:
                continue
            if item[new] is not None and item[new] != item[old]:
                raise RoleInputError('%s: %s %r and its old name %s %r disagree; give only %s'
                                     % (where, new, item[new], old, item[old], new))
            item[new] = item[old]
            deprecations.append('%s: %s is the old name of %s' % (where, old, new))
        if item['domain'] is None:
            raise RoleInputError('%s: domain is required, got %s' % (where, json.dumps(domains[index], sort_keys=True)))
        try:
            domain = validate_domain(item['domain'], what='domain')
            selector = validate_selector(item['selector'], domain)
        except RecordError as exc:
            raise RoleInputError('%s: %s' % (where, exc))
        mode = item.get('fleet_keys') or fleet
        selector = fleet_selector(selector, mode, host_label, domain, where)
        key_type = item['key_type']
        size = item['key_size'] if key_type == 'rsa' else None
        try:
            validate_key_request(key_type, size)
        except KeyDataError as exc:
            raise RoleInputError('%s (%s): %s' % (where, domain, exc))
        fqdn = '%s._domainkey.%s' % (selector, domain)
        if fqdn in seen:
            raise RoleInputError('opendkim_domains[%d] and [%d] both ask for the selector %s of %s (%s): a selector '
                                 'names one key' % (seen[fqdn], index, selector, domain, fqdn))
        seen[fqdn] = index
        for kind in ('spf', 'dmarc'):
            if item[kind] is None:
                continue
            first = policies.setdefault((domain, kind), (index, item[kind]))
            if first[1] != item[kind]:
                raise RoleInputError('opendkim_domains[%d] and [%d] describe the %s of %s differently (%s and %s): '
                                     'give it on one item of the domain'
                                     % (first[0], index, kind, domain, json.dumps(first[1], sort_keys=True),
                                        json.dumps(item[kind], sort_keys=True)))
            if first[0] == index:
                check_policy(where, domain, kind, item[kind])
        keys.append({
            'domain': domain, 'selector': selector, 'key_type': key_type, 'key_size': size,
            'testing': item['testing'], 'spf': item['spf'], 'dmarc': item['dmarc'], 'fqdn': fqdn,
            'path': posixpath.join(key_dir, '%s.%s.private' % (domain, selector)), 'fleet': mode,
            # The item's rotation (None: the role's opendkim_rotation); OpenDKIM signs with the key unless a rotation
            # keeps it for verification only (_opendkim_rotation.rotated_keys).
            'rotation': item.get('rotation'), 'signing': True,
        })
    return keys, deprecations


def key_options(keys):
    """The ``keys`` option of mailauth.dkim.dkim_key for the normalised keys."""
    out = []
    for key in keys:
        item = {'path': key['path'], 'domain': key['domain'], 'selector': key['selector'],
                'key_type': key['key_type'], 'testing': key['testing']}
        if key['key_type'] == 'rsa':
            item['key_size'] = key['key_size']
        out.append(item)
    return out


def domain_policies(keys, key_results=None, revoked=None):
    """One item per domain, in order, shaped like the ``domains`` option of mailauth.dkim.dns_records.

    ``spf``/``dmarc`` appear when an item of the domain gives them. With ``key_results`` (the ``key_results`` of
    mailauth.dkim.dkim_key), ``dkim`` lists the records of the domain's keys, then the revoked records of the
    rotated-out keys in ``revoked`` (_opendkim_rotation.rotated_keys).
    """
    by_domain = {}
    out = []
    for key in keys:
        policy = by_domain.get(key['domain'])
        if policy is None:
            policy = by_domain[key['domain']] = {'domain': key['domain']}
            if key_results is not None:
                policy['dkim'] = []
            out.append(policy)
        for kind in ('spf', 'dmarc'):
            if key[kind] is not None:
                policy.setdefault(kind, key[kind])
    # In the order of the keys, whatever order the results came in (shared keys copied from another host come
    # last in the run that copies them), so that the records and the zone file do not change between runs.
    rank = dict((posixpath.normpath(key['path']), index) for index, key in enumerate(keys))
    results = sorted(key_results or [], key=lambda r: rank.get(posixpath.normpath(str(r.get('path'))), len(rank)))
    for result in results:
        policy = by_domain.get(result.get('domain'))
        if policy is not None:
            policy['dkim'].append({'record': result.get('record')})
    for key in revoked or []:
        policy = by_domain.get(key['domain'])
        if policy is not None and key_results is not None:
            policy['dkim'].append({'selector': key['selector'], 'key_type': key['key_type'], 'revoked': True})
    return out


def signing_instances(instances, keys):
    """The OpenDKIM instances with their ``signing_keys`` taken from ``keys``: the keys of the instance's algorithm
    that sign (a rotation keeps some keys for verification only)."""
    out = []
    for item in instances:
        key_type = 'ed25519' if str(item.get('algorithm', '')).startswith('ed25519') else 'rsa'
        out.append(dict(item, signing_keys=[k for k in keys if k['key_type'] == key_type and k.get('signing', True)]))
    return out


def _domain_of(item):
    name = item.get('domain', item.get('name'))
    return str(name).lower().rstrip('.') if name is not None else None


def spf_conflicts(policies, others):
    """SPF descriptions of this host's domains that another host gives differently.

    ``others`` maps host names to their ``opendkim_domains``. Returns sorted, unique "domain on host: spf" lines.
    """
    mine = dict((p['domain'], p['spf']) for p in policies if p.get('spf') is not None)
    out = set()
    if not mine:
        return []
    for host, items in others.items():
        for item in items or []:
            if not isinstance(item, dict) or item.get('spf') is None:
                continue
            domain = _domain_of(item)
            if domain in mine and mine[domain] != item['spf']:
                out.add('%s on %s: %s' % (domain, host, json.dumps(item['spf'], sort_keys=True)))
    return sorted(out)


# --------------------------------------------------------------------------------------------
# Sockets, trusted hosts, OpenDKIM instances and files
# --------------------------------------------------------------------------------------------

def parse_socket(socket, what='opendkim_socket'):
    """Split an opendkim.conf socket: {'family': inet|inet6|local, 'port', 'host', 'path'}."""
    if not isinstance(socket, str):
        raise RoleInputError('%s must be a string, got %r' % (what, socket))
    match = _INET.match(socket)
    if match:
        port = int(match.group(2))
        if not 0 < port < 65536:
            raise RoleInputError('%s %r: port %d is not between 1 and 65535' % (what, socket, port))
        family = 'inet6' if match.group(1) else 'inet'
        return {'family': family, 'port': port, 'host': match.group(3), 'path': None}
    match = _LOCAL.match(socket)
    if match and '/../' not in match.group(1) + '/':
        return {'family': 'local', 'port': None, 'host': None, 'path': match.group(1)}
    raise RoleInputError('%s %r is not a socket OpenDKIM can listen on: use inet:PORT@HOST, inet6:PORT@HOST or '
                         'local:/path' % (what, socket))


def check_sockets(sockets):
    """Check the role's socket variables (name: value); two of them may not be the same socket."""
    seen = {}
    for name in sorted(sockets):
        parse_socket(sockets[name], name)
        if sockets[name] in seen:
            raise RoleInputError('%s and %s are both %s: each OpenDKIM instance needs its own socket'
                                 % (seen[sockets[name]], name, sockets[name]))
        seen[sockets[name]] = name
    return sockets


# The widest networks TrustedHosts may hold without opendkim_trusted_hosts_allow_wide: every host in them can have
# mail signed with the domain's keys.
WIDEST_PREFIX = {4: 16, 6: 48}


def trusted_hosts(hosts, allow_wide=False, what='opendkim_trusted_hosts'):
    """Check the TrustedHosts entries: one host, address or network per item (the file has one per line), and no
    network wider than a /16 (IPv4) or /48 (IPv6) unless ``allow_wide``."""
    for index, host in enumerate(hosts):
        if not isinstance(host, str) or not host or re.search(r'[\s,#]', host):
            raise RoleInputError('%s[%d]: invalid entry %s (one host, address or network per item)'
                                 % (what, index, json.dumps(host)))
        try:
            network = ipaddress.ip_network(host.lstrip('!'), strict=False)
        except ValueError:
            continue  # a host name
        if network.prefixlen < WIDEST_PREFIX[network.version] and not allow_wide:
            raise RoleInputError('%s[%d]: %s holds %s addresses, and every one of them could have mail signed with '
                                 'your keys; list narrower networks (at most a /%d) or set '
                                 'opendkim_trusted_hosts_allow_wide: true'
                                 % (what, index, host, '{:,}'.format(network.num_addresses),
                                    WIDEST_PREFIX[network.version]))
    return list(hosts)


def instance(spec, queue_dir):
    """An OpenDKIM instance with its Postfix milter address and socket directory.

    ``spec`` has at least ``socket`` and ``milter`` (the user's milter address or None). Adds ``milter`` (computed
    from the socket when not given: a socket inside Postfix's queue directory is relative to its chroot),
    ``socket_dir`` ('' for inet sockets) and ``in_queue_dir``.
    """
    socket = parse_socket(spec['socket'])
    milter = spec.get('milter')
    socket_dir = ''
    if socket['family'] == 'local':
        socket_dir = posixpath.dirname(socket['path'])
    if not milter:
        if socket['family'] == 'inet':
            milter = 'inet:%s:%d' % (socket['host'] or 'localhost', socket['port'])
        elif socket['family'] == 'inet6':
            milter = 'inet:[%s]:%d' % (socket['host'] or '::1', socket['port'])
        elif socket['path'].startswith(queue_dir.rstrip('/') + '/'):
            milter = 'unix:' + socket['path'][len(queue_dir.rstrip('/')) + 1:]
        else:
            milter = 'unix:' + socket['path']
    out = dict(spec)
    out.update(milter=milter, socket_dir=socket_dir,
               in_queue_dir=bool(socket_dir) and (socket_dir + '/').startswith(queue_dir.rstrip('/') + '/'))
    return out


def instances(specs, queue_dir):
    """``instance`` for each of ``specs``."""
    return [instance(spec, queue_dir) for spec in specs]


def config_files(instances, trusted_hosts_file, new_install=False):
    """The files of the OpenDKIM transaction, in writing order: TrustedHosts, every table, every configuration, then
    the systemd unit (or drop-in) of every instance that has one (``unit_src``, ``unit_dest``).

    Each file's ``write`` is its item of the ``files`` option of mailauth.dkim.config_files without the ``content``
    (the role renders ``src`` into it): root's, 0644, and for a configuration (``validate``) ``return_previous``, the
    file as the running service read it, which the restart handler compares with the new one. Not after a new
    installation (``new_install``): no OpenDKIM ran with the package's file, the first start reads the new one."""
    files = [{'src': 'etc/opendkim/TrustedHosts.j2', 'dest': trusted_hosts_file, 'validate': False}]
    for inst in instances:
        files.append({'src': 'etc/opendkim/KeyTable.j2', 'dest': inst['key_table'], 'validate': False,
                      'instance': inst})
        files.append({'src': 'etc/opendkim/SigningTable.j2', 'dest': inst['signing_table'], 'validate': False,
                      'instance': inst})
    for inst in instances:
        files.append({'src': 'etc/opendkim.conf.j2', 'dest': inst['config_file'], 'validate': True,
                      'instance': inst})
    for inst in instances:
        if inst.get('unit_dest'):
            files.append({'src': inst['unit_src'], 'dest': inst['unit_dest'], 'validate': False, 'instance': inst})
    for item in files:
        item['write'] = {'path': item['dest'], 'owner': 'root', 'group': 'root', 'mode': '0644',
                         'return_previous': item['validate'] and not new_install}
    return files


# --------------------------------------------------------------------------------------------
# Reload or restart
# --------------------------------------------------------------------------------------------

# The settings OpenDKIM reads once, when it starts: main() of opendkim/opendkim.c takes them from the configuration
# ("operational parameters for the filter (e.g which socket to use which userid to become, etc.) and aren't
# reloaded upon a reload signal"). Everything else, KeyTable, SigningTable, InternalHosts and ExternalIgnoreList
# (with the files they name) included, is read again by dkimf_config_reload() after SIGUSR1 (systemctl reload).
RESTART_ONLY_SETTINGS = ('AutoRestart', 'AutoRestartCount', 'AutoRestartRate', 'Background', 'ChangeRootDirectory',
                         'MilterDebug', 'PidFile', 'POPDBFile', 'QueryCache', 'Socket', 'StrictTestMode',
                         'TestPublicKeys', 'UMask', 'UserID')


def opendkim_settings(text):
    """The settings of an opendkim.conf text: {lower-case name: [values in file order]}.

    As OpenDKIM's config.c reads it: names are case-insensitive, ``#`` starts a comment anywhere on a line, the
    value is the rest of the line after the blanks that follow the name.
    """
    settings = {}
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        settings.setdefault(parts[0].lower(), []).append(parts[1].strip() if len(parts) > 1 else '')
    return settings


def service_action(before, after, changed_files, unit_changed, started=False):
    """What one OpenDKIM service needs after a change: ``(action, reason)``, action 'restart', 'reload' or 'none'.

    ``before``: the text of its configuration file before the run (None: there was none, so this is its first
    start with the role's configuration); ``after``: the text now (None: not written, check mode on a fresh host);
    ``changed_files``: the changed files it reads (configuration, KeyTable, SigningTable, TrustedHosts);
    ``unit_changed``: its systemd unit or drop-in changed; ``started``: the run started the service after it wrote
    all of these (it was not running), so it already runs with them. A restart is chosen when the unit changed, on
    the first start, or when a setting OpenDKIM reads only at start (RESTART_ONLY_SETTINGS) differs; a reload
    (SIGUSR1, which drops no connection and keeps every message in flight on the configuration it started with)
    when only what a reload reads again changed; nothing when none of its files changed (key files are read for
    every message, so a key file alone needs neither) or when the run started it.
    """
    if started:
        return 'none', 'started by this run with its new files'
    if unit_changed:
        return 'restart', 'its systemd unit changed'
    if before is None or after is None:
        return 'restart', 'first start with this configuration'
    old, new = opendkim_settings(before), opendkim_settings(after)
    differ = [name for name in RESTART_ONLY_SETTINGS if old.get(name.lower()) != new.get(name.lower())]
    if differ:
        return 'restart', 'changed settings that only a restart applies: %s' % ', '.join(
            '%s %s -> %s' % (name, ' '.join(old.get(name.lower(), ['(unset)'])),
                             ' '.join(new.get(name.lower(), ['(unset)']))) for name in differ)
    if changed_files:
        return 'reload', 'changed: %s' % ', '.join(changed_files)
    return 'none', 'none of its files changed'


def service_actions(instances, trusted_hosts_file, before, after, changed_paths, changed_units, started=()):
    """``service_action`` for each OpenDKIM instance.

    ``instances``: from ``instances`` (``service``, ``config_file``, ``key_table``, ``signing_table``);
    ``before``/``after``: {configuration file: text or None}; ``changed_paths``: the files the run changed;
    ``changed_units``: the services whose unit changed; ``started``: the services the run started after writing
    their files. Returns dicts with ``service``, ``action`` and ``reason``.
    """
    changed = set(changed_paths)
    out = []
    for inst in instances:
        own = [inst['config_file'], inst['key_table'], inst['signing_table'], trusted_hosts_file]
        action, reason = service_action(before.get(inst['config_file']), after.get(inst['config_file']),
                                        [path for path in own if path in changed], inst['service'] in changed_units,
                                        inst['service'] in started)
        out.append({'service': inst['service'], 'action': action, 'reason': reason})
    return out


# --------------------------------------------------------------------------------------------
# Postfix
# --------------------------------------------------------------------------------------------

def merge_milters(value, add, remove=(), separator=', '):
    """A Postfix milter list with the milters ``add`` appended once and those in ``remove`` taken out.

    Entries already there (other milters, ``{name, attr=value}`` groups) keep their place and spelling; when
    nothing changes, ``value`` is returned exactly as written. master.cf's ``-o`` values take no white space:
    ``separator=','`` there.
    """
    add = list(add)
    tokens = _MILTER_TOKEN.findall(value or '')
    out = []
    names = []
    for token in tokens:
        name = _MILTER_NAME.match(token).group(1) if token.startswith('{') else token
        if name not in remove:
            out.append(token)
            names.append(name)
    for milter in add:
        if milter not in names:
            out.append(milter)
            names.append(milter)
    return value if out == tokens else separator.join(out)


def postfix_milter_settings(current, milters, stale, default_action, protocol):
    """The milter settings Postfix should have, from its ``current`` ones (name: value)."""
    milters = list(milters)
    return {
        'smtpd_milters': merge_milters(current.get('smtpd_milters', ''), milters, stale),
        'non_smtpd_milters': merge_milters(current.get('non_smtpd_milters', ''), milters, stale),
        'milter_default_action': default_action,
        'milter_protocol': str(protocol),
    }


def postconf_changes(desired, current):
    """``name=value`` arguments for ``postconf -e``: the desired settings that differ from the current ones."""
    return ['%s=%s' % (name, desired[name]) for name in desired if desired[name] != current.get(name)]


# Postfix services that take in user mail, and the parameter that gives them their milters.
USER_MAIL_SERVICES = {'smtpd': 'smtpd_milters', 'pickup': 'non_smtpd_milters'}
_LOOPBACK = ('127.0.0.1', '[::1]', '::1', 'localhost', '[127.0.0.1]')


def _milter_names(value):
    return [(_MILTER_NAME.match(t).group(1) if t.startswith('{') else t) for t in _MILTER_TOKEN.findall(value or '')]


def milter_bypasses(services, overrides, mail_macros, milters):
    """Where Postfix would take in user mail without our milters.

    ``services``: the lines of ``postconf -M``; ``overrides``: the lines of ``postconf -Px`` (``name/type/parameter =
    value``); ``mail_macros``: main.cf's ``milter_mail_macros``; ``milters``: our milter addresses. Looks at every
    ``smtpd`` service not bound to the loopback address (a content filter's re-injection port is) and at ``pickup``
    (``sendmail``): a ``-o smtpd_milters``/``non_smtpd_milters`` without our milters, ``receive_override_options``
    with ``no_milters``, and a ``milter_mail_macros`` (there or in main.cf) without ``{auth_type}`` (OpenDKIM signs
    authenticated submissions only when it gets it). Returns one dict per finding: ``service``, ``setting``,
    ``value``, ``message`` and ``fix`` (the value that repairs it).
    """
    milters = list(milters)
    params = {}
    for line in overrides:
        key, sep, value = line.partition('=')
        parts = key.strip().split('/')
        if sep and len(parts) == 3:
            params.setdefault((parts[0], parts[1]), {})[parts[2]] = value.strip()
    found = []

    def finding(service, setting, value, message, fix):
        found.append({'service': service, 'setting': setting, 'value': value, 'fix': fix,
                      'message': '%s: %s = %s %s' % (service, setting, value or '(empty)', message)})

    if '{auth_type}' not in re.split(r'[\s,]+', mail_macros or ''):
        finding('main.cf', 'milter_mail_macros', mail_macros,
                'lacks {auth_type}: OpenDKIM cannot tell authenticated submissions apart and leaves them unsigned',
                ('%s {auth_type}' % mail_macros).strip())
    for line in services:
        fields = line.split()
        if len(fields) < 8 or fields[7] not in USER_MAIL_SERVICES:
            continue
        name, kind, command = fields[0], fields[1], fields[7]
        if kind == 'inet' and ':' in name and name.rsplit(':', 1)[0] in _LOOPBACK:
            continue
        where = 'master.cf service %s/%s' % (name, kind)
        own = params.get((name, kind), {})
        setting = USER_MAIL_SERVICES[command]
        if setting in own:
            present = _milter_names(own[setting])
            missing = [m for m in milters if m not in present]
            if missing:
                finding(where, setting, own[setting], 'overrides main.cf without %s: mail taken in there is not '
                        'signed' % ', '.join(missing), merge_milters(own[setting], milters, separator=','))
        options = own.get('receive_override_options')
        if options is not None and 'no_milters' in re.split(r'[\s,]+', options):
            finding(where, 'receive_override_options', options, 'switches every milter off: mail taken in there is '
                    'not signed', ','.join(o for o in re.split(r'[\s,]+', options) if o and o != 'no_milters'))
        macros = own.get('milter_mail_macros')
        if macros is not None and '{auth_type}' not in re.split(r'[\s,]+', macros):
            # No fix: a master.cf -o value cannot hold the spaces and braces of a macro list.
            finding(where, 'milter_mail_macros', macros, 'lacks {auth_type}: authenticated submissions there are '
                    'not signed (edit master.cf: the role cannot fix this one)', None)
    return found


def bypass_fixes(findings):
    """``postconf`` arguments that repair the findings of milter_bypasses: ``main`` (for ``-e``) and ``master``
    (for ``-P``); findings without a fix are left out (and stay findings)."""
    main = ['%s=%s' % (f['setting'], f['fix']) for f in findings if f['service'] == 'main.cf']
    master = ['%s/%s=%s' % (f['service'].split()[-1], f['setting'], f['fix']) for f in findings
              if f['service'] != 'main.cf' and f['fix'] is not None]
    return {'main': main, 'master': master}


# --------------------------------------------------------------------------------------------
# Publication: the records of every host
# --------------------------------------------------------------------------------------------

def _unique(items):
    seen = set()
    out = []
    for item in items:
        mark = json.dumps(item, sort_keys=True, default=str)
        if mark not in seen:
            seen.add(mark)
            out.append(item)
    return out


def publication(hosts, ttl):
    """What the role publishes for the hosts of the play.

    ``hosts`` maps each host to ``{'records': its opendkim_dns_records, 'update': its opendkim_dns_update}``.
    Returns ``{'records', 'sending_ips_by_domain', 'removals'}``: every host's records once, the PTR records of
    ``update.ptr`` (with their own ``ttl``, else ``ttl``), for each domain the addresses of the hosts that
    sign for it (``update.sending_ips``, else the addresses of ``update.ptr``), and the records of rotated-out
    selectors to remove (``removals`` of each host), except at a name that a host still publishes, and the key
    rotation report of every host (``rotation``, for the readiness report).
    """
    removals = []
    rotation = []
    records = []
    ptrs = []
    ips_by_domain = {}
    for host in hosts:
        own = hosts[host].get('records') or []
        update = hosts[host].get('update') or {}
        records.extend(own)
        removals.extend(hosts[host].get('removals') or [])
        rotation.extend(hosts[host].get('rotation') or [])
        ptr = update.get('ptr') or []
        for item in ptr:
            entry = dict(item, type='PTR')
            entry['ttl'] = item.get('ttl') if item.get('ttl') is not None else ttl
            ptrs.append(entry)
        ips = update.get('sending_ips') or [item['ip'] for item in ptr]
        for record in own:
            if record.get('kind') != 'ptr':
                known = ips_by_domain.setdefault(record['domain'], [])
                known.extend(ip for ip in ips if ip not in known)
    kept = set(record.get('fqdn') for record in records)
    return {'records': _unique(records + ptrs), 'sending_ips_by_domain': ips_by_domain,
            'removals': _unique([record for record in removals if record.get('fqdn') not in kept]),
            'rotation': rotation}


def readiness_lines(check):
    """The readiness report of mailauth.dkim.dns_check as console lines."""
    lines = ['%-9s %s %s' % (r['status'], r['fqdn'], r['type']) for r in check.get('records', [])]
    for domain, report in check.get('readiness', {}).items():
        lines.append('%s: %s' % (domain, 'READY' if report['ready'] else 'NOT READY'))
        lines.extend('  [%s] %s' % ('ok' if item['ok'] else 'FAIL', item['message']) for item in report['checks'])
        rotation = report.get('rotation')
        if rotation:
            active = ', '.join(sorted((rotation.get('active') or {}).values())) or 'nothing yet'
            age = '' if rotation.get('age_days') is None else ', %s days old' % rotation['age_days']
            lines.append('  [%s] rotation: signs with %s%s; next: %s%s' % (
                'OVERDUE' if rotation.get('overdue') else 'ok', active, age, rotation.get('step'),
                ' from %s' % rotation['at'] if rotation.get('at') else ''))
    return lines


def records_summary(records, zone_file=None, limit=20):
    """What the role prints about the records: counts per kind, where the zone snippet went, and the zone lines
    themselves only when there are at most ``limit`` of them (the full list stays in ``opendkim_dns_records``)."""
    kinds = {}
    for record in records:
        kinds[record.get('kind')] = kinds.get(record.get('kind'), 0) + 1
    domains = set(record.get('domain') for record in records if record.get('kind') != 'ptr')
    counts = ', '.join('%d %s' % (kinds[kind], kind.upper()) for kind in ('dkim', 'spf', 'dmarc', 'ptr')
                       if kind in kinds)
    lines = ['%d DNS record(s) to publish for %d domain(s): %s.' % (len(records), len(domains), counts or 'none')]
    if zone_file:
        lines.append('Zone file snippet: %s (on the controller).' % zone_file)
    if len(records) <= limit:
        lines.extend(record['zone_line'] for record in records)
    else:
        lines.append('The records are in the fact opendkim_dns_records (more than opendkim_print_records_limit=%d, '
                     'so not printed here).' % limit)
    return lines


def spec_path(here):
    """The role's argument spec, from a file in plugins/<type>/ of the collection."""
    return os.path.join(os.path.dirname(os.path.abspath(here)), '..', '..', 'roles', 'opendkim', 'meta',
                        'argument_specs.yml')
