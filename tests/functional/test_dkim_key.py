# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailauth.dkim.dkim_key as a user runs it: ansible-playbook on localhost in a temporary directory."""

from __future__ import absolute_import, division, print_function

import base64
import grp
import json
import os
import subprocess
import sys
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from keyleak import leaks


def read(path):
    with open(str(path), 'rb') as handle:
        return handle.read()


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def public_of(pem):
    key = serialization.load_pem_private_key(pem, password=None)
    pub = key.public_key()
    try:
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    except ValueError:
        raw = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize('extra, header, size', [
    ('', b'-----BEGIN RSA PRIVATE KEY-----', 2048),
    ('key_size: 1024', b'-----BEGIN RSA PRIVATE KEY-----', 1024),
    ('key_type: ed25519', b'-----BEGIN PRIVATE KEY-----', 256),
])
def test_check_apply_check_apply(tmp_path, run_playbook, extra, header, size):
    key = tmp_path / 'keys' / 'example.com.mail.private'
    key.parent.mkdir()
    tasks = '''
- name: Key
  mailauth.dkim.dkim_key:
    path: %s
    domain: Example.COM
    selector: mail
    %s
''' % (key, extra)

    first = run_playbook(tasks, check=True)
    assert first.rc == 0, first.stdout
    res = first.result('Key')
    assert res['changed'] is True
    assert res['status'] == 'created'
    assert res['public_key'] is None and res['record'] is None
    assert not key.exists()
    assert os.listdir(str(key.parent)) == []

    second = run_playbook(tasks)
    assert second.rc == 0, second.stdout
    res = second.result('Key')
    assert res['changed'] is True
    pem = read(key)
    assert pem.startswith(header)
    assert mode(key) == 0o600
    assert os.listdir(str(key.parent)) == ['example.com.mail.private']  # no temp files left
    assert res['filename'] == str(key)
    assert res['size'] == size
    assert res['public_key'] == public_of(pem)
    assert res['record']['fqdn'] == 'mail._domainkey.example.com.'
    assert res['record']['value'].endswith('; p=' + res['public_key'])
    assert res['record']['kind'] == 'dkim'
    assert leaks([pem], second.stdout, second.stderr) == []

    third = run_playbook(tasks, check=True)
    res3 = third.result('Key')
    assert res3['changed'] is False
    assert res3['status'] == 'kept'
    assert res3['public_key'] == res['public_key']
    assert res3['fingerprint'] == res['fingerprint']

    stat_before = os.stat(str(key))
    fourth = run_playbook(tasks)
    res4 = fourth.result('Key')
    assert res4['changed'] is False
    assert res4['record'] == res['record']
    assert read(key) == pem
    assert os.stat(str(key)).st_mtime_ns == stat_before.st_mtime_ns
    assert os.stat(str(key)).st_ino == stat_before.st_ino


def test_diff_shows_metadata_not_key(tmp_path, run_playbook):
    key = tmp_path / 'k.private'
    run = run_playbook('''
- name: Key
  mailauth.dkim.dkim_key:
    path: %s
    domain: example.com
    selector: s1
''' % key, diff=True, callback='default')
    assert run.rc == 0, run.stdout
    pem = read(key)
    assert '+selector: s1' in run.stdout
    assert '+size: 2048' in run.stdout
    assert '+fingerprint: ' in run.stdout
    assert leaks([pem], run.stdout, run.stderr) == []


