# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE module_utils of mailauth.dkim: the schedule of DKIM key rotation, staged across runs.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

M3AAWG's DKIM Key Rotation BCP: a new key at least every 6 months, under a new selector (never a reused one, RFC
6376 3.1), published before it signs, the old one revoked (``p=`` empty, RFC 6376 3.6.1) after mail signed with it
has been delivered, then removed. A domain's keys rotate in *generations*: one selector per key type
(``<prefix>-YYYYMM``, for example ``mail-202611`` and ``ed-202611``), which switch together. Each generation goes

    published -> active -> retiring -> revoked -> (deleted)

- *published*: the keys exist and their records are in DNS; nothing signs with them yet;
- *active*: the signing tables use them; a generation becomes active only when its records are served (by every
  authoritative server, matching the keys) and, if another generation was active, at least max(48 h, 2 x TTL)
  after publication; the previous one becomes *retiring* (its record still verifies mail in transit);
- *revoked*: ``retire_days`` after the switch, the record becomes ``v=DKIM1; p=`` and the private keys go;
- *deleted*: ``delete_days`` after revocation, the record is removed; the selector is never used again.

``advance`` is a pure function of the state (a dict kept in a small file per domain on the managed host), the
schedule, the moment and which generations are served; each call moves every generation at most as far as the
dates allow, so a run that comes too early changes nothing and says what comes next and when.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

DEFAULTS = {'period_months': 6, 'retire_days': 7, 'delete_days': 30, 'min_publish_hours': 48}
PHASES = ('published', 'active', 'retiring', 'revoked')
_ISO = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$')


class RotationError(ValueError):
    """A schedule or state that cannot be used; the message names the value."""


def parse_time(value, what='opendkim_rotation_now'):
    """An ISO 8601 date or date-time (UTC when no offset is given) as an aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    match = _ISO.match(str(value).strip())
    if not match:
        raise RotationError('%s must be an ISO 8601 date or date-time (2026-11-29T10:00:00Z), got %r' % (what, value))
    year, month, day, hour, minute, second, zone = match.groups()
    tz = datetime.timezone.utc
    if zone and zone != 'Z':
        sign = -1 if zone[0] == '-' else 1
        digits = zone[1:].replace(':', '')
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                   int(second or 0), tzinfo=tz)
    except ValueError as exc:
        raise RotationError('%s %r is not a valid date: %s' % (what, value, exc))
    return moment.astimezone(datetime.timezone.utc)


def format_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def add_months(moment, months):
    """The same day ``months`` later (the last day of the month when it has fewer days)."""
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def schedule(value, what='opendkim_rotation'):
    """The schedule with its defaults, checked: period 1-12 months, days and hours not negative."""
    out = dict(DEFAULTS)
    for name, given in (value or {}).items():
        if name not in DEFAULTS:
            continue
        if given is None:
            continue
        try:
            out[name] = int(given)
        except (TypeError, ValueError):
            raise RotationError('%s.%s must be a whole number, got %r' % (what, name, given))
    if not 1 <= out['period_months'] <= 12:
        raise RotationError('%s.period_months must be 1 to 12 (M3AAWG: at least every 6 months), got %d'
                            % (what, out['period_months']))
    for name in ('retire_days', 'delete_days', 'min_publish_hours'):
        if out[name] < 0:
            raise RotationError('%s.%s must not be negative, got %d' % (what, name, out[name]))
    return out


ADOPTED = 'adopted'


def selectors(generation, prefixes):
    """The selectors of a generation, one per key type: {key_type: '<prefix>-<name>'} (as adopted, for keys that
    signed before the domain rotated)."""
    if generation.get('selectors'):
        return dict(sorted(generation['selectors'].items()))
    return dict((key_type, '%s-%s' % (prefix, generation['name'])) for key_type, prefix in sorted(prefixes.items()))


def new_name(moment, used):
    """``YYYYMM`` of the moment, with a letter when that name was used before (selectors are never reused)."""
    base = moment.strftime('%Y%m')
    for suffix in [''] + [chr(c) for c in range(ord('b'), ord('z') + 1)]:
        if base + suffix not in used:
            return base + suffix
    raise RotationError('more than 25 rotations in %s: use an emergency rotation once, not in every run' % base)


def _find(state, phase):
    return [g for g in state['generations'] if g['phase'] == phase]


def _wait(sched, ttl):
    """How long a new generation's records must be served before it signs: max(min_publish_hours, 2 x TTL)."""
    return datetime.timedelta(hours=max(sched['min_publish_hours'], 2 * int(ttl) / 3600.0))


