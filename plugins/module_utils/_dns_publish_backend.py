# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: RFC 2136 publication of DNS records (backend of dns_publish).

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

How it works:
1. every record is checked (``_dns_desired.normalize_records``) and records are grouped per name and type;
2. each record's zone is taken from ``zones`` or found by asking the server for the SOA;
3. the server is asked what it serves for each name/type (plain queries, nothing changes);
4. the wanted RRset is computed: TXT records carrying the same version tag as ours (``v=spf1``,
   ``v=DKIM1``, ``v=DMARC1``) or the same value are ours and are replaced; other TXT records at the
   name are kept; a PTR RRset is replaced as a whole;
5. only RRsets that differ go into ONE UPDATE message per zone, TSIG-signed: a prerequisite that the
   RRset is still what was read (so a concurrent change is refused, not overwritten), a delete of the
   RRset and an add of the wanted one. A TXT value longer than 255 bytes is one record of several strings.
Nothing is sent in check mode; nothing is sent when every RRset is already right.
"""

from __future__ import absolute_import, division, print_function

import base64
import binascii

try:
    import dns.exception
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.tsig
    import dns.update
except ImportError:  # pragma: no cover - the module reports the missing library via _dns_client
    pass

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_client import DNSClientError, query, resolve_server
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_desired import normalize_records, txt_tag

TSIG_ALGORITHMS = ('hmac-sha256', 'hmac-sha384', 'hmac-sha512', 'hmac-sha224', 'hmac-sha1', 'hmac-md5')

_RCODE_HINTS = {
    'REFUSED': 'the server does not allow key %(key)s to change these records (check its allow-update or '
               'update-policy for these names and types)',
    'NOTAUTH': 'the server is not authoritative for the zone or did not accept key %(key)s',
    'NOTZONE': 'a record name is outside the zone',
    'SERVFAIL': 'the server failed to apply the update (see its log)',
    'FORMERR': 'the server could not parse the update',
    'NOTIMP': 'the server does not implement dynamic updates',
    'NXRRSET': 'the records changed on the server while this task ran; run it again',
    'YXRRSET': 'the records changed on the server while this task ran; run it again',
}


def tsig_key(name, secret, algorithm):
    """A dnspython TSIG key; errors name the key and never show the secret."""
    if algorithm not in TSIG_ALGORITHMS:
        raise DNSClientError('tsig_algorithm %r is not supported; use one of %s'
                             % (algorithm, ', '.join(TSIG_ALGORITHMS)))
    try:
        key_name = dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        raise DNSClientError('tsig_key_name %r is not a valid key name: %s' % (name, exc))
    compact = ''.join((secret or '').split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raw = b''
    if not raw:
        raise DNSClientError('tsig_key_secret for key %r is not valid base64 (the secret itself is not shown)'
                             % (name,))
    return dns.tsig.Key(key_name, raw, algorithm)


def _rrset_lines(name, rdtype, ttl, rdatas):
    return ['%s %d IN %s %s' % (name.to_text(), ttl, rdtype, rd.to_text()) for rd in rdatas]


def _joined(rdata):
    return b''.join(rdata.strings).decode('utf-8', 'replace')


def _owned(rdata, ours, tags, rtype):
    """Whether a served rdata is one of ours: the same value, or a TXT record with one of our tags."""
    if rdata in ours:
        return True
    return rtype == 'TXT' and txt_tag(_joined(rdata)) in tags


def _served_values(rtype, rdatas):
    if rtype == 'TXT':
        return [_joined(rd) for rd in rdatas]
    return [rd.target.to_text() for rd in rdatas]


class Change(object):
    """The plan for one name/type: what is served, what should be, and the records given for it."""

    def __init__(self, name, rtype, members, zone, current, current_ttl, wanted, ttl):
        self.name = name
        self.rtype = rtype
        self.members = members
        self.zone = zone
        self.current = current
        self.current_ttl = current_ttl
        self.wanted = wanted
        self.ttl = ttl

    @property
    def changed(self):
        if set(self.current) != set(self.wanted):
            return True
        return bool(self.wanted) and self.current_ttl != self.ttl

    @property
    def label(self):
        return '%s %s' % (self.name.to_text(), self.rtype)

    def diff_lines(self):
        before = _rrset_lines(self.name, self.rtype, self.current_ttl or 0, self.current)
        after = _rrset_lines(self.name, self.rtype, self.ttl, self.wanted)
        return before, after


class Publisher(object):
    def __init__(self, server, port=53, tsig_key_name=None, tsig_key_secret=None, tsig_algorithm='hmac-sha256',
                 zones=None, timeout=10, state='present'):
        self.server_name = server
        self.port = port
        self.timeout = timeout
        self.state = state
        self.key = tsig_key(tsig_key_name, tsig_key_secret, tsig_algorithm)
        self.key_name = tsig_key_name
        self.zones = []
        for zone in zones or []:
            try:
                self.zones.append(dns.name.from_text(zone))
            except dns.exception.DNSException as exc:
                raise DNSClientError('zones entry %r is not a valid DNS name: %s' % (zone, exc))
        self.server = None
        self._zone_cache = {}

    @property
    def where(self):
        return 'DNS server %s port %s' % (self.server_name, self.port)

    # ---- planning (read only) ----------------------------------------------------------------------
    def zone_for(self, name):
        if self.zones:
            best = None
            for zone in self.zones:
                if name.is_subdomain(zone) and (best is None or len(zone) > len(best)):
                    best = zone
            if best is None:
                raise DNSClientError('%s is in none of the zones given (%s)'
                                     % (name.to_text(), ', '.join(z.to_text() for z in self.zones)))
            return best
        if name not in self._zone_cache:
            answer = query(self.server, self.port, name, 'SOA', self.timeout)
            if answer.rcode not in ('NOERROR', 'NXDOMAIN') or answer.soa_owner is None:
                raise DNSClientError('%s answered %s and no SOA when asked which zone holds %s; it is not '
                                     'authoritative for it (or give the zone in `zones`)'
                                     % (self.where, answer.rcode, name.to_text()))
            self._zone_cache[name] = answer.soa_owner
        return self._zone_cache[name]

    def _group(self, desired):
        groups = {}
        order = []
        for record in desired:
            key = (record.fqdn, record.rtype)
            if key not in groups:
                groups[key] = []
                order.append(key)
            for other in groups[key]:
                if record.rtype == 'TXT' and record.tag and record.tag == other.tag:
                    raise DNSClientError('records[%d] and records[%d] are both %s records for %s; a name holds only '
                                         'one' % (other.index, record.index, record.tag, record.fqdn.to_text()))
            groups[key].append(record)
        return [(key, groups[key]) for key in order]

    def plan(self, records):
        desired = normalize_records(records)
        groups = self._group(desired)
        self.server = resolve_server(self.server_name, self.port)
        changes = []
        for (name, rtype), members in groups:
            ttls = set(m.ttl for m in members)
            if len(ttls) > 1:
                raise DNSClientError('records for %s %s ask for different TTLs %s; one RRset has one TTL'
                                     % (name.to_text(), rtype, sorted(ttls)))
            zone = self.zone_for(name)
            answer = query(self.server, self.port, name, rtype, self.timeout)
            if answer.rcode not in ('NOERROR', 'NXDOMAIN'):
                raise DNSClientError('%s answered %s when asked for %s %s; it does not serve zone %s'
                                     % (self.where, answer.rcode, name.to_text(), rtype, zone.to_text()))
            current = list(answer.rrset) if answer.rrset is not None else []
            current_ttl = answer.rrset.ttl if answer.rrset is not None else None
            ours = [m.rdata() for m in members]
            tags = set(m.tag for m in members if m.tag)
            others = [rd for rd in current if not _owned(rd, ours, tags, rtype)]
            if self.state == 'present':
                wanted = ours if rtype == 'PTR' else others + ours
            else:
                wanted = others
            changes.append(Change(name, rtype, members, zone, current, current_ttl, wanted, members[0].ttl))
        return changes

    # ---- applying ------------------------------------------------------------------------------------
    def apply(self, changes):
        """Send one UPDATE per zone for the changes that need one. Returns the zones updated."""
        by_zone = {}
        order = []
        for change in changes:
            if not change.changed:
                continue
            if change.zone not in by_zone:
                by_zone[change.zone] = []
                order.append(change.zone)
            by_zone[change.zone].append(change)
        done = []
        for zone in order:
            try:
                self._send(zone, by_zone[zone], done)
            except DNSClientError as exc:
                exc.zones_updated = list(done)
                exc.result.update(changed=bool(done), zones_updated=list(done))
                raise
            done.append(zone.to_text())
        return done

    def _send(self, zone, changes, done):
        update = dns.update.UpdateMessage(zone, keyring=self.key, keyname=self.key.name,
                                          keyalgorithm=self.key.algorithm)
        for change in changes:
            rdtype = dns.rdatatype.from_text(change.rtype)
            if change.current:
                update.present(change.name, *change.current)
            else:
                update.absent(change.name, rdtype)
            update.delete(change.name, rdtype)
            if change.wanted:
                update.add(change.name, change.ttl, *change.wanted)
        labels = ', '.join(c.label for c in changes)
        prefix = '%s refused the update of zone %s (%s)' % (self.where, zone.to_text(), labels)
        if done:
            suffix = '; zones already updated in this run: %s' % ', '.join(done)
        else:
            suffix = ''
        keyname = repr(self.key_name)
        try:
            response = dns.query.tcp(update, self.server, timeout=self.timeout, port=self.port)
        except dns.tsig.PeerBadSignature:
            raise DNSClientError('%s: TSIG error BADSIG: the server rejected the signature; the tsig_key_secret of '
                                 'key %s does not match the server\'s%s' % (prefix, keyname, suffix))
        except dns.tsig.PeerBadKey:
            raise DNSClientError('%s: TSIG error BADKEY: the server does not know key %s with algorithm %s%s'
                                 % (prefix, keyname, self.key.algorithm.to_text(True), suffix))
        except dns.tsig.PeerBadTime:
            raise DNSClientError('%s: TSIG error BADTIME: the clocks of this host and the server differ too much%s'
                                 % (prefix, suffix))
        except dns.tsig.PeerError as exc:
            raise DNSClientError('%s: TSIG error: %s%s' % (prefix, exc, suffix))
        except dns.exception.Timeout:
            raise DNSClientError('no answer from %s within %s seconds to the update of zone %s (%s)%s'
                                 % (self.where, self.timeout, zone.to_text(), labels, suffix))
        except (OSError, dns.exception.DNSException) as exc:
            raise DNSClientError('sending the update of zone %s (%s) to %s failed: %s%s'
                                 % (zone.to_text(), labels, self.where, exc, suffix))
        rcode = dns.rcode.to_text(response.rcode())
        if rcode != 'NOERROR':
            hint = _RCODE_HINTS.get(rcode, 'see the server log')
            raise DNSClientError('%s: %s: %s%s' % (prefix, rcode, hint % {'key': keyname}, suffix))

    # ---- reporting ----------------------------------------------------------------------------------
    def results(self, changes):
        """Per-record status, in the order the records were given."""
        out = []
        for change in changes:
            served = _served_values(change.rtype, change.current)
            for member in change.members:
                rd = member.rdata()
                if self.state == 'present':
                    if not change.changed:
                        status = 'unchanged'
                    elif rd in change.current:
                        status = 'updated'
                    elif any(v == member.value or (member.tag and txt_tag(v) == member.tag) for v in served):
                        status = 'updated'
                    elif change.rtype == 'PTR' and change.current:
                        status = 'updated'
                    else:
                        status = 'created'
                else:
                    removed = [rd2 for rd2 in change.current if rd2 not in change.wanted]
                    status = 'deleted' if removed else 'absent'
                entry = dict(member.source)
                entry.update({
                    'fqdn': change.name.to_text(),
                    'type': change.rtype,
                    'ttl': member.ttl,
                    'value': member.value,
                    'zone': change.zone.to_text(),
                    'status': status,
                    'changed': status not in ('unchanged', 'absent'),
                    'served_before': served,
                })
                out.append((member.index, entry))
        return [entry for _index, entry in sorted(out, key=lambda item: item[0])]

    @staticmethod
    def diff(changes):
        before = []
        after = []
        for change in changes:
            if change.changed:
                lines_before, lines_after = change.diff_lines()
                before.extend(lines_before)
                after.extend(lines_after)
        return {'before': '\n'.join(before) + ('\n' if before else ''),
                'after': '\n'.join(after) + ('\n' if after else '')}


def publish(records, server, port=53, tsig_key_name=None, tsig_key_secret=None, tsig_algorithm='hmac-sha256',
            zones=None, timeout=10, state='present', check_mode=False):
    """Plan and (unless check_mode) apply. Returns a dict: changed, records, zones_updated, diff.

    Raises DNSClientError; its ``result`` holds ``changed`` and ``zones_updated`` (the zones already updated
    when a later one failed).
    """
    if timeout <= 0:
        raise DNSClientError('timeout must be a positive number of seconds, got %r' % timeout)
    if not 0 < port < 65536:
        raise DNSClientError('port must be between 1 and 65535, got %r' % port)
    try:
        publisher = Publisher(server, port, tsig_key_name, tsig_key_secret, tsig_algorithm, zones, timeout, state)
        changes = publisher.plan(records)
        changed = any(c.changed for c in changes)
        zones_updated = []
        if changed and not check_mode:
            zones_updated = publisher.apply(changes)
    except DNSClientError as exc:
        exc.result.setdefault('changed', False)
        exc.result.setdefault('zones_updated', [])
        raise
    return {
        'changed': changed,
        'records': publisher.results(changes),
        'zones_updated': zones_updated,
        'diff': publisher.diff(changes),
    }