def test_list_form_many_keys_one_task(tmp_path, run_playbook):
    tasks = '''
- name: Keys
  mailauth.dkim.dkim_key:
    key_size: 1024
    keys:
      - {path: %(d)s/a.private, domain: a.example, selector: mail}
      - {path: %(d)s/b.private, domain: b.example, selector: mail, key_type: ed25519, testing: true}
      - {path: %(d)s/c.private, domain: c.example, selector: big, key_size: 2048}
''' % {'d': tmp_path}
    check = run_playbook(tasks, check=True)
    assert check.result('Keys')['changed'] is True
    assert [k['status'] for k in check.result('Keys')['key_results']] == ['created'] * 3
    assert not any(n.endswith('.private') for n in os.listdir(str(tmp_path)))

    apply = run_playbook(tasks)
    keys = apply.result('Keys')['key_results']
    assert [(k['path'], k['type'], k['size'], k['changed']) for k in keys] == [
        (str(tmp_path / 'a.private'), 'rsa', 1024, True),
        (str(tmp_path / 'b.private'), 'ed25519', 256, True),
        (str(tmp_path / 'c.private'), 'rsa', 2048, True),
    ]
    assert keys[1]['record']['value'].startswith('v=DKIM1; k=ed25519; t=y; p=')
    assert len(base64.b64decode(keys[1]['public_key'])) == 32
    contents = dict((n, read(tmp_path / n)) for n in ('a.private', 'b.private', 'c.private'))
    assert all(mode(tmp_path / n) == 0o600 for n in contents)

    again = run_playbook(tasks, check=True)
    assert again.result('Keys')['changed'] is False
    final = run_playbook(tasks)
    assert final.result('Keys')['changed'] is False
    assert [k['public_key'] for k in final.result('Keys')['key_results']] == [k['public_key'] for k in keys]
    assert dict((n, read(tmp_path / n)) for n in contents) == contents


def test_list_form_generates_in_worker_processes(tmp_path, run_playbook):
    tasks = '''
- name: Keys
  mailauth.dkim.dkim_key:
    key_size: 1024
    workers: 2
    keys:
''' + ''.join('      - {path: %s/k%d, domain: d%d.example, selector: mail}\n' % (tmp_path, i, i) for i in range(6))
    first = run_playbook(tasks)
    keys = first.result('Keys')['key_results']
    assert [k['status'] for k in keys] == ['created'] * 6
    for k in keys:
        assert public_of(read(k['path'])) == k['public_key']
        assert mode(k['path']) == 0o600
    assert len(set(k['public_key'] for k in keys)) == 6
    again = run_playbook(tasks).result('Keys')
    assert again['changed'] is False
    assert [k['public_key'] for k in again['key_results']] == [k['public_key'] for k in keys]


def test_mismatch_is_reported_then_force_replaces_with_backup(tmp_path, run_playbook):
    key = tmp_path / 'k.private'
    small = '''
- name: Key
  mailauth.dkim.dkim_key: {path: %s, domain: example.com, selector: mail, key_size: 1024}
''' % key
    run_playbook(small)
    old = read(key)

    big = small.replace('key_size: 1024', 'key_size: 2048')
    kept = run_playbook(big)
    res = kept.result('Key')
    assert res['changed'] is False
    assert res['status'] == 'kept'
    assert res['size'] == 1024
    assert res['mismatch'] == 'existing key is rsa 1024, requested rsa 2048'
    assert any('existing key is rsa 1024, requested rsa 2048' in w for w in res.get('warnings', []))
    assert read(key) == old

    wrong_type = run_playbook(small.replace('key_size: 1024', 'key_type: ed25519')).result('Key')
    assert wrong_type['mismatch'] == 'existing key is rsa 1024, requested ed25519'
    assert read(key) == old

    forced = big.replace('key_size: 2048', 'key_size: 2048, force: true')
    check = run_playbook(forced, check=True).result('Key')
    assert check['changed'] is True and check['status'] == 'replaced'
    assert read(key) == old

    replaced = run_playbook(forced).result('Key')
    assert replaced['changed'] is True
    assert replaced['size'] == 2048
    backup = replaced['backup_file']
    assert backup.startswith(str(key) + '.') and backup.endswith('.bak')
    assert read(backup) == old
    assert mode(backup) == 0o600
    new = read(key)
    assert new != old

    # force does not replace a key that matches the request: still idempotent
    again = run_playbook(forced).result('Key')
    assert again['changed'] is False
    assert read(key) == new


def test_unreadable_existing_file_is_left_alone_unless_forced(tmp_path, run_playbook):
    key = tmp_path / 'k.private'
    key.write_bytes(b'this is not a key\n')
    tasks = '''
- name: Key
  mailauth.dkim.dkim_key: {path: %s, domain: example.com, selector: mail}
''' % key
    failed = run_playbook(tasks)
    res = failed.result('Key')
    assert res['failed'] is True
    assert res['msg'] == ('%s does not hold a readable PEM private key; it was left alone. Set force=true to '
                          'replace it (the old file is kept as a backup)' % key)
    assert read(key) == b'this is not a key\n'

    forced = run_playbook(tasks.replace('selector: mail', 'selector: mail, force: true')).result('Key')
    assert forced['changed'] is True
    assert read(forced['backup_file']) == b'this is not a key\n'
    assert read(key).startswith(b'-----BEGIN RSA PRIVATE KEY-----')