def advance(state_in, now, sched, ttl, served, emergency=None, adopt=None):
    """Move a domain's rotation forward to ``now``. Returns (new state, list of steps taken).

    ``state`` is ``{'generations': [...], 'used': [...]}`` (empty dict for a domain that never rotated); ``served``
    maps generation names to True when all of their records are served, matching the keys. A published generation
    remembers when a run first saw it served (``served``); it signs once it has been served for max(48 h, 2 x TTL)
    by then (at once when nothing signs yet), and a generation that is no longer served starts over.

    ``emergency``, a moment: every key made before it is treated as compromised - a new generation is made,
    activated as soon as it is served, and the old one revoked at once.

    ``adopt`` ({key_type: selector}): the keys that signed before the domain rotated. For a domain without state
    they become the active generation (``adopted``, their own selectors) and a first generation is pre-published
    at once, so the domain keeps signing while its first rotated key waits to be served; then they retire, are
    revoked and deleted like any other generation.
    """
    now = parse_time(now)
    state = {'generations': [dict(g) for g in (state_in or {}).get('generations', [])],
             'used': list((state_in or {}).get('used', []))}
    if (state_in or {}).get('adopted'):
        state['adopted'] = dict(state_in['adopted'])
    compromised = parse_time(emergency, 'emergency') if emergency else None
    if compromised and compromised > now:
        compromised = None      # not yet (a planned run with opendkim_rotation_now before it)
    steps = []
    wait = _wait(sched, ttl)
    if adopt and not state['generations'] and not state['used']:
        stamp = format_time(now)
        state['generations'].append({'name': ADOPTED, 'phase': 'active', 'created': stamp, 'published': stamp,
                                     'activated': stamp, 'selectors': dict(adopt)})
        state['used'].append(ADOPTED)
        state['adopted'] = dict(adopt)
        steps.append('adopt %s' % ', '.join(sorted(adopt.values())))

    for gen in _find(state, 'revoked'):
        if now >= parse_time(gen['revoked']) + datetime.timedelta(days=sched['delete_days']):
            state['generations'].remove(gen)
            steps.append('delete %s' % gen['name'])
    for gen in _find(state, 'retiring'):
        if now >= parse_time(gen['retire_at']) or (compromised and parse_time(gen['created']) < compromised):
            gen.update(phase='revoked', revoked=format_time(now))
            steps.append('revoke %s' % gen['name'])

    active = _find(state, 'active')
    pending = _find(state, 'published')
    for gen in pending:
        if not served.get(gen['name']):
            if gen.pop('served', None):
                steps.append('%s no longer served' % gen['name'])
            continue
        if not gen.get('served'):
            gen['served'] = format_time(now)
            steps.append('%s served' % gen['name'])
        urgent = not active or (compromised and parse_time(active[0]['created']) < compromised)
        if not urgent and now < parse_time(gen['served']) + wait:
            continue
        gen.update(phase='active', activated=format_time(now))
        steps.append('activate %s' % gen['name'])
        for old in active:
            if compromised and parse_time(old['created']) < compromised:
                old.update(phase='revoked', revoked=format_time(now))
                steps.append('revoke %s' % old['name'])
            else:
                old.update(phase='retiring', retire_at=format_time(now + datetime.timedelta(days=sched['retire_days'])))
                steps.append('retire %s from signing' % old['name'])
        active, pending = [gen], []
        break

    due = False
    if active and not pending:
        current = active[0]
        # Adopted keys are of unknown age: their successor is pre-published at once.
        due = current['name'] == ADOPTED or now >= add_months(parse_time(current['activated']), sched['period_months'])
        due = due or bool(compromised and parse_time(current['created']) < compromised)
    if not state['generations'] or due:
        name = new_name(now, state['used'])
        state['used'].append(name)
        state['generations'].append({'name': name, 'phase': 'published', 'created': format_time(now),
                                     'published': format_time(now)})
        steps.append('pre-publish %s' % name)
    return state, steps


def next_step(state, sched, ttl):
    """What the next step is and from when: ``{'step', 'at'}`` (``at`` None: when the record is served)."""
    wait = _wait(sched, ttl)
    candidates = []
    active = _find(state, 'active')
    for gen in _find(state, 'published'):
        if gen.get('served'):
            at = parse_time(gen['served']) + wait if active else parse_time(gen['served'])
            candidates.append(('activate %s' % gen['name'], at))
        else:
            candidates.append(('activate %s (once its records are served)' % gen['name'], None))
    for gen in _find(state, 'retiring'):
        candidates.append(('revoke %s' % gen['name'], parse_time(gen['retire_at'])))
    for gen in _find(state, 'revoked'):
        candidates.append(('delete %s' % gen['name'],
                           parse_time(gen['revoked']) + datetime.timedelta(days=sched['delete_days'])))
    if active and not _find(state, 'published'):
        candidates.append(('pre-publish a new key',
                           add_months(parse_time(active[0]['activated']), sched['period_months'])))
    if not candidates:
        return {'step': 'pre-publish the first key', 'at': None}
    far = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)
    step, at = min(candidates, key=lambda c: c[1] or far) if any(c[1] for c in candidates) else candidates[0]
    return {'step': step, 'at': format_time(at) if at else None}


def summary(state, now, sched, prefixes, ttl):
    """The rotation at a glance: active selectors, key age in days, next step and date, and whether it is overdue."""
    now = parse_time(now)
    active = _find(state, 'active')
    out = {'active': selectors(active[0], prefixes) if active else {}, 'age_days': None, 'overdue': False}
    if active:
        activated = parse_time(active[0]['activated'])
        out['age_days'] = (now - parse_time(active[0]['created'])).days
        out['overdue'] = now > add_months(activated, sched['period_months']) + datetime.timedelta(days=7)
    out.update(next_step(state, sched, ttl))
    return out


def keys_and_records(state, prefixes):
    """What the host and DNS must hold: selectors whose keys exist, that sign, and whose records are full or revoked.

    Returns ``{'present': [...], 'signing': [...], 'revoked': [...], 'gone': [...]}``: keys of published, active and
    retiring generations; signing by the active one; ``p=`` records for revoked ones (their keys are removed);
    ``gone`` the selectors of every used generation that is no longer in the state (records to remove).
    """
    out = {'present': [], 'signing': [], 'revoked': [], 'gone': []}
    present = set()
    for gen in state['generations']:
        names = list(selectors(gen, prefixes).values())
        present.add(gen['name'])
        if gen['phase'] == 'revoked':
            out['revoked'].extend(names)
        else:
            out['present'].extend(names)
        if gen['phase'] == 'active':
            out['signing'].extend(names)
    for name in state['used']:
        if name not in present:
            adopted = state.get('adopted') if name == ADOPTED else None
            out['gone'].extend(selectors({'name': name, 'selectors': adopted}, prefixes).values())
    return out
