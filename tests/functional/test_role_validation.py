# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role refuses bad input before it touches the host, with a message that names the bad value.

The role is applied to localhost in check mode (so a validation that let a bad value through could still change
nothing here); each case must fail in the role's checks, before the first installation task.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import stat
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

# The role's input checks (meta/argument_specs.yml and tasks/validate.yml): the only tasks that may run before a
# refusal, and the only ones a refusal may come from.
VALIDATION_TASKS = (
    "Validating arguments against arg spec 'main' - DKIM signing for Postfix with OpenDKIM",
    "Check that the controller's Python has dnspython and cryptography (the DNS records are computed there)",
    'Check the domains, selectors, keys and policies',
    'Check the sockets and trusted hosts',
    'Check the DNS update settings',
    "Check each domain's keys and SPF against the other mail servers of the inventory",
    'Check the key rotation settings',
)
FLEET_TASK = VALIDATION_TASKS[-2]
ROTATION_TASK = VALIDATION_TASKS[-1]


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


def domains(*items, **role_vars):
    return dict(role_vars, opendkim_domains=list(items))


# (case, extra vars, the exact message, the task that refuses it)
KEYS_TASK = 'Check the domains, selectors, keys and policies'
SOCKETS_TASK = 'Check the sockets and trusted hosts'
SPEC_TASK = VALIDATION_TASKS[0]
BAD_INPUT = [
    ('key_size_small', domains({'domain': 'example.com', 'key_size': 512}),
     'opendkim_domains[0] (example.com): size 512 is too small: RSA keys under 1024 bits are rejected by receivers '
     '(RFC 8301)', KEYS_TASK),
    # Drift of the old Jinja checks: 2047 passed them and failed in dkim_key, after the packages were installed.
    ('key_size_2047', domains({'domain': 'example.com', 'key_size': 2047}),
     'opendkim_domains[0] (example.com): size 2047 is not a multiple of 8', KEYS_TASK),
    ('domain_syntax', domains({'domain': 'bad_domain..com'}),
     "opendkim_domains[0]: domain 'bad_domain..com' has an invalid label 'bad_domain': only letters, digits and "
     "inner hyphens are allowed", KEYS_TASK),
    ('domain_old_name_syntax', domains({'name': 'bad_domain..com'}),
     "opendkim_domains[0]: domain 'bad_domain..com' has an invalid label 'bad_domain'", KEYS_TASK),
    ('selector_syntax', domains({'domain': 'example.com', 'selector': 'bad selector'}),
     "opendkim_domains[0]: selector 'bad selector' has an invalid label 'bad selector': only letters, digits and "
     "inner hyphens are allowed", KEYS_TASK),
    # The other drift: validate.yml's pattern accepted `_`, the modules refused it.
    ('selector_underscore', domains({'domain': 'example.com', 'selector': 'mail_2024'}),
     "opendkim_domains[0]: selector 'mail_2024' has an invalid label 'mail_2024'", KEYS_TASK),
    ('key_type', domains({'domain': 'example.com', 'key_type': 'dsa'}),
     'value of key_type must be one of: rsa, ed25519, got: dsa found in opendkim_domains', SPEC_TASK),
    ('duplicate_selector', domains({'domain': 'example.com'}, {'domain': 'Example.com'}),
     'opendkim_domains[0] and [1] both ask for the selector mail of example.com (mail._domainkey.example.com): '
     'a selector names one key', KEYS_TASK),
    ('socket', domains({'domain': 'example.com'}, opendkim_socket='tcp:8891'),
     "opendkim_socket 'tcp:8891' is not a socket OpenDKIM can listen on: use inet:PORT@HOST, inet6:PORT@HOST or "
     "local:/path", SOCKETS_TASK),
    ('same_sockets', domains({'domain': 'example.com'}, opendkim_ed25519_socket='inet:8891@localhost'),
     'opendkim_ed25519_socket and opendkim_socket are both inet:8891@localhost', SOCKETS_TASK),
    ('trusted_host', domains({'domain': 'example.com'}, opendkim_trusted_hosts=['192.0.2.0/24 # office']),
     'opendkim_trusted_hosts[0]: invalid entry "192.0.2.0/24 # office"', SOCKETS_TASK),
    ('dmarc_policy', domains({'domain': 'example.com', 'dmarc': {'policy': 'block'}}),
     'opendkim_domains[0] (example.com): dmarc: value of policy must be one of: none, quarantine, reject, got: block',
     KEYS_TASK),
    ('dmarc_pct', domains({'domain': 'example.com', 'dmarc': {'policy': 'none', 'pct': 101}}),
     'opendkim_domains[0] (example.com): dmarc.pct must be an integer from 0 to 100, got 101', KEYS_TASK),
    ('spf_network', domains({'domain': 'example.com', 'spf': {'ip4': ['192.0.2.1/24']}}),
     "opendkim_domains[0] (example.com): spf.ip4 entry '192.0.2.1/24' has host bits set", KEYS_TASK),
    ('spf_twice', domains({'domain': 'example.com', 'spf': {'mx': True}},
                          {'domain': 'example.com', 'selector': 'ed', 'spf': {'a': True}}),
     'opendkim_domains[0] and [1] describe the spf of example.com differently ({"mx": true} and {"a": true}): '
     'give it on one item of the domain', KEYS_TASK),
    ('tsig_without_secret', domains({'domain': 'example.com'},
                                    opendkim_dns_update={'server': '192.0.2.53', 'tsig_key_name': 'k'}),
     'missing required arguments: tsig_key_secret found in opendkim_dns_update', SPEC_TASK),
    ('wide_trusted_network', domains({'domain': 'example.com'}, opendkim_trusted_hosts=['0.0.0.0/0']),
     'opendkim_trusted_hosts[0]: 0.0.0.0/0 holds 4,294,967,296 addresses', SOCKETS_TASK),
    ('tsig_not_base64', domains({'domain': 'example.com'},
                                opendkim_dns_update={'server': '192.0.2.53', 'tsig_key_name': 'k',
                                                     'tsig_key_secret': 'no base64 here!'}),
     "opendkim_dns_update: tsig_key_secret for key 'k' is not valid base64 (the secret itself is not shown)",
     'Check the DNS update settings'),
    ('rotation_period', domains({'domain': 'example.com'}, opendkim_rotation={'period_months': 13}),
     'opendkim_rotation of example.com.period_months must be 1 to 12 (M3AAWG: at least every 6 months), got 13',
     ROTATION_TASK),
    ('rotation_now', domains({'domain': 'example.com', 'rotation': True}, opendkim_rotation_now='tomorrow'),
     "opendkim_rotation_now must be an ISO 8601 date or date-time (2026-11-29T10:00:00Z), got 'tomorrow'",
     ROTATION_TASK),
    ('rotation_items_disagree', domains({'domain': 'example.com', 'rotation': True},
                                        {'domain': 'example.com', 'selector': 'ed', 'key_type': 'ed25519'}),
     'the items of example.com disagree on rotation (selector mail: {}, selector ed: null)', ROTATION_TASK),
    ('rotation_unknown_setting', domains({'domain': 'example.com'}, opendkim_rotation={'every': '6 months'}),
     'opendkim_rotation: unknown setting(s) every', ROTATION_TASK),
    ('domains_not_a_list', {'opendkim_domains': 'example.com'},
     "Elements value for option 'opendkim_domains' is of type str and we were unable to convert to dict", SPEC_TASK),
]


