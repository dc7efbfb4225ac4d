# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DKIM key rotation end to end (issue 8): the sender `mail` walks lab.example through every phase, with
opendkim_rotation_now as the clock, and the receiver `mx` (and dkimpy, asking ns) judges a message in each phase.

The tests are phases of one story and run in file order on a fresh scenario (converge.yml has made the first run,
at T0): each phase runs converge.yml at its moment, first in check mode (it must report the steps the real run then
takes, and change nothing), then for real, then again at the same moment (nothing may change). After every run
OpenDKIM signs only with selectors whose records ns serves, matching the keys.

  T0          2026-01-01T00:00Z  gen 202601 pre-published (converge), activated by the next run once served
  T0+6 months 2026-07-01T00:00Z  gen 202607 pre-published and served; 202601 still signs (not 48 h yet)
              2026-07-03T01:00Z  202607 signs; mail signed by 202601 in transit still verifies
              2026-07-10T02:00Z  202601 revoked (p= empty), its private keys gone; its mail no longer verifies
              2026-08-10T03:00Z  202601's records removed
  emergency   2026-08-10T04:00Z  every key made before is compromised: 202608 signs as soon as it is served,
                                 202607 revoked at once
"""

from __future__ import annotations

import json
import uuid

import rotlib
from rotlib import DOMAIN, generation

T0 = '2026-01-01T00:00:00Z'
ROTATE = '2026-07-01T00:00:00Z'
SWITCH = '2026-07-03T01:00:00Z'
REVOKE = '2026-07-10T02:00:00Z'
DELETE = '2026-08-10T03:00:00Z'
EMERGENCY = '2026-08-10T04:00:00Z'

# What the phases hand on to later ones (a message signed in phase 2, the first run's report).
KEPT = {}


def sel(name):
    """The selectors of a generation, sorted (both key types)."""
    return sorted(generation(name).values())


def assert_ok(run):
    assert run.rc == 0, run.tail()
    assert run.changed is not None, run.tail()


def assert_signs_only_served_keys():
    """Every selector OpenDKIM signs with has its full record at ns, with the public half of the key on the host."""
    for selector in rotlib.signing_selectors():
        rcode, records = rotlib.lookup_txt(selector)
        assert rcode == 'NOERROR' and len(records) == 1, (selector, rcode, records)
        assert rotlib.tags(records[0]).get('p') == rotlib.public_key(selector), (selector, records[0])


def assert_served(selector):
    rcode, records = rotlib.lookup_txt(selector)
    assert rcode == 'NOERROR' and len(records) == 1, (selector, rcode, records)
    found = rotlib.tags(records[0])
    assert found.get('v') == 'DKIM1' and found.get('p') == rotlib.public_key(selector), (selector, records)


def assert_revoked(selector):
    rcode, records = rotlib.lookup_txt(selector)
    assert rcode == 'NOERROR' and len(records) == 1, (selector, rcode, records)
    found = rotlib.tags(records[0])
    assert found.get('v') == 'DKIM1' and 'p' in found and found['p'] == '', (selector, records)
    assert rotlib.key_file(selector).rsplit('/', 1)[1] not in rotlib.key_files(), selector
    leftovers = [f for f in rotlib.key_files() if f.startswith('%s.%s.' % (DOMAIN, selector))]
    assert not leftovers, (selector, leftovers)


def assert_gone(selector):
    rcode, records = rotlib.lookup_txt(selector)
    assert records == [] and rcode in ('NXDOMAIN', 'NOERROR'), (selector, rcode, records)


def step(now, expected, rotation=None, rerun=True):
    """One phase's runs at `now`: check mode (reports `expected`, changes nothing), the real run (takes `expected`),
    and with `rerun` another run (changes nothing). Returns the real run's report for DOMAIN."""
    before = rotlib.host_state()
    check = rotlib.converge(now, '--check', '--diff', rotation=rotation)
    assert_ok(check)
    assert check.domain()['steps'] == expected, (check.domain(), check.tail())
    assert rotlib.host_state() == before, 'check mode changed the sender'
    assert 'PRIVATE KEY' not in check.output

    run = rotlib.converge(now, rotation=rotation)
    assert_ok(run)
    assert run.domain()['steps'] == expected, (run.domain(), run.tail())
    assert run.changed > 0, run.tail()
    assert_signs_only_served_keys()
    if rerun:
        assert_rerun_changes_nothing(now, rotation)
    return run.domain()


def assert_rerun_changes_nothing(now, rotation=None):
    again = rotlib.converge(now, rotation=rotation)
    assert_ok(again)
    assert again.changed == 0, again.tail(8000)
    assert again.domain()['steps'] == [], again.domain()
    assert_signs_only_served_keys()


