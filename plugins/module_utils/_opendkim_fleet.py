# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE module_utils of mailauth.dkim: several mail servers that sign for one domain.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Each key of the role has a fleet mode (``opendkim_fleet_keys``, per domain ``fleet_keys``):

- ``single``: the host makes its own key under the selector as given, and no other mail server of the inventory
  may sign that selector of the domain (today's one-host setup);
- ``per_host``: the host makes its own key under ``<selector>-<host label>``; every host's record is published and
  the private key never leaves its host;
- ``shared``: one key for every host that signs the selector: made once, on one host, and copied host to host.

``fleet_keys`` compares this host's keys with those of every other mail server of the inventory (its
``opendkim_domains`` read from hostvars, also for hosts outside the play) and refuses a DNS name that would hold
two keys, and gives every domain one SPF policy: the union of what the hosts that sign for it describe, plus the
sending addresses of each of them. ``shared_key_plan`` decides, from what each host holds, which host makes or
hands out each shared key. All functions are pure and linear in hosts x keys.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_records_backend import SPF_SPEC
from ansible_collections.mailauth.dkim.plugins.module_utils._opendkim_role import RoleInputError, check_policy, fleet_selector

# SPF options whose values several hosts add up; every other option must be the same on all of them.
_SPF_LISTS = ('ip4', 'ip6', 'include')


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def peer_keys(items, mode, label, defaults):
    """Another host's keys, read leniently from its ``opendkim_domains`` (that host's own run checks them).

    Returns ``{fqdn: {domain, selector, fleet, key_type, key_size, spf}}``; items that cannot be read are left out.
    """
    out = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        domain = item.get('domain', item.get('name'))
        if not domain:
            continue
        domain = str(domain).lower().rstrip('.')
        selector = str(item.get('selector') or defaults['selector']).lower()
        fleet = item.get('fleet_keys') or mode
        try:
            selector = fleet_selector(selector, fleet, label, domain, 'peer')
        except RoleInputError:
            continue
        key_type = item.get('key_type') or defaults['key_type']
        size = _int(item.get('key_size'), defaults['key_size']) if key_type == 'rsa' else None
        out['%s._domainkey.%s' % (selector, domain)] = {
            'domain': domain, 'selector': selector, 'fleet': fleet, 'key_type': key_type, 'key_size': size,
            'spf': item.get('spf')}
    return out


def _describe(host, key):
    kind = key['key_type'] if key['key_size'] is None else '%s %s' % (key['key_type'], key['key_size'])
    return '%s (fleet_keys %s, %s)' % (host, key['fleet'], kind)


def _sending_networks(host, ips):
    out = []
    for ip in ips or []:
        try:
            out.append(ipaddress.ip_network(str(ip), strict=False))
        except ValueError:
            raise RoleInputError('the sending address %r of %s is not an IP address or network '
                                 '(opendkim_sending_ips, or opendkim_dns_update.sending_ips/ptr)' % (ip, host))
    return out


def merge_spf(domain, described, networks):
    """One SPF policy for ``domain`` from every host's description and every signing host's addresses.

    ``described`` is a list of (host, spf dict); ``networks`` of (host, ip_network). Lists (ip4, ip6, include) are
    joined in order without repeats; any other option (all, a, mx) must be the same wherever it is given.
    """
    merged = {}
    origin = {}
    for host, spf in described:
        if not isinstance(spf, dict):
            raise RoleInputError('the spf of %s on %s must be a dict, got %r' % (domain, host, spf))
        # An option left out means its default (all: fail), which another server cannot silently override.
        spf = dict(((name, option['default']) for name, option in SPF_SPEC.items() if 'default' in option), **spf)
        for name, value in spf.items():
            if value is None:
                continue
            if name in _SPF_LISTS:
                values = value if isinstance(value, list) else [value]
                known = merged.setdefault(name, [])
                known.extend(str(v) for v in values if str(v) not in known)
            elif name in merged and merged[name] != value:
                raise RoleInputError(
                    'the SPF of %s is described differently on %s (%s: %s) and on %s (%s: %s): a domain has one SPF '
                    'record, so every mail server that signs for it must agree (addresses and includes add up)'
                    % (domain, origin[name], name, json.dumps(merged[name]), host, name, json.dumps(value)))
            else:
                merged[name] = value
                origin.setdefault(name, host)
    for host, network in networks:
        name = 'ip4' if network.version == 4 else 'ip6'
        text = str(network.network_address) if network.num_addresses == 1 else str(network)
        known = merged.setdefault(name, [])
        if text not in known:
            known.append(text)
    return merged


