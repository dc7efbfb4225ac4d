# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rotation schedule (module_utils/_dkim_rotation.py): one domain walked through every phase by date, an
emergency rotation, selectors never reused, keys adopted from before the rotation, and the refusals."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_rotation as rot

PREFIXES = {'rsa': 'mail', 'ed25519': 'ed'}
SCHED = rot.schedule({})
TTL = 3600


def step(state, now, served=(), emergency=None):
    return rot.advance(state, now, SCHED, TTL, dict((name, True) for name in served), emergency)


def phases(state):
    return [(g['name'], g['phase']) for g in state['generations']]


def test_a_domain_through_every_phase():
    # First run: a key is pre-published; nothing signs until its record is served.
    state, steps = step({}, '2026-01-01')
    assert steps == ['pre-publish 202601'] and phases(state) == [('202601', 'published')]
    assert rot.keys_and_records(state, PREFIXES)['signing'] == []
    state, steps = step(state, '2026-01-01T01:00Z')            # not served yet: nothing changes
    assert steps == []
    # Served: the first generation signs at once (there is nothing older to protect).
    state, steps = step(state, '2026-01-01T02:00Z', served=['202601'])
    assert steps == ['202601 served', 'activate 202601']
    assert rot.keys_and_records(state, PREFIXES)['signing'] == ['ed-202601', 'mail-202601']
    # Six months later a new generation is pre-published; the old one keeps signing.
    state, steps = step(state, '2026-07-01T01:59Z', served=['202601'])
    assert steps == []
    assert rot.next_step(state, SCHED, TTL) == {'step': 'pre-publish a new key', 'at': '2026-07-01T02:00:00Z'}
    state, steps = step(state, '2026-07-01T02:00Z', served=['202601'])
    assert steps == ['pre-publish 202607']
    # Not served for a day (manual DNS): the wait has not started yet.
    state, steps = step(state, '2026-07-02T02:00Z', served=['202601'])
    assert steps == [] and rot.next_step(state, SCHED, TTL)['at'] is None
    # Served from the next run on, but it waits 48 h from the first run that saw it served before it signs.
    state, steps = step(state, '2026-07-03T02:00Z', served=['202601', '202607'])
    assert steps == ['202607 served'] and rot.keys_and_records(state, PREFIXES)['signing'] == ['ed-202601', 'mail-202601']
    assert rot.next_step(state, SCHED, TTL) == {'step': 'activate 202607', 'at': '2026-07-05T02:00:00Z'}
    again, steps = step(state, '2026-07-05T01:59Z', served=['202601', '202607'])
    assert steps == [] and again == state
    state, steps = step(state, '2026-07-05T02:00Z', served=['202601', '202607'])
    assert steps == ['activate 202607', 'retire 202601 from signing']
    records = rot.keys_and_records(state, PREFIXES)
    assert records['signing'] == ['ed-202607', 'mail-202607']
    assert set(records['present']) == {'ed-202601', 'mail-202601', 'ed-202607', 'mail-202607'}  # old still verifies
    # Seven days after the switch the old record is revoked and its keys go.
    state, steps = step(state, '2026-07-12T01:59Z')
    assert steps == []
    state, steps = step(state, '2026-07-12T02:00Z')
    assert steps == ['revoke 202601']
    records = rot.keys_and_records(state, PREFIXES)
    assert records['revoked'] == ['ed-202601', 'mail-202601'] and 'mail-202601' not in records['present']
    # Thirty days later the revoked record is removed, and its selector is never used again.
    state, steps = step(state, '2026-08-11T02:00Z')
    assert steps == ['delete 202601'] and phases(state) == [('202607', 'active')]
    assert rot.keys_and_records(state, PREFIXES)['gone'] == ['ed-202601', 'mail-202601']


def test_a_ttl_longer_than_a_day_stretches_the_wait_to_twice_the_ttl():
    state = {'generations': [{'name': '202601', 'phase': 'active', 'created': '2026-01-01T00:00:00Z',
                              'activated': '2026-01-01T00:00:00Z'},
                             {'name': '202607', 'phase': 'published', 'created': '2026-07-01T00:00:00Z',
                              'published': '2026-07-01T00:00:00Z'}], 'used': ['202601', '202607']}
    later, steps = rot.advance(state, '2026-07-01T00:00Z', SCHED, 2 * 86400, {'202607': True})
    assert steps == ['202607 served']
    later, steps = rot.advance(later, '2026-07-04T00:00Z', SCHED, 2 * 86400, {'202607': True})
    assert steps == []                                      # 72 h < 2 x 48 h
    later, steps = rot.advance(later, '2026-07-05T00:00Z', SCHED, 2 * 86400, {'202607': True})
    assert steps[0] == 'activate 202607'


def test_an_emergency_activates_when_served_and_revokes_the_old_key_at_once():
    state, steps = step({}, '2026-01-01')
    state, steps = step(state, '2026-01-01', served=['202601'])
    state, steps = step(state, '2026-02-10', emergency='2026-02-10T00:00Z')
    assert steps == ['pre-publish 202602']
    state, steps = step(state, '2026-02-10T00:05Z', served=['202602'], emergency='2026-02-10T00:00Z')
    assert steps == ['202602 served', 'activate 202602', 'revoke 202601']
    # The emergency stays in the inventory: later runs do not rotate again.
    again, steps = step(state, '2026-02-11', served=['202602'], emergency='2026-02-10T00:00Z')
    assert steps == [] and again == state


