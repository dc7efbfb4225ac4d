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