def test_mode_owner_and_existing_key_permissions(tmp_path, run_playbook):
    key = tmp_path / 'k.private'
    # The group of the user running the tests (root in CI on the host, `ansible` in the controller containers).
    group = grp.getgrgid(os.getgid()).gr_name
    tasks = '''
- name: Key
  mailauth.dkim.dkim_key: {path: %s, domain: example.com, selector: mail, mode: '0640', group: %s}
''' % (key, group)
    run_playbook(tasks)
    assert mode(key) == 0o640
    assert grp.getgrgid(os.stat(str(key)).st_gid).gr_name == group
    pem = read(key)
    os.chmod(str(key), 0o644)
    # default mode is 0600 and it is applied to an existing key too, without touching its content
    fixed = run_playbook(tasks.replace(", mode: '0640', group: %s" % group, '')).result('Key')
    assert fixed['changed'] is True and fixed['status'] == 'kept'
    assert mode(key) == 0o600
    assert read(key) == pem


def test_symbolic_links_are_not_followed_with_the_real_module(tmp_path, run_playbook):
    # With a real AnsibleModule that would set mode 0600 (and the group): a key path that is a link to a key
    # elsewhere, and a key directory that is a link, fail naming the link; the targets keep mode and content.
    outside = tmp_path / 'outside'
    outside.mkdir()
    other = outside / 'other.private'
    run_playbook("- name: Key\n  mailauth.dkim.dkim_key: {path: %s, domain: example.org, selector: o, key_type: ed25519}\n"
                 % other)
    os.chmod(str(other), 0o644)
    pem = read(other)
    keys = tmp_path / 'keys'
    keys.mkdir()
    (keys / 'k.private').symlink_to(other)
    (tmp_path / 'linked').symlink_to(outside, target_is_directory=True)
    group = grp.getgrgid(os.getgid()).gr_name
    run = run_playbook('''
- name: Key link
  mailauth.dkim.dkim_key: {path: %s/k.private, domain: example.com, selector: mail, mode: '0600', group: %s}
  ignore_errors: true
- name: Directory link
  mailauth.dkim.dkim_key: {path: %s/linked/new.private, domain: example.com, selector: new, mode: '0600'}
  ignore_errors: true
''' % (keys, group, tmp_path))
    key_link, dir_link = run.result('Key link'), run.result('Directory link')
    assert key_link['failed'] is True and dir_link['failed'] is True
    assert ('key %s/k.private is a symbolic link to %s: dkim_key does not read, replace, remove or change the owner '
            'or mode of a key through a link' % (keys, other)) in key_link['msg']
    assert ('directory %s/linked of key %s/linked/new.private is a symbolic link to %s' % (tmp_path, tmp_path, outside)
            in dir_link['msg'])
    assert mode(other) == 0o644 and read(other) == pem
    assert sorted(os.listdir(str(outside))) == ['other.private'] and os.listdir(str(keys)) == ['k.private']
    assert not leaks([pem], run.stdout, run.stderr)


def test_state_absent(tmp_path, run_playbook):
    key = tmp_path / 'k.private'
    run_playbook('''
- name: Key
  mailauth.dkim.dkim_key: {path: %s, domain: example.com, selector: mail, key_type: ed25519}
''' % key)
    pem = read(key)
    absent = '''
- name: Remove
  mailauth.dkim.dkim_key: {path: %s, state: absent, backup: true}
''' % key
    check = run_playbook(absent, check=True).result('Remove')
    assert check['changed'] is True
    diff = run_playbook(absent, check=True, diff=True, callback='default')
    assert '-type: ed25519' in diff.stdout and '-fingerprint: ' in diff.stdout
    assert read(key) == pem
    removed = run_playbook(absent).result('Remove')
    assert removed['changed'] is True
    assert not key.exists()
    assert read(removed['backup_file']) == pem
    assert run_playbook(absent).result('Remove')['changed'] is False