def fleet_keys(keys, this_host, sending_ips, peers):
    """This host's keys, checked against the other mail servers of the inventory, with each domain's fleet SPF.

    ``keys`` come from signing_keys (each with ``fleet``); ``peers`` maps every other host to
    ``{'keys': peer_keys(...), 'sending_ips': [...]}``. A DNS name that would hold different keys on two hosts
    (not both ``shared`` with the same type and size) is refused, naming both hosts and their choices. Each key's
    ``spf`` becomes the domain's merged policy when any signing host describes one (None otherwise).
    """
    by_fqdn = {}
    by_domain = {}
    for host in sorted(peers):
        for fqdn, key in peers[host]['keys'].items():
            by_fqdn.setdefault(fqdn, []).append((host, key))
            by_domain.setdefault(key['domain'], []).append((host, key))
    conflicts = []
    for key in keys:
        for host, other in by_fqdn.get(key['fqdn'], []):
            kind, other_kind = (key['key_type'], key['key_size']), (other['key_type'], other['key_size'])
            same = key['fleet'] == other['fleet'] == 'shared' and kind == other_kind
            if not same:
                conflicts.append('%s on %s and on %s' % (key['fqdn'], _describe(this_host, key), _describe(host, other)))
    if conflicts:
        raise RoleInputError(
            'opendkim_domains: %d DNS name(s) would hold different keys on two mail servers (one name publishes one '
            'key, so one server\'s mail would fail DKIM): %s. Give the domain fleet_keys per_host (a selector per '
            'server) or shared (one key for all of them, same type and size) on every server that signs it'
            % (len(conflicts), '; '.join(conflicts[:10])))
    own_networks = _sending_networks(this_host, sending_ips)
    # The SPF this host describes for each domain: that of its first key with one (one pass, not one per domain).
    own_spf = {}
    for key in keys:
        if key['spf'] is not None and key['domain'] not in own_spf:
            own_spf[key['domain']] = key['spf']
    out = []
    merged = {}
    for key in keys:
        domain = key['domain']
        if domain not in merged:
            described = [(this_host, own_spf[domain])] if domain in own_spf else []
            networks = [(this_host, n) for n in own_networks]
            seen = set()
            for host, other in by_domain.get(domain, []):
                if other['spf'] is not None:
                    described.append((host, other['spf']))
                if host not in seen:
                    seen.add(host)
                    networks.extend((host, n) for n in _sending_networks(host, peers[host].get('sending_ips')))
            # In host name order, this host included: every server computes the same record, value for value
            # (this host first would give each server its own order, and the zone two v=spf1 records).
            described.sort(key=lambda pair: pair[0])
            networks.sort(key=lambda pair: pair[0])
            merged[domain] = merge_spf(domain, described, networks) if described else None
            if merged[domain] is not None and len(described) + len(networks) > 1:
                check_policy('the SPF of %s merged from its mail servers' % domain, domain, 'spf', merged[domain])
        entry = dict(key, spf=merged[domain])
        if key['fleet'] == 'shared':
            entry['signers'] = [this_host] + [host for host, other in by_fqdn.get(key['fqdn'], [])]
        out.append(entry)
    return out


def shared_key_plan(this_host, hosts, holdings, signers):
    """Where each shared key of this host comes from.

    ``hosts`` is the play's host order (all batches); ``holdings`` maps each host that checked its shared keys in
    this run to ``{fqdn: {'path': key file, 'fingerprint': str or None (missing)}}``; ``signers`` maps each shared
    name of this host to every host of the inventory that signs it (from fleet_keys). Returns one item per shared
    key of this host, ``{fqdn, path, source, source_path, action}``: action ``make`` (this host makes it), ``copy``
    (copy it from ``source``) or ``keep`` (this host holds it). Refused, before anything is written: hosts holding
    different keys for one name, and a key nobody in the run holds while a host that signs it was not checked (it
    may hold the key; a new one would replace its record).
    """
    mine = holdings.get(this_host) or {}
    plan = []
    for fqdn in sorted(mine):
        holders = [(h, holdings[h][fqdn]) for h in hosts if fqdn in (holdings.get(h) or {})]
        having = [(h, item) for h, item in holders if item['fingerprint']]
        fingerprints = sorted(set(item['fingerprint'] for h, item in having))
        if len(fingerprints) > 1:
            raise RoleInputError(
                'the shared key %s differs between hosts: %s. Choose the key to keep, remove the others (or give '
                'those hosts another selector) and run again; nothing was changed'
                % (fqdn, '; '.join('%s has %s' % (h, item['fingerprint']) for h, item in having)))
        unchecked = [h for h in signers.get(fqdn, []) if h not in holdings]
        if not having and unchecked:
            raise RoleInputError(
                'no host of this run holds the shared key %s, and %s also sign(s) it but %s not checked in this run '
                '(outside --limit, or failed): it may hold the key, and a new one would replace its record. Run with '
                'those hosts in the play so the key is copied from the one that has it; nothing was changed'
                % (fqdn, ', '.join(unchecked), 'was' if len(unchecked) == 1 else 'were'))
        source, source_item = having[0] if having else holders[0]
        if mine[fqdn]['fingerprint']:
            action = 'keep'
        elif source == this_host:
            action = 'make'
        else:
            action = 'copy'
        plan.append({'fqdn': fqdn, 'path': mine[fqdn]['path'], 'source': source, 'source_path': source_item['path'],
                     'action': action})
    return plan
