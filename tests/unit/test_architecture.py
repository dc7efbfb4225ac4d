# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/architecture.md matches the tree: every file it names exists, every plugin file is named there."""

from __future__ import absolute_import, division, print_function

import glob
import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DOC = os.path.join(ROOT, 'docs', 'architecture.md')


def named():
    with open(DOC, encoding='utf-8') as f:
        text = f.read()
    return set(re.findall(r'`(plugins/[^`*]+\.py)`', text)), text


def test_every_file_named_exists():
    paths, dummy = named()
    missing = sorted(p for p in paths if not os.path.isfile(os.path.join(ROOT, p)))
    assert paths and not missing, missing


def test_every_plugin_file_is_named():
    paths, text = named()
    files = [os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, 'plugins', '*', '*.py'))]
    # doc fragments and the one-filter files are named as groups
    groups = [g for g in ('plugins/doc_fragments/', 'plugins/filter/') if '`%s*.py`' % g in text]
    unnamed = sorted(p for p in files if p not in paths and not any(p.startswith(g) for g in groups))
    assert not unnamed, unnamed