def test_old_option_names_type_and_size_still_work_with_a_deprecation(tmp_path, run_playbook):
    tasks = """
- name: Single
  mailauth.dkim.dkim_key: {path: %(d)s/s.private, domain: example.com, selector: s, type: rsa, size: 1024}
- name: List
  mailauth.dkim.dkim_key:
    type: ed25519
    keys:
      - {path: %(d)s/a.private, domain: example.com, selector: a}
      - {path: %(d)s/b.private, domain: example.com, selector: b, type: rsa, size: 1024}
""" % {'d': tmp_path}
    run = run_playbook(tasks)
    assert run.rc == 0, run.stdout
    single = run.result('Single')
    assert (single['type'], single['size']) == ('rsa', 1024)
    listed = run.result('List')['key_results']
    assert [(k['type'], k['size']) for k in listed] == [('ed25519', 256), ('rsa', 1024)]
    deprecations = [(d['msg'], d.get('version'), d.get('collection_name'))
                    for d in single.get('deprecations', []) + run.result('List').get('deprecations', [])]
    assert sorted(deprecations) == sorted(
        ("Alias '%s' is deprecated. See the module docs for more information" % name, '1.0.0', 'mailauth.dkim')
        for name in ('type', 'size', 'type', 'keys[1].type', 'keys[1].size'))


def test_no_private_key_bytes_in_results_diffs_or_warnings(tmp_path, run_playbook):
    """Create, keep with a mismatch warning, replace with a backup and remove with a backup, all with --diff:
    no byte of any private key (old or new) appears in the results, diffs, warnings or anything printed."""
    d = str(tmp_path)
    create = """
- name: Keys
  mailauth.dkim.dkim_key:
    keys:
      - {path: %(d)s/r.private, domain: example.com, selector: r, key_size: 1024}
      - {path: %(d)s/e.private, domain: example.com, selector: e, key_type: ed25519}
""" % {'d': d}
    outputs = []
    pems = []
    for run_args in ((create, {'check': True}), (create, {})):
        run = run_playbook(run_args[0], diff=True, **run_args[1])
        assert run.rc == 0, run.stdout
        outputs += [run.stdout, run.stderr]
    pems += [read(tmp_path / 'r.private'), read(tmp_path / 'e.private')]

    mismatch = create.replace('key_size: 1024', 'key_size: 2048').replace('key_type: ed25519', 'key_type: rsa')
    kept = run_playbook(mismatch, diff=True)
    warnings = kept.result('Keys').get('warnings', [])
    assert len(warnings) == 2, kept.stdout
    outputs += [kept.stdout, kept.stderr]

    replaced = run_playbook(mismatch.replace('    keys:', '    force: true\n    keys:'), diff=True)
    results = replaced.result('Keys')
    assert [k['status'] for k in results['key_results']] == ['replaced', 'replaced']
    assert all(k['backup_file'] for k in results['key_results'])
    assert results['diff'], results
    outputs += [replaced.stdout, replaced.stderr]
    pems += [read(tmp_path / 'r.private'), read(tmp_path / 'e.private')]

    absent = """
- name: Remove
  mailauth.dkim.dkim_key:
    state: absent
    backup: true
    keys: [{path: %(d)s/r.private}, {path: %(d)s/e.private}]
""" % {'d': d}
    removed = run_playbook(absent, diff=True)
    assert removed.result('Remove')['changed'] is True
    outputs += [removed.stdout, removed.stderr]
    shown = run_playbook(create, diff=True, check=True, callback='default')  # the diff as a user reads it
    outputs += [shown.stdout, shown.stderr]

    assert len(set(pems)) == 4
    assert leaks(pems, *outputs) == []
    # The check has teeth: the key files and a PEM given as a module argument would be found.
    assert leaks(pems[:1], pems[0].decode())
    assert leaks(pems[3:], json.dumps({'msg': base64.b64encode(
        serialization.load_pem_private_key(pems[3], password=None).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())).decode()}))


