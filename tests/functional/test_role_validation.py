# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role refuses bad input before it touches the host, with a message that names the bad value.

The role is applied to localhost in check mode (so a validation that let a bad value through could still change
nothing here); each case must fail in the role's checks, before the first installation task.
"""

from __future__ import absolute_import, division, print_function

import json
import re
import subprocess

import pytest

PLAY = """- name: Role input validation
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: mailauth.dkim.opendkim
"""

# The role's input checks (meta/argument_specs.yml and tasks/validate.yml).
CHECK_TASKS = ('Validating arguments against arg spec', 'Normalise the key list', 'Collect each domain', 'Check ')

BAD_INPUT = [
    ('key_size_small', {'opendkim_domains': [{'name': 'example.com', 'key_size': 512}]},
     'RSA key_size must be 1024 to 4096: example.com key_size=512'),
    ('domain_syntax', {'opendkim_domains': [{'name': 'bad_domain..com'}]},
     'invalid domain name(s): bad_domain..com'),
    ('selector_syntax', {'opendkim_domains': [{'name': 'example.com', 'selector': 'bad selector'}]},
     'invalid selector(s): bad selector'),
    ('key_type', {'opendkim_domains': [{'name': 'example.com', 'key_type': 'dsa'}]},
     'dsa'),
    ('duplicate_selector', {'opendkim_domains': [{'name': 'example.com'}, {'name': 'Example.com'}]},
     'selector listed twice for a domain: mail._domainkey.example.com'),
    ('socket', {'opendkim_domains': [{'name': 'example.com'}], 'opendkim_socket': 'tcp:8891'},
     'invalid socket(s) tcp:8891'),
    ('dmarc_policy', {'opendkim_domains': [{'name': 'example.com', 'dmarc': {'policy': 'block'}}]},
     'got: block'),
    ('dmarc_pct', {'opendkim_domains': [{'name': 'example.com', 'dmarc': {'policy': 'none', 'pct': 101}}]},
     'dmarc.pct must be an integer from 0 to 100, got 101'),
    ('spf_network', {'opendkim_domains': [{'name': 'example.com', 'spf': {'ip4': ['192.0.2.1/24']}}]},
     "spf.ip4 entry '192.0.2.1/24' has host bits set"),
    ('tsig_without_secret', {'opendkim_domains': [{'name': 'example.com'}],
                             'opendkim_dns_update': {'server': '192.0.2.53', 'tsig_key_name': 'k'}},
     'tsig_key_secret'),
    ('domains_not_a_list', {'opendkim_domains': 'example.com'},
     'opendkim_domains'),
]


@pytest.mark.parametrize('name, extra_vars, message', BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_fails_before_any_change(tmp_path, ansible_env, name, extra_vars, message):
    playbook, env = ansible_env
    env = dict(env, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default')
    play = tmp_path / 'play.yml'
    play.write_text(PLAY)
    proc = subprocess.run([playbook, '-i', 'localhost,', str(play), '--check', '-e', json.dumps(extra_vars)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert message in out, out[-3000:]
    # It stopped in the role's checks: every task that ran is a check; no installation, key or configuration
    # task was reached.
    tasks = re.findall(r'^TASK \[mailauth\.dkim\.opendkim : ([^\]]*)\]', out, re.MULTILINE)
    assert tasks, out[-3000:]
    assert all(task.startswith(CHECK_TASKS) for task in tasks), tasks
