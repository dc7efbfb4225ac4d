# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every task of the role that runs on the controller says `become: false`.

Users include the role in plays with `become: true`. A task delegated to the controller inherits that become and
tries sudo there, where the user running Ansible usually has none ("sudo: not found" after the mail server was
already changed). This scan fails when a new controller-side task forgets it.
"""

from __future__ import absolute_import, division, print_function

import glob
import os

import pytest
import yaml

ROLE = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'opendkim'))
CONTROLLER = ('localhost', '127.0.0.1', '{{ inventory_hostname }}')
# Actions that Ansible runs inside the controller process itself, whatever delegate_to or become say.
LOCAL_ACTIONS = {'ansible.builtin.set_fact', 'ansible.builtin.debug', 'ansible.builtin.assert', 'ansible.builtin.fail',
                 'ansible.builtin.include_tasks', 'ansible.builtin.import_tasks', 'ansible.builtin.include_vars',
                 'ansible.builtin.meta'}


def _tasks(items, path):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield path, task
        for key in ('block', 'rescue', 'always'):
            yield from _tasks(task.get(key), path)


def role_tasks():
    for path in sorted(glob.glob(os.path.join(ROLE, 'tasks', '*.yml')) + glob.glob(os.path.join(ROLE, 'handlers', '*.yml'))):
        with open(path, encoding='utf-8') as f:
            yield from _tasks(yaml.safe_load(f), os.path.relpath(path, ROLE))


def _action(task):
    keys = set(task) - {'name', 'vars', 'when', 'register', 'delegate_to', 'become', 'run_once', 'check_mode',
                        'changed_when', 'failed_when', 'notify', 'tags', 'loop', 'loop_control', 'listen',
                        'no_log', 'ignore_errors', 'environment', 'block', 'rescue', 'always', 'delegate_facts'}
    return sorted(keys)[0] if keys else None


def controller_tasks():
    out = []
    for path, task in role_tasks():
        if str(task.get('delegate_to', '')).strip() in CONTROLLER and _action(task) not in LOCAL_ACTIONS:
            out.append((path, task))
    return out


def test_the_scan_finds_the_controller_tasks():
    # validate.yml checks the policies, records.yml computes the records, publish.yml publishes and checks them.
    names = [task['name'] for path, task in controller_tasks()]
    assert len(names) >= 4, names
    assert 'Compute the DNS records to publish' in names


@pytest.mark.parametrize('path,task', controller_tasks(), ids=lambda v: v if isinstance(v, str) else v.get('name'))
def test_controller_task_does_not_become(path, task):
    assert task.get('become') is False, (
        '%s: task "%s" runs on the controller (delegate_to: %s) and must say `become: false`'
        % (path, task.get('name'), task.get('delegate_to')))
