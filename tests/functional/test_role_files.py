# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role renders all its OpenDKIM files with one `template` lookup (templates/opendkim-files.json.j2 includes the
template of each file). What it renders must be, byte for byte, what each file's own template gives on its own:
a difference would rewrite (and reload) every mail server once, or lose a final newline OpenDKIM needs for the last
table entry. Run with this checkout's ansible-core (and the 2.20/2.21 legs of `make test`)."""

from __future__ import absolute_import, division, print_function

import json
import os

import yaml

ROLE = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'roles', 'opendkim'))
RENDER_TASK = 'Render the OpenDKIM configuration files and units (on the controller)'


def render_task():
    """The role's own rendering task, as tasks/opendkim.yml has it (inside its block), so that this test runs the
    expression the role runs. The play's templates/ links to the role's, where the task's lookup finds its file."""
    with open(os.path.join(ROLE, 'tasks', 'opendkim.yml')) as f:
        tasks = yaml.safe_load(f)
    found = [task for outer in tasks for task in outer.get('block', [outer]) if task.get('name') == RENDER_TASK]
    assert len(found) == 1, 'no task %r in tasks/opendkim.yml' % RENDER_TASK
    return found[0]


def instance(name, algorithm, unit_src, unit_dest, keys):
    return {
        'service': name, 'title': '%s (%s)' % (name, algorithm), 'algorithm': algorithm,
        'pidfile': '/run/opendkim/%s.pid' % name, 'socket': 'local:/var/spool/postfix/%s/sock' % name,
        'config_file': '/etc/%s.conf' % name, 'key_table': '/etc/opendkim/%s.KeyTable' % name,
        'signing_table': '/etc/opendkim/%s.SigningTable' % name, 'unit_src': unit_src, 'unit_dest': unit_dest,
        'signing_keys': [{'domain': 'd%d.example.net' % n, 'selector': 's%d' % n,
                          'path': '/etc/dkimkeys/d%d.example.net/s%d.private' % (n, n)} for n in keys],
    }


INSTANCES = [
    instance('opendkim', 'rsa-sha256', 'etc/systemd/system/opendkim.service.d/zz-mailauth-dkim.conf.j2',
             '/etc/systemd/system/opendkim.service.d/zz-mailauth-dkim.conf', range(1, 4)),
    instance('opendkim-ed25519', 'ed25519-sha256', 'etc/systemd/system/opendkim-ed25519.service.j2',
             '/etc/systemd/system/opendkim-ed25519.service', [2]),
]


def play(new_install):
    variables = {
        '__opendkim_instances': INSTANCES, '__opendkim_trusted_hosts_file': '/etc/opendkim/TrustedHosts',
        '__opendkim_trusted_hosts': ['192.0.2.0/24', 'relay.example.net'], '__opendkim_user': 'opendkim',
        '__opendkim_binary': '/usr/sbin/opendkim', '__opendkim_new_install': new_install,
        'opendkim_sign_subdomains': True, 'opendkim_oversign_headers': ['From', 'Subject'],
        'opendkim_extra_config': {'MinimumKeyBits': 1024, 'LogResults': 'yes'},
    }
    return '''
- name: Role variables
  ansible.builtin.include_vars:
    file: %(role)s/%(file)s
  loop: [defaults/main.yml, vars/main.yml]
  loop_control:
    loop_var: file
- name: Test variables
  ansible.builtin.set_fact: %(vars)s
- %(render)s
- name: One lookup per file
  ansible.builtin.set_fact:
    single: "{{ lookup('ansible.builtin.template', '%(role)s/templates/' + item.src) }}"
  loop: "{{ __opendkim_instances | mailauth.dkim.opendkim_files(__opendkim_trusted_hosts_file) }}"
  register: singles
- name: Compare
  ansible.builtin.debug:
    msg:
      bundle: "{{ __opendkim_rendered_files }}"
      singles: "{{ singles.results | map(attribute='ansible_facts.single') | list }}"
      dests: "{{ singles.results | map(attribute='item.dest') | list }}"
''' % {'role': ROLE, 'file': '{{ file }}', 'vars': json.dumps(variables), 'render': json.dumps(render_task())}


def rendered(run_playbook, tmp_path, new_install):
    (tmp_path / 'templates').symlink_to(os.path.join(ROLE, 'templates'))
    run = run_playbook(play(new_install))
    assert run.rc == 0, (run.stdout[-3000:], run.stderr)
    return run.result('Compare')['msg']


def test_one_lookup_renders_what_each_template_renders_alone(run_playbook, tmp_path):
    out = rendered(run_playbook, tmp_path, new_install=False)
    bundle = out['bundle']
    assert [f['path'] for f in bundle] == out['dests']
    assert [f['content'] for f in bundle] == out['singles']
    # Every file ends with its newline, tables (last entry) and the unit's ExecStart alike.
    assert all(f['content'].endswith('\n') and not f['content'].endswith('\n\n') for f in bundle)
    by_path = dict((f['path'], f) for f in bundle)
    assert by_path['/etc/opendkim/opendkim.KeyTable']['content'].splitlines()[-1] == (
        's3._domainkey.d3.example.net d3.example.net:s3:/etc/dkimkeys/d3.example.net/s3.private')
    assert by_path['/etc/opendkim-ed25519.conf']['content'].count('SignatureAlgorithm      ed25519-sha256\n') == 1
    assert 'relay.example.net\n' in by_path['/etc/opendkim/TrustedHosts']['content']
    # config_files options: root-owned 0644, and the configurations' previous text (for reload or restart).
    assert set((f['owner'], f['group'], f['mode']) for f in bundle) == {('root', 'root', '0644')}
    previous = sorted(f['path'] for f in bundle if f['return_previous'])
    assert previous == ['/etc/opendkim-ed25519.conf', '/etc/opendkim.conf']


def test_nothing_ran_before_a_new_installation_so_no_previous_text(run_playbook, tmp_path):
    assert not any(f['return_previous'] for f in rendered(run_playbook, tmp_path, new_install=True)['bundle'])
