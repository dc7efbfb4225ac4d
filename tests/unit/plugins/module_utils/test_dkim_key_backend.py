# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_dkim_key_backend without an AnsibleModule: plain parameters in, a result dict or KeyBackendError out."""

from __future__ import absolute_import, division, print_function

import json
import os
import stat

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_key_backend import KeyBackend, KeyBackendError
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.tests.unit.keyleak import leaks

DEFAULTS = dict(path=None, domain=None, selector=None, key_type=None, key_size=None, testing=False, ttl=3600,
                state='present', force=False, backup=False, keys=None, workers=1)


def params(**kwargs):
    out = dict(DEFAULTS)
    out.update(kwargs)
    return out


def read(path):
    with open(str(path), 'rb') as handle:
        return handle.read()


def run(check_mode=False, diff=True, **kwargs):
    backend = KeyBackend(params(**kwargs), check_mode=check_mode, diff=diff)
    result = backend.run()
    return result, backend.warnings


def test_check_apply_check_apply_without_a_module(tmp_path):
    args = dict(keys=[dict(path=str(tmp_path / 'r'), domain='Example.com', selector='r', key_size=1024),
                      dict(path=str(tmp_path / 'e'), domain='example.com', selector='e', key_type='ed25519')])
    planned, warnings = run(check_mode=True, **args)
    assert planned['changed'] is True and warnings == []
    assert [k['status'] for k in planned['key_results']] == ['created', 'created']
    assert os.listdir(str(tmp_path)) == []
    applied, dummy = run(**args)
    assert [(k['type'], k['size'], k['domain']) for k in applied['key_results']] == [
        ('rsa', 1024, 'example.com'), ('ed25519', 256, 'example.com')]
    assert sorted(os.listdir(str(tmp_path))) == ['e', 'r']
    assert all(stat.S_IMODE(os.stat(str(tmp_path / n)).st_mode) == 0o600 for n in ('e', 'r'))
    assert [d['after'].splitlines()[3:5] for d in applied['diff']] == [['type: rsa', 'size: 1024'],
                                                                       ['type: ed25519', 'size: 256']]
    again, dummy = run(check_mode=True, **args)
    assert again['changed'] is False and 'diff' not in again
    last, dummy = run(**args)
    assert last['changed'] is False
    assert [k['public_key'] for k in last['key_results']] == [k['public_key'] for k in applied['key_results']]


@pytest.mark.parametrize('args, message', [
    (dict(path='/nonexistent-dir/k', domain='example.com', selector='mail'),
     'directory /nonexistent-dir for key /nonexistent-dir/k does not exist'),
    (dict(path='%(d)s/k', domain='example.com', selector='mail', key_size=512),
     'size 512 is too small: RSA keys under 1024 bits are rejected by receivers (RFC 8301)'),
    (dict(path='%(d)s/k', domain='example.com', selector='mail', key_type='dsa'),
     "type must be one of rsa, ed25519, got 'dsa'"),
    (dict(path='%(d)s/k', domain='example.com'), 'selector is required when state=present (key %(d)s/k)'),
    (dict(path='%(d)s/k', domain='example.com', selector='mail', ttl=-1),
     'ttl must be an integer between 0 and 2147483647, got -1'),
    (dict(keys=[dict(path='%(d)s/a', domain='example.com', selector='a'),
                dict(path='%(d)s/b', domain='example.com', selector='b', key_size=1000)]),
     'keys[1]: size 1000 is too small: RSA keys under 1024 bits are rejected by receivers (RFC 8301)'),
    (dict(path='%(d)s/k', domain='example.com', selector='mail', workers=-1),
     'workers must be 0 (one per CPU) or a positive number, got -1'),
])
def test_bad_input_raises_before_anything_is_written(tmp_path, args, message):
    def fill(value):
        if isinstance(value, str):
            return value % {'d': tmp_path}
        if isinstance(value, list):
            return [dict((k, fill(v)) for k, v in item.items()) for item in value]
        return value

    args = dict((k, fill(v)) for k, v in args.items())
    with pytest.raises(KeyBackendError) as exc:
        run(**args)
    assert str(exc.value) == message % {'d': tmp_path}
    assert isinstance(exc.value, MailauthError) and exc.value.result == {}
    assert os.listdir(str(tmp_path)) == []


def test_unreadable_existing_key_is_an_error_unless_forced(tmp_path):
    key = tmp_path / 'k'
    key.write_bytes(b'not a key')
    with pytest.raises(KeyBackendError) as exc:
        run(path=str(key), domain='example.com', selector='mail')
    assert str(exc.value) == ('%s does not hold a readable PEM private key; it was left alone. Set force=true to '
                              'replace it (the old file is kept as a backup)' % key)
    forced, dummy = run(path=str(key), domain='example.com', selector='mail', force=True, key_size=1024)
    assert forced['status'] == 'replaced' and read(forced['backup_file']) == b'not a key'


def test_no_private_key_bytes_in_results_diffs_or_warnings(tmp_path):
    """Every path that reports on a key (create, keep with a mismatch, replace, remove): the result as the
    module returns it, its diff and the warnings hold no byte of any private key, old or new."""
    items = [dict(path=str(tmp_path / 'r'), domain='example.com', selector='r', key_size=1024),
             dict(path=str(tmp_path / 'e'), domain='example.com', selector='e', key_type='ed25519')]
    texts = []
    pems = []

    def step(**kwargs):
        result, warnings = run(**kwargs)
        texts.append(json.dumps(result))
        texts.extend(warnings)
        return result, warnings

    step(keys=items, check_mode=True)
    step(keys=items)
    pems += [read(tmp_path / 'r'), read(tmp_path / 'e')]
    wanted = [dict(items[0], key_size=2048), dict(items[1], key_type='rsa')]
    kept, warnings = step(keys=wanted)
    assert [k['status'] for k in kept['key_results']] == ['kept', 'kept'] and len(warnings) == 2
    replaced, dummy = step(keys=wanted, force=True)
    assert [k['status'] for k in replaced['key_results']] == ['replaced', 'replaced']
    pems += [read(tmp_path / 'r'), read(tmp_path / 'e')]
    removed, dummy = step(keys=[dict(path=i['path']) for i in items], state='absent', backup=True)
    assert removed['changed'] is True and len(removed['diff']) == 2
    assert len(set(pems)) == 4
    assert leaks(pems, *texts) == []
    assert leaks(pems, read(replaced['key_results'][0]['backup_file']).decode())  # the check can fail
