# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's tasks are declarative glue: no Jinja program builds a list or dict.

Loops in Jinja (namespace accumulators, `{% for %}`, `.append()`/`.update()` on a value) were where the role's
time went at scale (O(n^2) at 2,000 domains) and where its rules drifted from the modules'. Data shaping belongs in
the filters of plugins/filter/ (code in plugins/plugin_utils/_opendkim_filters.py), which are unit-tested; this scan fails when a task brings a loop back.
The same goes for defaults: they live in meta/argument_specs.yml, not in `default(..., true)` inside tasks.
"""

from __future__ import absolute_import, division, print_function

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_controller_tasks import role_tasks  # noqa: E402 pylint: disable=wrong-import-position

JINJA_PROGRAM = re.compile(r'\{%-?\s*(for|set|macro)\b|namespace\(|\.append\(|\.update\(|\.extend\(')
INLINE_DEFAULT = re.compile(r"default\([^)]*,\s*(true|True)\)")


def _strings(value, where=''):
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in ('block', 'rescue', 'always'):
                continue  # their tasks are scanned one by one
            yield from _strings(item, '%s.%s' % (where, key) if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, '%s[%d]' % (where, index))


def _jinja(value):
    # The one inline Python program of the role (the controller's import check) is a command argument, not Jinja.
    return '{{' in value or '{%' in value


TASKS = list(role_tasks())


@pytest.mark.parametrize('path, task', TASKS, ids=['%s: %s' % (p, t.get('name', '?')) for p, t in TASKS])
def test_no_jinja_builds_a_list_in_a_loop(path, task):
    programs = [(where, value) for where, value in _strings(task) if _jinja(value) and JINJA_PROGRAM.search(value)]
    assert not programs, programs


@pytest.mark.parametrize('path, task', TASKS, ids=['%s: %s' % (p, t.get('name', '?')) for p, t in TASKS])
def test_no_defaults_written_in_tasks(path, task):
    defaults = [(where, value) for where, value in _strings(task) if INLINE_DEFAULT.search(value)]
    assert not defaults, defaults


def test_the_scan_finds_a_loop():
    # The detector itself: the grouping the role used to do in validate.yml is found.
    old = "{%- set ns = namespace(out=[]) -%}{%- for d in opendkim_domains -%}{%- endfor -%}{{ ns.out }}"
    assert JINJA_PROGRAM.search(old) and _jinja(old)
    assert INLINE_DEFAULT.search("{{ opendkim_dns_update.port | default(53, true) }}")