def test_selectors_are_never_reused_within_a_month():
    state, steps = step({}, '2026-01-01')
    state, steps = step(state, '2026-01-01', served=['202601'])
    state, steps = step(state, '2026-01-20', emergency='2026-01-20')
    assert phases(state)[-1] == ('202601b', 'published')


def test_summary_shows_the_active_selectors_age_next_step_and_overdue_keys():
    state, steps = step({}, '2026-01-01')
    state, steps = step(state, '2026-01-01', served=['202601'])
    info = rot.summary(state, '2026-03-01', SCHED, PREFIXES, TTL)
    assert info == {'active': {'ed25519': 'ed-202601', 'rsa': 'mail-202601'}, 'age_days': 59, 'overdue': False,
                    'step': 'pre-publish a new key', 'at': '2026-07-01T00:00:00Z'}
    assert rot.summary(state, '2026-09-01', SCHED, PREFIXES, TTL)['overdue'] is True


def test_a_record_that_disappears_restarts_the_wait():
    state, steps = step({}, '2026-01-01')
    state, steps = step(state, '2026-01-01', served=['202601'])
    state, steps = step(state, '2026-07-01', served=['202601'])
    state, steps = step(state, '2026-07-01T01:00Z', served=['202601', '202607'])
    state, steps = step(state, '2026-07-02', served=['202601'])
    assert steps == ['202607 no longer served']
    state, steps = step(state, '2026-07-03T02:00Z', served=['202601', '202607'])
    assert steps == ['202607 served']                       # 48 h from now, not from 1 July
    assert rot.next_step(state, SCHED, TTL)['at'] == '2026-07-05T02:00:00Z'


def test_keys_from_before_the_rotation_keep_signing_until_the_first_generation_is_served_48_hours():
    adopt = {'rsa': 'mail', 'ed25519': 'ed'}
    state, steps = rot.advance({}, '2026-01-01', SCHED, TTL, {}, adopt=adopt)
    assert steps == ['adopt ed, mail', 'pre-publish 202601']
    assert rot.keys_and_records(state, PREFIXES)['signing'] == ['ed', 'mail']
    # A state that exists is never adopted into again.
    again, steps = rot.advance(state, '2026-01-01', SCHED, TTL, {}, adopt=adopt)
    assert steps == [] and again == state
    state, steps = rot.advance(state, '2026-01-01T01:00Z', SCHED, TTL, {'202601': True}, adopt=adopt)
    assert steps == ['202601 served']
    state, steps = rot.advance(state, '2026-01-03T01:00Z', SCHED, TTL, {'202601': True}, adopt=adopt)
    assert steps == ['activate 202601', 'retire adopted from signing']
    records = rot.keys_and_records(state, PREFIXES)
    assert records['signing'] == ['ed-202601', 'mail-202601'] and {'mail', 'ed'} <= set(records['present'])
    state, steps = rot.advance(state, '2026-01-10T01:00Z', SCHED, TTL, {})
    assert steps == ['revoke adopted'] and rot.keys_and_records(state, PREFIXES)['revoked'] == ['ed', 'mail']
    state, steps = rot.advance(state, '2026-02-09T01:00Z', SCHED, TTL, {})
    assert steps == ['delete adopted'] and rot.keys_and_records(state, PREFIXES)['gone'] == ['ed', 'mail']


@pytest.mark.parametrize('value, message', [
    ({'period_months': 13}, 'opendkim_rotation.period_months must be 1 to 12'),
    ({'period_months': 0}, 'opendkim_rotation.period_months must be 1 to 12'),
    ({'retire_days': -1}, 'opendkim_rotation.retire_days must not be negative, got -1'),
    ({'delete_days': 'soon'}, "opendkim_rotation.delete_days must be a whole number, got 'soon'"),
])
def test_bad_schedules_are_refused_by_name(value, message):
    with pytest.raises(rot.RotationError, match=message):
        rot.schedule(value)


@pytest.mark.parametrize('value', ['yesterday', '2026-13-01', '2026-02-30T00:00Z', '26-01-01'])
def test_bad_moments_are_refused_by_name(value):
    with pytest.raises(rot.RotationError, match='opendkim_rotation_now'):
        rot.parse_time(value)


def test_moments_with_offsets_are_read_as_utc():
    assert rot.format_time(rot.parse_time('2026-11-29T12:00+02:00')) == '2026-11-29T10:00:00Z'
    assert rot.format_time(rot.add_months(rot.parse_time('2026-08-31'), 6)) == '2027-02-28T00:00:00Z'


def test_an_emergency_moment_after_now_changes_nothing_yet():
    state, steps = step({}, '2026-01-01')
    state, steps = step(state, '2026-01-01', served=['202601'], emergency='2026-03-01')
    assert steps == ['202601 served', 'activate 202601']
    again, steps = step(state, '2026-02-28', served=['202601'], emergency='2026-03-01')
    assert steps == [] and again == state
    state, steps = step(state, '2026-03-01', served=['202601'], emergency='2026-03-01')
    assert steps == ['pre-publish 202603']