def mail(token, signers):
    """Send a message; mx must report a DKIM pass for each of `signers` and it must carry no other signature."""
    token = '%s-%s' % (token, uuid.uuid4().hex[:12])
    rotlib.send(token)
    raw = rotlib.receive(token)
    assert sorted(rotlib.signatures(raw)) == sorted(signers), (token, rotlib.signatures(raw))
    verdicts = rotlib.dkim_verdicts(raw)
    for selector in signers:
        assert verdicts.get(selector) == 'pass', (token, selector, verdicts)
    assert rotlib.verify_now(raw) == dict((s, True) for s in signers)
    return raw


def test_phase1_first_run_prepublishes_and_signs_with_nothing():
    """converge.yml ran at T0: gen 202601 is published at ns and its keys are on the host, but nothing signs yet
    (its records were not served when the run looked)."""
    assert rotlib.signing_selectors() == set()
    for selector in sel('202601'):
        assert_served(selector)
    state = json.loads(rotlib.state_file())
    assert [(g['name'], g['phase']) for g in state['generations']] == [('202601', 'published')], state


def test_phase1_next_run_activates_once_served():
    report = step(T0, ['202601 served', 'activate 202601'])
    assert report['active'] == generation('202601'), report
    assert sorted(report['signing']) == sel('202601'), report
    assert rotlib.signing_selectors() == set(sel('202601'))
    mail('p1', sel('202601'))


def test_phase2_new_generation_prepublished_old_still_signs():
    report = step(ROTATE, ['pre-publish 202607'], rerun=False)
    assert sorted(report['signing']) == sel('202601'), report
    for selector in sel('202607'):
        assert_served(selector)
    # The next run sees the new records served (it may note when), but they are not 48 hours old: 202601 still signs.
    seen = rotlib.converge(ROTATE)
    assert_ok(seen)
    assert seen.domain()['steps'] == ['202607 served'], seen.domain()
    assert rotlib.signing_selectors() == set(sel('202601'))
    assert_signs_only_served_keys()
    # The next step is the switch, 48 hours after publication (publication counted from when it was first served).
    assert seen.domain()['step'].startswith('activate 202607'), seen.domain()
    assert seen.domain()['at'] is not None and '2026-07-03T00:00:00Z' <= seen.domain()['at'] <= SWITCH, seen.domain()
    KEPT['phase2'] = mail('p2', sel('202601'))
    assert_rerun_changes_nothing(ROTATE)


def test_phase3_switch_after_48_hours_old_mail_still_verifies():
    report = step(SWITCH, ['activate 202607', 'retire 202601 from signing'])
    assert report['active'] == generation('202607'), report
    assert rotlib.signing_selectors() == set(sel('202607'))
    for selector in sel('202601'):
        assert_served(selector)  # retiring: still in DNS, its keys still on the host
    mail('p3', sel('202607'))
    assert 'phase2' in KEPT, 'phase 2 failed'
    assert rotlib.verify_now(KEPT['phase2']) == dict((s, True) for s in sel('202601'))


def test_phase4_old_generation_revoked_a_week_later():
    step(REVOKE, ['revoke 202601'])
    for selector in sel('202601'):
        assert_revoked(selector)
    assert rotlib.signing_selectors() == set(sel('202607'))
    mail('p4', sel('202607'))
    assert 'phase2' in KEPT, 'phase 2 failed'
    assert rotlib.verify_now(KEPT['phase2']) == dict((s, False) for s in sel('202601'))


def test_phase5_revoked_records_removed_30_days_later():
    step(DELETE, ['delete 202601'])
    for selector in sel('202601'):
        assert_gone(selector)
    for selector in sel('202607'):
        assert_served(selector)
    mail('p5', sel('202607'))


def test_emergency_rotation_activates_when_served_and_revokes_at_once():
    rotation = {'emergency': EMERGENCY}
    # Check mode was shown for a pre-publication in phase 2; no rerun here: with an emergency the next run activates
    # the new keys as soon as they are served.
    first = rotlib.converge(EMERGENCY, rotation=rotation)
    assert_ok(first)
    assert first.domain()['steps'] == ['pre-publish 202608'], (first.domain(), first.tail())
    for selector in sel('202608'):
        assert_served(selector)
    assert rotlib.signing_selectors() == set(sel('202607'))
    report = step(EMERGENCY, ['202608 served', 'activate 202608', 'revoke 202607'], rotation=rotation)
    assert report['active'] == generation('202608'), report
    assert rotlib.signing_selectors() == set(sel('202608'))
    for selector in sel('202607'):
        assert_revoked(selector)
    mail('emergency', sel('202608'))
