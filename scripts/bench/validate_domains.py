#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long the role's validation and data shaping take for N domains (the filters of plugins/filter/opendkim.py,
in-process, as tasks/validate.yml, keys.yml and records.yml call them). Prints numbers, asserts nothing.

    .venv/bin/python scripts/bench/validate_domains.py [250 1000 2000]
"""

from __future__ import absolute_import, division, print_function

import os
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, '.build', 'collections'))

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS as F  # noqa: E402


def main(sizes):
    print('%8s %12s %12s %12s' % ('domains', 'signing_keys', 'policies', 'key_options'))
    for size in sizes:
        domains = [{'domain': 'd%d.example.net' % i, 'spf': {'ip4': ['192.0.2.%d' % (i % 250)]},
                    'dmarc': {'policy': 'none'}} for i in range(size)]
        t0 = time.perf_counter()
        keys = F['signing_keys'](domains, '/etc/dkimkeys')
        t1 = time.perf_counter()
        F['domain_policies'](keys)
        t2 = time.perf_counter()
        F['key_options'](keys)
        t3 = time.perf_counter()
        print('%8d %10.3f s %10.3f s %10.3f s' % (size, t1 - t0, t2 - t1, t3 - t2))


if __name__ == '__main__':
    main([int(a) for a in sys.argv[1:]] or [250, 1000, 2000])
