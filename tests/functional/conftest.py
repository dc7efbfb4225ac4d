# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run real `ansible-playbook` against localhost, the way a user runs the modules.

The collection is made visible through a temporary collections path that links
ansible_collections/mailauth/dkim to this checkout, so the tests do not depend on `make collection`.
Results are read from the ansible.posix.json stdout callback (bundled with the `ansible` package).
"""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)
# Helpers shared with the unit tests (keyleak.py) live in tests/unit.
sys.path.insert(0, os.path.join(ROOT, 'tests', 'unit'))


class PlaybookRun(object):
    def __init__(self, proc, output):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.output = output

    def results(self):
        """Task results for localhost, in task order."""
        out = []
        for play in self.output.get('plays', []):
            for task in play['tasks']:
                res = dict(task['hosts'].get('localhost', {}))
                res['_task'] = task['task']['name']
                out.append(res)
        return out

    def result(self, name):
        matches = [r for r in self.results() if r['_task'] == name]
        assert len(matches) == 1, (name, [r['_task'] for r in self.results()], self.stdout[-3000:], self.stderr)
        return matches[0]


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    base = tmp_path_factory.mktemp('collections')
    ns = base / 'ansible_collections' / 'mailauth'
    ns.mkdir(parents=True)
    os.symlink(ROOT, str(ns / 'dkim'))
    return str(base)


def playbook_env(collections_path, callback='ansible.posix.json'):
    """Environment for running ansible-playbook on this checkout's collection, quietly and without colour."""
    env = dict(os.environ)
    env.update({
        'PATH': BIN + os.pathsep + env.get('PATH', ''),
        'ANSIBLE_CONFIG': os.path.join(ROOT, 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': collections_path,
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_STDOUT_CALLBACK': callback,
    })
    return env


@pytest.fixture(scope='session')
def ansible_env(collections_path):
    """(path of ansible-playbook, environment) for tests that run it themselves."""
    return os.path.join(BIN, 'ansible-playbook'), playbook_env(collections_path)


@pytest.fixture(scope='session')
def checkout_root():
    return ROOT


@pytest.fixture
def run_playbook(tmp_path, collections_path):
    """run_playbook(tasks_yaml, check=False, diff=False, callback='json', extra_args=()) -> PlaybookRun."""

    def run(tasks, check=False, diff=False, callback='json', extra_args=(), name='play.yml'):
        playbook = tmp_path / name
        body = '\n'.join('    ' + line if line else '' for line in tasks.strip('\n').splitlines())
        playbook.write_text(
            '- name: Functional test\n'
            '  hosts: localhost\n'
            '  connection: local\n'
            '  gather_facts: false\n'
            '  tasks:\n' + body + '\n')
        env = playbook_env(collections_path,
                           'ansible.posix.json' if callback == 'json' else 'ansible.builtin.default')
        cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,',
               '-e', 'ansible_python_interpreter=%s' % sys.executable, str(playbook)]
        if check:
            cmd.append('--check')
        if diff:
            cmd.append('--diff')
        cmd += list(extra_args)
        proc = subprocess.run(cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True, check=False, timeout=600)
        output = {}
        if callback == 'json':
            start = proc.stdout.find('{')
            assert start >= 0, (proc.stdout, proc.stderr)
            output = json.loads(proc.stdout[start:])
        return PlaybookRun(proc, output)

    return run