@pytest.mark.parametrize('name, extra_vars, message, task', BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_fails_before_any_change(tmp_path, ansible_env, name, extra_vars, message, task):
    rc, out, tasks = run_role(tmp_path, ansible_env, extra_vars)
    assert rc != 0, out[-3000:]
    assert message in out, out[-3000:]
    # It stopped in the named validation task, and only validation tasks ran: no installation, key or configuration
    # task was reached.
    assert tasks and tasks[-1] == task, tasks
    assert all(t in VALIDATION_TASKS for t in tasks), tasks
    assert 'no base64 here!' not in out


def test_old_item_name_works_with_a_deprecation(tmp_path, ansible_env):
    rc, out, tasks = run_role(tmp_path, ansible_env, domains({'name': 'example.com', 'spf': {'mx': True}}),
                              ANSIBLE_DEPRECATION_WARNINGS='true')
    assert 'opendkim_domains: 1 item(s) use the old item name(s) name (now domain)' in out, out[-3000:]
    assert out.count('use the old item name(s)') == 1, out[-3000:]
    assert 'Check the domains, selectors, keys and policies' in tasks
    assert FLEET_TASK in tasks


@pytest.mark.parametrize('hidden', [['dns'], ['dns', 'cryptography']], ids=['dnspython', 'both'])
def test_controller_python_without_dnspython(tmp_path, ansible_env, hidden):
    # The controller's Python cannot import dnspython (and cryptography): a package of that name that fails to
    # import stands first on its path, as if it were not installed.
    fake = tmp_path / 'hide'
    for name in hidden:
        (fake / name).mkdir(parents=True)
        (fake / name / '__init__.py').write_text('raise ImportError("hidden by the test")\n')
    rc, out, tasks = run_role(tmp_path, ansible_env, {'opendkim_domains': [{'domain': 'example.com'}]},
                              PYTHONPATH=str(fake))
    assert rc != 0, out[-3000:]
    packages = ' '.join({'dns': 'dnspython', 'cryptography': 'cryptography'}[name] for name in hidden)
    assert 'The Python that runs Ansible on the controller (%s, ansible_playbook_python) lacks' % sys.executable in out
    assert '%s -m pip install %s' % (sys.executable, packages) in out, out[-3000:]
    assert 'Nothing was changed on any host' in out
    assert tasks[-1] == VALIDATION_TASKS[1], tasks
    assert all(task in VALIDATION_TASKS for task in tasks), tasks


@pytest.mark.parametrize('other, message', [
    # Another server of example.com with its own address: the SPF record adds up, nothing is refused.
    ({'selector': 'mail2', 'spf': {'ip4': ['192.0.2.26']}}, None),
    ({'selector': 'mail2'}, None),
    # ... but one record has one "all".
    ({'selector': 'mail2', 'spf': {'ip4': ['192.0.2.26'], 'all': 'softfail'}},
     'the SPF of example.com is described differently on localhost (all: "fail") and on mail2.example.com '
     '(all: "softfail"): a domain has one SPF record, so every mail server that signs for it must agree'),
    # The same selector with a key of its own on each server: one DNS name, two keys.
    ({'selector': 'mail'},
     'mail._domainkey.example.com on localhost (fleet_keys single, rsa 2048) and on mail2.example.com '
     '(fleet_keys single, rsa 2048). Give the domain fleet_keys per_host'),
    ({'selector': 'mail', 'fleet_keys': 'shared'},
     'mail._domainkey.example.com on localhost (fleet_keys single, rsa 2048) and on mail2.example.com '
     '(fleet_keys shared, rsa 2048)'),
])
def test_another_mail_server_of_the_domain(tmp_path, ansible_env, other, message):
    # mail2 is in the inventory but not in this run (hosts: localhost): a --limit or a serial batch.
    other = dict(other, domain='example.com')
    # Each host's opendkim_domains in the inventory, as users keep them (extra vars would apply to every host).
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'all': {'hosts': {
        'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                      'opendkim_domains': [{'domain': 'example.com', 'spf': {'ip4': ['192.0.2.25']}}]},
        'mail2.example.com': {'opendkim_domains': [other]},
    }}}))
    rc, out, tasks = run_role(tmp_path, ansible_env, {}, inventory=str(inventory))
    assert FLEET_TASK in tasks, tasks
    if message:
        assert rc != 0, out[-3000:]
        assert message in ' '.join(out.split()), out[-3000:]
        assert tasks[-1] == FLEET_TASK and all(task in VALIDATION_TASKS for task in tasks), tasks
    else:
        assert tasks.index(FLEET_TASK) < len(tasks) - 1, out[-3000:]
        assert 'described differently' not in out and 'would hold different keys' not in out, out[-3000:]


