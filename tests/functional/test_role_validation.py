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
import sys

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


def run_role(tmp_path, ansible_env, extra_vars, inventory='localhost,', **env_vars):
    """Apply the role to localhost in check mode: (return code, output, names of the role's tasks that ran)."""
    playbook, env = ansible_env
    env = dict(env, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default', **env_vars)
    play = tmp_path / 'play.yml'
    play.write_text(PLAY)
    proc = subprocess.run([playbook, '-i', inventory, str(play), '--check', '-e', json.dumps(extra_vars)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    tasks = re.findall(r'^TASK \[mailauth\.dkim\.opendkim : ([^\]]*)\]', out, re.MULTILINE)
    return proc.returncode, out, tasks


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
    rc, out, tasks = run_role(tmp_path, ansible_env, extra_vars)
    assert rc != 0, out[-3000:]
    assert message in out, out[-3000:]
    # It stopped in the role's checks: every task that ran is a check; no installation, key or configuration
    # task was reached.
    assert tasks, out[-3000:]
    assert all(task.startswith(CHECK_TASKS) for task in tasks), tasks


@pytest.mark.parametrize('hidden', [['dns'], ['dns', 'cryptography']], ids=['dnspython', 'both'])
def test_controller_python_without_dnspython(tmp_path, ansible_env, hidden):
    # The controller's Python cannot import dnspython (and cryptography): a package of that name that fails to
    # import stands first on its path, as if it were not installed.
    fake = tmp_path / 'hide'
    for name in hidden:
        (fake / name).mkdir(parents=True)
        (fake / name / '__init__.py').write_text('raise ImportError("hidden by the test")\n')
    rc, out, tasks = run_role(tmp_path, ansible_env, {'opendkim_domains': [{'name': 'example.com'}]},
                              PYTHONPATH=str(fake))
    assert rc != 0, out[-3000:]
    packages = ' '.join({'dns': 'dnspython', 'cryptography': 'cryptography'}[name] for name in hidden)
    assert 'The Python that runs Ansible on the controller (%s, ansible_playbook_python) lacks' % sys.executable in out
    assert '%s -m pip install %s' % (sys.executable, packages) in out, out[-3000:]
    assert 'Nothing was changed on any host' in out
    assert tasks[-1] == "Check that the controller's Python has dnspython and cryptography", tasks
    assert all(task.startswith(CHECK_TASKS) for task in tasks), tasks


@pytest.mark.parametrize('other_spf, fails', [
    ({'ip4': ['192.0.2.26']}, True),    # another server of example.com, not in this run, with its own address
    ({'ip4': ['192.0.2.25']}, False),   # the same description: one record, nothing lost
    (None, False),                      # the other server leaves SPF to this one
])
def test_spf_described_differently_on_another_server(tmp_path, ansible_env, other_spf, fails):
    # mail2 is in the inventory but not in this run (hosts: localhost): a --limit or a serial batch.
    other = {'name': 'example.com', 'selector': 'mail2'}
    if other_spf:
        other['spf'] = other_spf
    # Each host's opendkim_domains in the inventory, as users keep them (extra vars would apply to every host).
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'all': {'hosts': {
        'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                      'opendkim_domains': [{'name': 'example.com', 'spf': {'ip4': ['192.0.2.25']}}]},
        'mail2.example.com': {'opendkim_domains': [other]},
    }}}))
    rc, out, tasks = run_role(tmp_path, ansible_env, {}, inventory=str(inventory))
    if fails:
        assert rc != 0, out[-3000:]
        assert ('the SPF of a domain is described differently on localhost ({"example.com": {"ip4": ["192.0.2.25"]}}) '
                'and on other mail servers: example.com on mail2.example.com: {"ip4": ["192.0.2.26"]}') in out, out[-3000:]
        assert all(task.startswith(CHECK_TASKS) for task in tasks), tasks
    else:
        assert "Check that every mail server in the inventory describes each domain's SPF the same way" in tasks
        assert 'described differently' not in out, out[-3000:]