BAD_INPUT = [
    # (name, module arguments, text the error must contain)
    ('size_small', '{path: "%(d)s/k", domain: example.com, selector: mail, key_size: 512}',
     'size 512 is too small: RSA keys under 1024 bits are rejected by receivers (RFC 8301)'),
    ('size_small_old_name', '{path: "%(d)s/k", domain: example.com, selector: mail, size: 512}',
     'size 512 is too small: RSA keys under 1024 bits are rejected by receivers (RFC 8301)'),
    ('size_large', '{path: "%(d)s/k", domain: example.com, selector: mail, key_size: 8192}',
     'size 8192 is too large'),
    ('size_text', '{path: "%(d)s/k", domain: example.com, selector: mail, key_size: big}',
     "'big'"),
    ('type', '{path: "%(d)s/k", domain: example.com, selector: mail, key_type: dsa}',
     'value of key_type must be one of: rsa, ed25519, got: dsa'),
    ('type_old_name', '{path: "%(d)s/k", domain: example.com, selector: mail, type: dsa}',
     'value of key_type must be one of: rsa, ed25519, got: dsa'),
    ('domain', '{path: "%(d)s/k", domain: "exa mple.com", selector: mail}',
     "domain 'exa mple.com' has an invalid label 'exa mple'"),
    ('domain_single_label', '{path: "%(d)s/k", domain: localhost, selector: mail}',
     "domain 'localhost' is not a fully qualified domain name"),
    ('selector', '{path: "%(d)s/k", domain: example.com, selector: mail_2024}',
     "selector 'mail_2024' has an invalid label 'mail_2024'"),
    ('selector_missing', '{path: "%(d)s/k", domain: example.com}',
     'selector is required when state=present (key %(d)s/k)'),
    ('directory', '{path: "%(d)s/missing/k", domain: example.com, selector: mail}',
     'directory %(d)s/missing for key %(d)s/missing/k does not exist'),
    ('ttl', '{path: "%(d)s/k", domain: example.com, selector: mail, ttl: -1}',
     'ttl must be an integer between 0 and 2147483647, got -1'),
    ('owner', '{path: "%(d)s/k", domain: example.com, selector: mail, owner: no-such-user-x}',
     "owner 'no-such-user-x' does not exist on this host"),
    ('group', '{keys: [{path: "%(d)s/a", domain: example.com, selector: a}], group: no-such-group-x}',
     "group 'no-such-group-x' does not exist on this host"),
    ('workers', '{keys: [{path: "%(d)s/a", domain: example.com, selector: a}], workers: -1}',
     'workers must be 0 (one per CPU) or a positive number, got -1'),
    ('path_and_keys', '{path: "%(d)s/k", keys: [{path: "%(d)s/j", domain: example.com, selector: mail}]}',
     'parameters are mutually exclusive: path|keys'),
    ('list_one_bad_item', '{keys: [{path: "%(d)s/a", domain: example.com, selector: a},'
                          ' {path: "%(d)s/b", domain: example.com, selector: b, key_size: 1000}]}',
     'keys[1]: size 1000 is too small'),
    ('list_same_path', '{keys: [{path: "%(d)s/a", domain: example.com, selector: a},'
                       ' {path: "%(d)s/a", domain: example.org, selector: a}]}',
     'keys[1]: path %(d)s/a is also used by keys[0]'),
    ('list_same_name', '{keys: [{path: "%(d)s/a", domain: example.com, selector: a},'
                       ' {path: "%(d)s/b", domain: Example.com, selector: A}]}',
     "keys[1]: selector 'a' of domain example.com is also used by %(d)s/a"),
]


@pytest.fixture(scope='module')
def bad_input_run(tmp_path_factory, ansible_env):
    """All bad-input cases in one playbook run (each in its own directory, errors ignored)."""

    base = tmp_path_factory.mktemp('bad')
    tasks = []
    for name, args, dummy in BAD_INPUT:
        d = base / name
        d.mkdir()
        tasks.append('    - name: %s\n      mailauth.dkim.dkim_key: %s\n      ignore_errors: true\n'
                     % (name, args % {'d': d}))
    playbook = base / 'bad.yml'
    playbook.write_text('- name: Bad input\n  hosts: localhost\n  connection: local\n  gather_facts: false\n'
                        '  tasks:\n' + ''.join(tasks))
    playbook_bin, env = ansible_env
    proc = subprocess.run([playbook_bin, '-i', 'localhost,', '-e',
                           'ansible_python_interpreter=%s' % sys.executable, str(playbook)],
                          env=env, capture_output=True, text=True, check=False, timeout=600, cwd=str(base))
    output = json.loads(proc.stdout[proc.stdout.find('{'):])
    results = {}
    for task in output['plays'][0]['tasks']:
        results[task['task']['name']] = task['hosts']['localhost']
    return base, results


