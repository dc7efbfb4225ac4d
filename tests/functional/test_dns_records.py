# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailauth.dkim.dns_records as a user runs it: ansible-playbook on localhost in a temporary directory."""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

import dns.zone
import pytest

ED_KEY = '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo='  # RFC 8463 appendix A public key


def load_zone(text):
    return dns.zone.from_text(text, origin='.', relativize=False, check_origin=False)


def test_key_then_records_check_apply_check_apply(tmp_path, run_playbook):
    zone_file = tmp_path / 'dns' / 'example.com.zone'
    zone_file.parent.mkdir()
    tasks = '''
- name: Key
  mailauth.dkim.dkim_key:
    path: %(d)s/example.com.mail.private
    domain: example.com
    selector: mail
    key_size: 4096
  register: key
- name: Records
  mailauth.dkim.dns_records:
    domain: example.com
    dkim:
      - record: "{{ key.record }}"
      - {selector: ed, public_key: %(ed)s, testing: true}
    spf: {mx: true, ip4: [192.0.2.25], ip6: ['2001:db8::25'], include: [_spf.provider.example]}
    dmarc: {policy: quarantine, pct: 50, rua: mailto:dmarc@example.com, adkim: strict}
    ttl: 600
    dest: %(z)s
''' % {'d': tmp_path, 'ed': ED_KEY, 'z': zone_file}

    check = run_playbook(tasks, check=True)
    assert check.rc == 0, check.stdout
    res = check.result('Records')
    assert res['changed'] is True
    assert any('dkim[0] has no record yet' in w for w in res.get('warnings', []))
    assert [r['fqdn'] for r in res['records']] == ['ed._domainkey.example.com.', 'example.com.',
                                                   '_dmarc.example.com.']
    assert not zone_file.exists()

    apply = run_playbook(tasks)
    assert apply.rc == 0, apply.stdout
    key = apply.result('Key')
    res = apply.result('Records')
    assert res['changed'] is True
    records = dict((r['fqdn'], r) for r in res['records'])
    dkim = records['mail._domainkey.example.com.']
    assert dkim['value'] == key['record']['value']
    assert dkim['size'] == 4096 and dkim['fingerprint'] == key['fingerprint']
    assert [len(s) for s in dkim['strings']] == [255, 255, 244]
    assert dkim['ttl'] == 600
    assert records['ed._domainkey.example.com.']['value'] == 'v=DKIM1; k=ed25519; t=y; p=' + ED_KEY
    assert records['example.com.']['value'] == ('v=spf1 mx ip4:192.0.2.25 ip6:2001:db8::25 '
                                                'include:_spf.provider.example -all')
    assert records['_dmarc.example.com.']['value'] == ('v=DMARC1; p=quarantine; adkim=s; pct=50; '
                                                       'rua=mailto:dmarc@example.com')
    text = zone_file.read_text()
    assert text == res['zone']
    zone = load_zone(text)
    txt = list(zone.find_rdataset('mail._domainkey.example.com.', 'TXT'))[0]
    assert b''.join(txt.strings).decode() == dkim['value']

    again = run_playbook(tasks, check=True)
    assert again.result('Records')['changed'] is False
    mtime = os.stat(str(zone_file)).st_mtime_ns
    final = run_playbook(tasks)
    assert final.result('Records')['changed'] is False
    assert final.result('Records')['records'] == res['records']
    assert os.stat(str(zone_file)).st_mtime_ns == mtime


def test_zone_change_shows_diff(tmp_path, run_playbook):
    zone_file = tmp_path / 'z.zone'
    tasks = '''
- name: Records
  mailauth.dkim.dns_records:
    domain: example.com
    spf: {mx: true}
    dest: %s
''' % zone_file
    run_playbook(tasks)
    changed = run_playbook(tasks.replace('mx: true', 'mx: true, all: softfail'), diff=True, callback='default')
    assert changed.rc == 0, changed.stdout
    assert '-example.com. 3600 IN TXT "v=spf1 mx -all"' in changed.stdout
    assert '+example.com. 3600 IN TXT "v=spf1 mx ~all"' in changed.stdout
    assert 'v=spf1 mx ~all' in zone_file.read_text()


def test_domains_list_and_ptr(tmp_path, run_playbook):
    run = run_playbook('''
- name: Records
  mailauth.dkim.dns_records:
    domains:
      - {domain: example.com, spf: {mx: true}, dmarc: {policy: reject}}
      - {domain: example.net, spf: {include: [example.com]}, dmarc: {policy: none}, ttl: 300}
    ptr:
      - {ip: 192.0.2.25, name: mail.example.com}
''')
    res = run.result('Records')
    assert [(r['fqdn'], r['kind'], r['ttl']) for r in res['records']] == [
        ('example.com.', 'spf', 3600), ('_dmarc.example.com.', 'dmarc', 3600),
        ('example.net.', 'spf', 300), ('_dmarc.example.net.', 'dmarc', 300),
        ('25.2.0.192.in-addr.arpa.', 'ptr', 3600),
    ]
    zone = load_zone(res['zone'])
    assert list(zone.find_rdataset('25.2.0.192.in-addr.arpa.', 'PTR'))[0].target.to_text() == 'mail.example.com.'


