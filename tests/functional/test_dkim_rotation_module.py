# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailauth.dkim.dkim_rotation as a user runs it: one domain's state file walked through every phase by date, with
check mode, and every refusal leaving the state file as it was."""

from __future__ import absolute_import, division, print_function

import json
import os

import pytest


def task(state_dir, now, served=(), extra=''):
    return '''
- name: Rotate
  mailauth.dkim.dkim_rotation:
    domain: Example.COM
    state_dir: %s
    prefixes: {rsa: mail, ed25519: ed}
    now: "%s"
    served: %s
    %s
''' % (state_dir, now, json.dumps(list(served)), extra)


def rotate(run_playbook, state_dir, now, served=(), extra='', check=False):
    run = run_playbook(task(state_dir, now, served, extra), check=check, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    return run.result('Rotate')


def test_one_domain_through_every_phase(tmp_path, run_playbook):
    state_file = tmp_path / 'example.com.rotation.json'
    planned = rotate(run_playbook, tmp_path, '2026-01-01T00:00:00Z', check=True)
    assert planned['changed'] is True and planned['steps'] == ['pre-publish 202601']
    assert not state_file.exists()                                # check mode writes nothing
    res = rotate(run_playbook, tmp_path, '2026-01-01T00:00:00Z')
    assert res['steps'] == ['pre-publish 202601'] and res['signing'] == []
    assert res['pending'] == [{'name': '202601', 'selectors': {'ed25519': 'ed-202601', 'rsa': 'mail-202601'}}]
    assert json.loads(state_file.read_text())['generations'][0]['phase'] == 'published'
    assert oct(os.stat(str(state_file)).st_mode & 0o777) == '0o644'
    res = rotate(run_playbook, tmp_path, '2026-01-01T00:10:00Z', served=['202601'])
    assert (res['steps'], res['signing']) == (['202601 served', 'activate 202601'], ['ed-202601', 'mail-202601'])
    assert res['waiting'] == [{'name': '202601', 'selectors': {'ed25519': 'ed-202601', 'rsa': 'mail-202601'}}]
    same = rotate(run_playbook, tmp_path, '2026-03-01T00:00:00Z')   # too early: nothing changes
    assert same['changed'] is False and same['steps'] == []
    assert same['summary'] == {'active': {'ed25519': 'ed-202601', 'rsa': 'mail-202601'}, 'age_days': 59,
                               'overdue': False, 'step': 'pre-publish a new key', 'at': '2026-07-01T00:10:00Z'}
    res = rotate(run_playbook, tmp_path, '2026-07-01T00:10:00Z')
    assert res['steps'] == ['pre-publish 202607'] and res['signing'] == ['ed-202601', 'mail-202601']
    assert res['waiting'] == []
    res = rotate(run_playbook, tmp_path, '2026-07-01T00:20:00Z', served=['202607'])
    assert res['steps'] == ['202607 served'] and res['summary']['at'] == '2026-07-03T00:20:00Z'
    res = rotate(run_playbook, tmp_path, '2026-07-03T00:10:00Z', served=['202607'])
    assert res['steps'] == [] and res['signing'] == ['ed-202601', 'mail-202601']
    res = rotate(run_playbook, tmp_path, '2026-07-03T00:20:00Z', served=['202607'])
    assert res['steps'] == ['activate 202607', 'retire 202601 from signing']
    assert res['signing'] == ['ed-202607', 'mail-202607'] and 'mail-202601' in res['present']
    res = rotate(run_playbook, tmp_path, '2026-07-10T00:20:00Z')
    assert res['steps'] == ['revoke 202601'] and res['revoked'] == ['ed-202601', 'mail-202601']
    res = rotate(run_playbook, tmp_path, '2026-08-09T00:20:00Z')
    assert res['steps'] == ['delete 202601'] and res['gone'] == ['ed-202601', 'mail-202601']
    # Another controller (no memory of these runs) continues from the file alone.
    res = rotate(run_playbook, tmp_path, '2027-01-03T00:20:00Z')
    assert res['steps'] == ['pre-publish 202701']


def test_keys_signing_before_the_rotation_are_adopted_when_their_files_exist(tmp_path, run_playbook):
    (tmp_path / 'example.com.mail.private').write_text('key')
    adopt = ('adopt: [{key_type: rsa, selector: mail, path: %s/example.com.mail.private},'
             ' {key_type: ed25519, selector: ed, path: %s/example.com.ed.private}]' % (tmp_path, tmp_path))
    res = rotate(run_playbook, tmp_path, '2026-01-01T00:00:00Z', extra=adopt)
    # Only the RSA key exists: it keeps signing while the first generation waits to be served.
    assert res['steps'] == ['adopt mail', 'pre-publish 202601'] and res['signing'] == ['mail']
    assert res['waiting'] == [] and [g['name'] for g in res['pending']] == ['202601']
    res = rotate(run_playbook, tmp_path, '2026-01-01T00:00:00Z', extra=adopt)
    assert res['changed'] is False and res['steps'] == []


@pytest.mark.parametrize('content, extra, message', [
    ('{"generations": "x"}', '', 'is not a rotation state (generations and used lists); it was left alone'),
    ('{not json', '', 'is not valid JSON'),
    ('{"generations": [], "used": [], "prefixes": {"rsa": "old"}}', '',
     'rotates the selector prefixes {"rsa": "old"}, not {"ed25519": "ed", "rsa": "mail"}'),
    (None, 'schedule: {period_months: 24}', 'schedule.period_months must be 1 to 12'),
    (None, 'emergency: "last tuesday"', "emergency must be an ISO 8601 date or date-time"),
])
def test_refusals_name_the_value_and_leave_the_state_alone(tmp_path, run_playbook, content, extra, message):
    state_file = tmp_path / 'example.com.rotation.json'
    if content is not None:
        state_file.write_text(content)
    run = run_playbook(task(tmp_path, '2026-01-01', extra=extra))
    res = run.result('Rotate')
    assert res.get('failed') is True and message in res['msg'], res
    assert (state_file.read_text() if content is not None else not state_file.exists()) == (content or True)


def test_a_bad_moment_and_a_bad_prefix_are_named(tmp_path, run_playbook):
    res = run_playbook(task(tmp_path, 'soon')).result('Rotate')
    assert "now must be an ISO 8601 date or date-time (2026-11-29T10:00:00Z), got 'soon'" in res['msg']
    bad = task(tmp_path, '2026-01-01').replace('{rsa: mail, ed25519: ed}', '{rsa: "mail_x"}')
    res = run_playbook(bad).result('Rotate')
    assert res.get('failed') is True and "prefixes: selector 'mail_x-YYYYMM' has an invalid label" in res['msg'], res
    assert os.listdir(str(tmp_path)) == ['play.yml']


def test_a_key_older_than_its_period_warns_once_without_deprecation(tmp_path, run_playbook):
    rotate(run_playbook, tmp_path, '2026-01-01T00:00:00Z')
    rotate(run_playbook, tmp_path, '2026-01-01T00:10:00Z', served=['202601'])
    # A rotation that did not run for eight months (no run, or its new key never served).
    run = run_playbook(task(tmp_path, '2026-09-01T00:00:00Z'), callback='default')
    assert run.rc == 0, run.stdout[-3000:]
    text = ' '.join((run.stdout + run.stderr).split())
    assert ('[WARNING]: example.com: the signing key(s) ed-202601, mail-202601 are 243 days old, past the rotation '
            'period of 6 months; next: activate 202609 (once its records are served)') in text, text[-3000:]
    assert 'DEPRECATION' not in text
    # Within its period: no warning at all.
    young = run_playbook(task(tmp_path, '2026-09-02T00:00:00Z').replace('2026-09-02', '2026-03-01'), callback='default')
    assert young.rc == 0 and '[WARNING]' not in young.stdout + young.stderr, young.stdout[-3000:]


def many(state_dir, now, items):
    return '''
- name: Rotate
  mailauth.dkim.dkim_rotation:
    state_dir: %s
    now: "%s"
    domains: %s
''' % (state_dir, now, json.dumps(items))


def test_many_domains_in_one_call_advance_each_by_its_own_schedule(tmp_path, run_playbook):
    items = [{'domain': 'Example.COM', 'prefixes': {'rsa': 'mail', 'ed25519': 'ed'}},
             {'domain': 'example.org', 'prefixes': {'rsa': 's'}, 'schedule': {'period_months': 3}}]
    planned = run_playbook(many(tmp_path, '2026-01-01T00:00:00Z', items), check=True, diff=True).result('Rotate')
    assert planned['changed'] is True and sorted(os.listdir(str(tmp_path))) == ['play.yml']
    assert [(d['domain'], d['steps']) for d in planned['domains']] == [
        ('example.com', ['pre-publish 202601']), ('example.org', ['pre-publish 202601'])]
    res = run_playbook(many(tmp_path, '2026-01-01T00:00:00Z', items)).result('Rotate')
    files = [str(tmp_path / 'example.com.rotation.json'), str(tmp_path / 'example.org.rotation.json')]
    assert [d['state_file'] for d in res['domains']] == files
    served = [dict(item, served=['202601']) for item in items]
    res = run_playbook(many(tmp_path, '2026-01-01T00:10:00Z', served)).result('Rotate')
    assert [d['signing'] for d in res['domains']] == [['ed-202601', 'mail-202601'], ['s-202601']]
    # Four months on, only example.org (every 3 months) is due; example.com (6) changes nothing.
    res = run_playbook(many(tmp_path, '2026-05-01T00:10:00Z', served)).result('Rotate')
    assert [(d['changed'], d['steps']) for d in res['domains']] == [(False, []), (True, ['pre-publish 202605'])]
    assert res['changed'] is True
    # The same as one call per domain: the single-domain form reads the state the list form wrote.
    one = rotate(run_playbook, tmp_path, '2026-05-01T00:20:00Z')
    assert one['changed'] is False and one['signing'] == ['ed-202601', 'mail-202601']


@pytest.mark.parametrize('items, message', [
    ([{'domain': 'example.com', 'prefixes': {'rsa': 'mail'}}, {'domain': 'Example.com.', 'prefixes': {'rsa': 'x'}}],
     'domains: example.com listed more than once'),
    ([{'domain': 'example.com', 'prefixes': {'rsa': 'mail'}}, {'domain': 'bücher.example', 'prefixes': {'rsa': 'x'}},
      {'domain': 'xn--bcher-kva.example', 'prefixes': {'rsa': 'x'}}],
     'domains: xn--bcher-kva.example listed more than once'),
    ([{'domain': 'example.com', 'prefixes': {'rsa': 'mail'}}, {'domain': 'example.org', 'prefixes': {'dsa': 'x'}}],
     "prefixes: key type 'dsa' is not one of rsa, ed25519"),
    ([{'domain': 'example.com', 'prefixes': {'rsa': 'mail'}},
      {'domain': 'example.org', 'prefixes': {'rsa': 'x'}, 'emergency': 'yesterday'}],
     'emergency must be an ISO 8601 date or date-time'),
])
def test_one_bad_item_leaves_every_state_file_as_it_was(tmp_path, run_playbook, items, message):
    good = [{'domain': 'example.com', 'prefixes': {'rsa': 'mail'}}]
    assert run_playbook(many(tmp_path, '2026-01-01T00:00:00Z', good)).result('Rotate')['changed'] is True
    before = (tmp_path / 'example.com.rotation.json').read_text()
    res = run_playbook(many(tmp_path, '2026-01-01T00:10:00Z', [dict(items[0], served=['202601'])] + items[1:]))
    res = res.result('Rotate')
    assert res.get('failed') is True and message in res['msg'], res
    assert (tmp_path / 'example.com.rotation.json').read_text() == before
    assert sorted(os.listdir(str(tmp_path))) == ['example.com.rotation.json', 'play.yml']


def test_domain_and_domains_do_not_mix(tmp_path, run_playbook):
    text = many(tmp_path, '2026-01-01', [{'domain': 'example.org', 'prefixes': {'rsa': 's'}}])
    res = run_playbook(text + '    domain: example.com\n    prefixes: {rsa: mail}\n').result('Rotate')
    assert res.get('failed') is True and 'mutually exclusive' in res['msg'] and 'domain|domains' in res['msg'], res
    # A top-level schedule would be silently ignored beside domains: refused, by name.
    res = run_playbook(text + '    schedule: {period_months: 3}\n').result('Rotate')
    assert res.get('failed') is True and 'schedule|domains' in res['msg'], res
    res = run_playbook(task(tmp_path, '2026-01-01').replace('    prefixes: {rsa: mail, ed25519: ed}\n', '')).result('Rotate')
    assert res.get('failed') is True and 'prefixes' in res['msg'], res