@pytest.mark.parametrize('name, args, message', BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_fails_naming_value_and_creates_nothing(bad_input_run, name, args, message):
    base, results = bad_input_run
    d = base / name
    res = results[name]
    assert res.get('failed') is True, res
    assert message % {'d': d} in res['msg']
    assert os.listdir(str(d)) == []


def _pem(key_type='rsa', size=1024):
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    if key_type == 'ed25519':
        key = ed25519.Ed25519PrivateKey.generate()
        fmt = serialization.PrivateFormat.PKCS8
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=size)
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def test_a_given_private_key_is_installed_kept_and_never_shown(tmp_path, run_playbook):
    """The role's shared fleet keys: the key read on one host is installed on another, and stays private."""
    given = _pem('rsa', 1024)
    (tmp_path / 'given.pem').write_bytes(given)
    key = tmp_path / 'keys' / 'example.com.mail.private'
    key.parent.mkdir()
    tasks = '''
- name: Key
  mailauth.dkim.dkim_key:
    keys:
      - path: %s
        domain: example.com
        selector: mail
        key_size: 1024
        private_key: "{{ lookup('file', '%s') }}"
''' % (key, tmp_path / 'given.pem')
    first = run_playbook(tasks, diff=True, extra_args=['-vvv'])
    assert first.rc == 0, first.stdout
    [res] = first.result('Key')['key_results']
    assert (res['changed'], res['status']) == (True, 'created')
    assert read(key).strip() == given.strip()
    assert mode(key) == 0o600
    assert res['public_key'] == public_of(given)
    again = run_playbook(tasks, diff=True, extra_args=['-vvv'])
    [res] = again.result('Key')['key_results']
    assert (again.result('Key')['changed'], res['status']) == (False, 'kept')
    assert leaks([given], first.stdout, first.stderr, again.stdout, again.stderr) == []


@pytest.mark.parametrize('existing, given, extra, message', [
    ('rsa', 'rsa', '', 'holds another key (fingerprint '),
    (None, 'ed25519', '', 'the private_key given for {path} does not match the request: given key is ed25519 256, '
                          'requested rsa'),
    (None, 'rsa', 'key_size: 2048', 'the private_key given for {path} does not match the request: given key is rsa '
                                    '1024, requested rsa 2048'),
    (None, 'garbage', '', 'the private_key given for {path} does not hold a readable PEM private key'),
])
def test_a_given_private_key_never_replaces_another_or_installs_a_wrong_one(
        tmp_path, run_playbook, existing, given, extra, message):
    pem = b'-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n' \
        if given == 'garbage' else _pem(given)
    (tmp_path / 'given.pem').write_bytes(pem)
    key = tmp_path / 'keys' / 'example.com.mail.private'
    key.parent.mkdir()
    old = None
    if existing:
        old = _pem(existing)
        key.write_bytes(old)
        key.chmod(0o600)
    tasks = '''
- name: Key
  mailauth.dkim.dkim_key:
    keys:
      - path: %s
        domain: example.com
        selector: mail
        key_type: rsa
        private_key: "{{ lookup('file', '%s') }}"
        %s
''' % (key, tmp_path / 'given.pem', extra or 'key_size: 1024')
    run = run_playbook(tasks, extra_args=['-vvv'])
    res = run.result('Key')
    assert res.get('failed') is True, res
    assert message.format(path=key) in res['msg']
    assert (read(key) if existing else None) == old
    if not existing:
        assert os.listdir(str(key.parent)) == []
    if given != 'garbage':
        assert leaks([pem], run.stdout, run.stderr) == []