# The first tasks that read the host: the key directory is looked at before anything is installed.
KEY_DIR_TASKS = (
    'Gather the facts the role needs (when the play did not)',
    'Load the variables of the operating system',
    'Look at the key directory without following a link',
    'Check that the key directory is not a symbolic link',
)


@pytest.mark.parametrize('target', ['outside', 'missing'])
def test_key_directory_that_is_a_symbolic_link_is_refused_before_any_change(tmp_path, ansible_env, target):
    # Through the link the role would chown/chmod the target and write private keys there (a dangling link: create
    # a directory wherever it points).
    outside = tmp_path / target
    if target == 'outside':
        outside.mkdir(mode=0o755)
    link = tmp_path / 'dkimkeys'
    link.symlink_to(outside, target_is_directory=True)
    rc, out, tasks = run_role(tmp_path, ansible_env, domains({'domain': 'example.com'}, opendkim_key_dir=str(link),
                                                             ansible_python_interpreter=sys.executable))
    assert rc != 0, out[-3000:]
    assert ('opendkim_key_dir %s is a symbolic link to %s: the role sets the owner and mode of the key directory and '
            'writes private keys into it, never through a link. Set opendkim_key_dir to the directory itself (%s)'
            % (link, outside, outside)) in out, out[-3000:]
    assert 'Nothing was changed.' in out
    assert tasks[-1] == KEY_DIR_TASKS[-1], tasks
    assert all(task in VALIDATION_TASKS + KEY_DIR_TASKS for task in tasks), tasks
    assert os.path.islink(str(link)) and (target == 'missing') != os.path.isdir(str(outside))
    if target == 'outside':
        assert stat.S_IMODE(os.stat(str(outside)).st_mode) == 0o755 and os.listdir(str(outside)) == []


@pytest.mark.parametrize('tools', [False, True])
def test_opendkim_tools_are_installed_only_when_asked(tmp_path, ansible_env, tools):
    """opendkim_install_tools: the package list the role hands to deb_packages (check mode on this host reports the
    packages it lacks: none of the OpenDKIM ones are installed here)."""
    playbook, env = ansible_env
    env = dict(env, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default')
    play = tmp_path / 'play.yml'
    play.write_text(PLAY)
    extra = domains({'domain': 'example.com'}, opendkim_manage_postfix=False, opendkim_install_tools=tools,
                    ansible_python_interpreter=sys.executable)
    proc = subprocess.run([playbook, '-i', 'localhost,', str(play), '--check', '-v', '-e', json.dumps(extra)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    found = re.search(r'^TASK \[mailauth\.dkim\.opendkim : Install the OpenDKIM packages\].*?\n(?:changed|ok): '
                      r'\[localhost\] => (\{.*?\})\n', proc.stdout, re.MULTILINE | re.DOTALL)
    assert found, proc.stdout[-3000:]
    installed = json.loads(found.group(1))['installed']
    assert 'opendkim' in installed and ('opendkim-tools' in installed) is tools