ELEVEN = ', '.join('i%d.example' % i for i in range(11))
BAD_INPUT = [
    ('dmarc_policy', '{domain: example.com, dmarc: {policy: block}}',
     'value of policy must be one of: none, quarantine, reject, got: block'),
    ('dmarc_pct', '{domain: example.com, dmarc: {policy: none, pct: 101}}',
     'dmarc.pct must be an integer from 0 to 100, got 101'),
    ('dmarc_rua', '{domain: example.com, dmarc: {policy: none, rua: dmarc@example.com}}',
     "dmarc.rua entry 'dmarc@example.com' is not a mailto: URI (write mailto:dmarc@example.com)"),
    ('dmarc_fo', '{domain: example.com, dmarc: {policy: none, fo: "2"}}',
     "dmarc.fo must be 0, 1, d or s, or several joined by \":\" (e.g. 1:d), got '2'"),
    ('spf_lookups', '{domain: example.com, spf: {include: [%s]}}' % ELEVEN,
     'SPF for example.com needs 11 DNS lookups'),
    ('spf_ip4', '{domain: example.com, spf: {ip4: [192.0.2.300]}}',
     "spf.ip4 entry '192.0.2.300' is not an IPv4 address or network"),
    ('spf_all', '{domain: example.com, spf: {all: pass}}',
     'value of all must be one of: fail, softfail, neutral, got: pass'),
    ('domain', '{domain: "example..com", spf: {mx: true}}', "domain 'example..com' has an empty label"),
    ('public_key', '{domain: example.com, dkim: [{selector: mail, public_key: "bm90IGEga2V5"}]}',
     "dkim[0] (selector 'mail'): public_key 'bm90IGEga2V5' is not an RSA SubjectPublicKeyInfo nor a raw "
     "32-byte ed25519 key"),
    ('key_type', '{domain: example.com, dkim: [{selector: mail, key_type: rsa, public_key: "%s"}]}' % ED_KEY,
     "dkim[0] (selector 'mail'): public_key '%s' is a raw 32-byte ed25519 key but key_type is rsa" % ED_KEY),
    ('selector', '{domain: example.com, dkim: [{selector: "m_1", public_key: "%s"}]}' % ED_KEY,
     "selector 'm_1' has an invalid label 'm_1'"),
    ('same_selector', '{domain: example.com, dkim: [{selector: a, public_key: "%s"}, {selector: A, public_key: '
                      '"%s"}]}' % (ED_KEY, ED_KEY),
     'two TXT records for a._domainkey.example.com. (dkim and dkim): publish one per name'),
    ('ttl', '{domain: example.com, spf: {mx: true}, ttl: -5}',
     'ttl must be an integer between 0 and 2147483647, got -5'),
    ('ptr', '{ptr: [{ip: 192.0.2.1, name: mail}]}',
     "ptr[0]: ptr entry name 'mail' is not a fully qualified domain name"),
    ('domains_item', '{domains: [{domain: example.com, dmarc: {policy: none, pct: 500}}]}',
     'dmarc.pct must be an integer from 0 to 100, got 500'),
    ('domains_unknown_key', '{domains: [{domain: example.com, dkim_keys: []}]}',
     'domains[0]: dkim_keys. Supported parameters include'),
]


@pytest.fixture(scope='module')
def bad_input_run(tmp_path_factory, ansible_env):
    """All bad-input cases in one playbook run, each with a dest that must not be created."""

    base = tmp_path_factory.mktemp('bad')
    tasks = []
    for name, args, dummy in BAD_INPUT:
        args = args[:-1] + ', dest: "%s"}' % (base / (name + '.zone'))
        tasks.append('    - name: %s\n      mailauth.dkim.dns_records: %s\n      ignore_errors: true\n' % (name, args))
    playbook = base / 'bad.yml'
    playbook.write_text('- name: Bad input\n  hosts: localhost\n  connection: local\n  gather_facts: false\n'
                        '  tasks:\n' + ''.join(tasks))
    playbook_bin, env = ansible_env
    proc = subprocess.run([playbook_bin, '-i', 'localhost,', '-e',
                           'ansible_python_interpreter=%s' % sys.executable, str(playbook)],
                          env=env, capture_output=True, text=True, check=False, timeout=600, cwd=str(base))
    output = json.loads(proc.stdout[proc.stdout.find('{'):])
    return base, dict((t['task']['name'], t['hosts']['localhost']) for t in output['plays'][0]['tasks'])


@pytest.mark.parametrize('name, args, message', BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_fails_naming_value_and_writes_nothing(bad_input_run, name, args, message):
    base, results = bad_input_run
    res = results[name]
    assert res.get('failed') is True, res
    assert message in res['msg']
    assert not (base / (name + '.zone')).exists()


def test_dest_directory_must_exist(tmp_path, run_playbook):
    run = run_playbook('''
- name: Records
  mailauth.dkim.dns_records: {domain: example.com, spf: {mx: true}, dest: %s/no/such/dir/z.zone}
''' % tmp_path)
    res = run.result('Records')
    assert res['failed'] is True
    assert res['msg'] == 'directory %s/no/such/dir for dest %s/no/such/dir/z.zone does not exist' % (tmp_path, tmp_path)
