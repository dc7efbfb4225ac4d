# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/opendkim/tasks/publish.yml run by ansible-playbook against the in-process DNS server.

Two hosts (local connection) stand in for two mail servers that the role has already configured: each has
the fact opendkim_dns_records and the opendkim_dns_update settings. The step must publish every host's
records and PTR items in one run (once per play, on the controller), check them, and change nothing the
second time; in check mode it must send nothing.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import (
    dkim_record,
    dmarc_record,
    spf_record,
)
from ansible_collections.mailauth.dkim.tests.unit.dnsserver import (
    TSIG_NAME,
    TSIG_SECRET,
    WRONG_SECRET,
    DNSServer,
    lab_zones,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
PLAYBOOK = """
- name: Publish as the role's last step does
  hosts: mailservers
  gather_facts: false
  serial: %(serial)s
  tasks:
    - name: Run the publication step of the role
      ansible.builtin.include_role:
        name: mailauth.dkim.opendkim
        tasks_from: publish.yml
"""
P = ('MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC5fbfZ0kUUSlCDSIaNwZxlJBRnGzdBmsmfeuXCB0kxJ9H2w6Lde9uJxLhmUqB51fTSM'
     'yxH6+7ibhWBnOwtb3GPDkQL7Mes6VZ16n5Y0zm0rSSUr0WddGXpQ6V6+4ZxIA5l6OKlSOfVY7YzqqDbppSlc0pvaVaQTpYqrPNKYhh7cQIDAQAB')


def host_vars(domain, ip, secret):
    return {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
        'opendkim_dns_records': [
            dkim_record(domain, 'mail', P),
            spf_record(domain, {'ip4': [ip]}),
            dmarc_record(domain, {'policy': 'reject'}),
        ],
        'opendkim_dns_update': {
            'server': '127.0.0.1',
            'port': None,  # filled in per test
            'tsig_key_name': TSIG_NAME,
            'tsig_key_secret': secret,
            'ptr': [{'ip': ip, 'name': 'mx.%s' % domain}],
            'check_timeout': 5,
            'check_fail_on': 'not_ready',
        },
    }


@pytest.fixture
def server():
    zones = lab_zones()
    zones['example.net.'] = zones['example.com.']
    with DNSServer(zones, {TSIG_NAME: TSIG_SECRET}) as srv:
        # the forward side of the PTR records, so the sending hosts are forward-confirmed
        srv.set_records('mx.example.com.', 'A', 300, ['192.0.2.25'])
        srv.set_records('mx.example.net.', 'A', 300, ['192.0.2.26'])
        yield srv


def play(tmp_path, server, secret=TSIG_SECRET, check=False, update=None, serial='100%', extra_args=(), dmarc1=None):
    hosts = {'mail1': host_vars('example.com', '192.0.2.25', secret),
             'mail2': host_vars('example.net', '192.0.2.26', secret)}
    if dmarc1:
        hosts['mail1']['opendkim_dns_records'][2] = dmarc_record('example.com', dmarc1)
    for item in hosts.values():
        item['opendkim_dns_update']['port'] = server.port
        item['opendkim_dns_update'].update(update or {})
    (tmp_path / 'inventory.json').write_text(json.dumps({'mailservers': {'hosts': hosts}}))
    (tmp_path / 'play.yml').write_text(PLAYBOOK % {'serial': serial})
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(tmp_path / 'inventory.json'),
           str(tmp_path / 'play.yml')]
    if check:
        cmd.append('--check')
    cmd += list(extra_args)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc


def recap(output, host):
    for line in output.splitlines():
        if line.startswith(host + ' ') and 'ok=' in line:
            return dict(part.split('=') for part in line.split(':', 1)[1].split())
    raise AssertionError('no recap for %s in:\n%s' % (host, output))


