# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""meta/argument_specs.yml is the one home of the role's defaults; defaults/main.yml repeats the top-level ones
because Ansible reads them from there. They must never disagree, and no variable may be missing from either."""

from __future__ import absolute_import, division, print_function

import os

import yaml

ROLE = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'opendkim'))


def load(*path):
    with open(os.path.join(ROLE, *path), encoding='utf-8') as f:
        return yaml.safe_load(f)


def test_defaults_file_matches_the_argument_spec():
    options = load('meta', 'argument_specs.yml')['argument_specs']['main']['options']
    defaults = load('defaults', 'main.yml')
    assert sorted(defaults) == sorted(options)
    differ = {name: (defaults[name], spec.get('default')) for name, spec in options.items()
              if defaults[name] != spec.get('default')}
    assert differ == {}