def test_publish_step_check_apply_again(tmp_path, server):
    checked = play(tmp_path, server, check=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert server.updates == []
    assert recap(checked.stdout, 'mail1')['changed'] == '1'

    applied = play(tmp_path, server)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # one UPDATE per zone: example.com, example.net and the IPv4 reverse zone; all records of both hosts
    assert sorted(u['message'].zone[0].name.to_text() for u in server.updates) == [
        '2.0.192.in-addr.arpa.', 'example.com.', 'example.net.']
    for domain, ip, last in (('example.com', '192.0.2.25', '25'), ('example.net', '192.0.2.26', '26')):
        assert server.txt_strings('_dmarc.%s.' % domain) == [(b'v=DMARC1; p=reject',)]
        assert b''.join(server.txt_strings('mail._domainkey.%s.' % domain)[0]).decode().endswith(P)
        assert (('v=spf1 ip4:%s -all' % ip).encode(),) in server.txt_strings('%s.' % domain)
        assert [rd.to_text() for rd in server.rrset('%s.2.0.192.in-addr.arpa.' % last, 'PTR')] == [
            'mx.%s.' % domain]
    # each domain is checked against its own host's address only, and everything is green
    assert '"example.com: READY"' in applied.stdout and '"example.net: READY"' in applied.stdout
    assert 'SPF of example.com for 192.0.2.25: pass' in applied.stdout
    assert 'SPF of example.com for 192.0.2.26' not in applied.stdout
    assert '192.0.2.26 -> mx.example.net. -> 192.0.2.26 (forward-confirmed)' in applied.stdout
    assert 'published mail._domainkey.example.net. TXT' in applied.stdout
    assert TSIG_SECRET not in applied.stdout + applied.stderr

    again = play(tmp_path, server)
    assert again.returncode == 0, again.stdout + again.stderr
    assert recap(again.stdout, 'mail1')['changed'] == '0'
    assert len(server.updates) == 3


def test_publish_step_wrong_secret_fails_clearly(tmp_path, server):
    proc = play(tmp_path, server, secret=WRONG_SECRET)
    assert proc.returncode != 0
    assert 'TSIG error BADSIG' in proc.stdout
    assert WRONG_SECRET not in proc.stdout + proc.stderr
    assert server.txt_strings('_dmarc.example.com.') == []


@pytest.mark.parametrize('fault', ['refused', 'unreachable'])
def test_a_failed_publication_is_finished_by_the_next_run(tmp_path, server, fault):
    # The DNS server refuses the update (wrong TSIG secret) or does not answer (nothing listens on the port): the
    # run fails, naming the server's answer, and nothing is half published; the next run publishes everything.
    if fault == 'refused':
        failed = play(tmp_path, server, secret=WRONG_SECRET)
    else:
        failed = play(tmp_path, server, update={'port': 9})
    assert failed.returncode != 0
    assert ('TSIG error BADSIG' if fault == 'refused' else '127.0.0.1') in failed.stdout, failed.stdout[-3000:]
    for domain in ('example.com', 'example.net'):
        assert server.txt_strings('mail._domainkey.%s.' % domain) == []
        assert server.txt_strings('_dmarc.%s.' % domain) == []
    rerun = play(tmp_path, server)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    for domain, (dkim, spf, dmarc, ptr) in published(server).items():
        assert dkim and spf and dmarc and ptr, (domain, published(server))


def test_publish_step_without_check(tmp_path, server):
    proc = play(tmp_path, server, update={'check': False, 'zones': None, 'tsig_algorithm': None})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'TASK [mailauth.dkim.opendkim : Check that the server serves the records]' in proc.stdout
    assert 'published mail._domainkey' not in proc.stdout  # no check, no report
    assert len(server.updates) == 3


def published(server):
    """What the server holds for both hosts: (DKIM, SPF, DMARC, PTR) per domain."""
    out = {}
    for domain, last in (('example.com', '25'), ('example.net', '26')):
        out[domain] = (
            [b''.join(strings) for strings in server.txt_strings('mail._domainkey.%s.' % domain)],
            [txt for txt in server.txt_strings('%s.' % domain) if txt[0].startswith(b'v=spf1')],
            server.txt_strings('_dmarc.%s.' % domain),
            [rd.to_text() for rd in server.rrset('%s.2.0.192.in-addr.arpa.' % last, 'PTR')],
        )
    return out


def test_publish_step_in_serial_batches(tmp_path, server):
    # serial: 1 - each batch publishes what its own host needs; at the end both hosts' records are served, as after
    # one run over both hosts.
    proc = play(tmp_path, server, serial=1)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = published(server)
    for domain, ip in (('example.com', '192.0.2.25'), ('example.net', '192.0.2.26')):
        dkim, spf, dmarc, ptr = records[domain]
        assert len(dkim) == 1 and dkim[0].decode().endswith(P)
        assert spf == [(('v=spf1 ip4:%s -all' % ip).encode(),)]
        assert dmarc == [(b'v=DMARC1; p=reject',)]
        assert ptr == ['mx.%s.' % domain]
    assert '"example.com: READY"' in proc.stdout and '"example.net: READY"' in proc.stdout


def test_publish_step_with_limit_keeps_the_other_hosts_records(tmp_path, server):
    # A run over both hosts, then one limited to mail1 after mail1's DMARC policy changed: mail1's record follows,
    # mail2's records (not in this run) are neither dropped nor rewritten.
    first = play(tmp_path, server)
    assert first.returncode == 0, first.stdout + first.stderr
    before = published(server)
    limited = play(tmp_path, server, extra_args=['--limit', 'mail1'], dmarc1={'policy': 'quarantine'})
    assert limited.returncode == 0, limited.stdout + limited.stderr
    assert recap(limited.stdout, 'mail1')['changed'] == '1'
    assert 'mail2' not in limited.stdout.split('PLAY RECAP')[1]
    after = published(server)
    assert after['example.com'][2] == [(b'v=DMARC1; p=quarantine',)]
    assert after['example.com'][:2] == before['example.com'][:2] and after['example.com'][3] == before['example.com'][3]
    assert after['example.net'] == before['example.net']
    assert all(after['example.net'])  # mail2's DKIM, SPF, DMARC and PTR are all still there
