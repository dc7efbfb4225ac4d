# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_spf: RFC 7208 check_host() as a table over a fake DNS (results, lookup counts, the lookup limit)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_check_backend import LookupResult
from ansible_collections.mailauth.dkim.plugins.module_utils._spf import SPFEvaluator

FAKE_DNS = {
    ('example.com', 'TXT'): ['v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:1::/48 a mx:mx.example.com/24 ~all'],
    ('example.com', 'A'): ['198.51.100.10'],
    ('example.com', 'AAAA'): ['2001:db8:2::10'],
    ('mx.example.com', 'MX'): ['mx1.example.com.'],
    ('mx1.example.com', 'A'): ['203.0.113.77'],
    ('inc.example', 'TXT'): ['v=spf1 include:example.com include:none.example -all'],
    ('none.example', 'TXT'): ['not spf'],
    ('redir.example', 'TXT'): ['v=spf1 redirect=example.com'],
    ('twice.example', 'TXT'): ['v=spf1 -all', 'v=spf1 +all'],
    ('macro.example', 'TXT'): ['v=spf1 exists:%{i}.spf.example -all'],
    ('neutral.example', 'TXT'): ['v=spf1 ip4:192.0.2.1'],
    ('exists.example', 'TXT'): ['v=spf1 exists:yes.example -all'],
    ('yes.example', 'A'): ['127.0.0.2'],
    ('bad.example', 'TXT'): ['v=spf1 ip4:300.1.1.1 -all'],
    ('unknown.example', 'TXT'): ['v=spf1 foo:bar -all'],
    ('v6cidr.example', 'TXT'): ['v=spf1 a:host.example//64 -all'],
    ('host.example', 'AAAA'): ['2001:db8:5::1'],
    ('host.example', 'A'): ['192.0.2.200'],
    ('broken.example', 'TXT'): None,  # the server does not answer
}
# a chain of 11 includes: one more DNS lookup than allowed
for _i in range(11):
    FAKE_DNS[('chain%d.example' % _i, 'TXT')] = ['v=spf1 include:chain%d.example -all' % (_i + 1)]
FAKE_DNS[('chain11.example', 'TXT')] = ['v=spf1 +all']


def fake_lookup(name, rdtype):
    key = (str(name).rstrip('.'), rdtype)
    if key not in FAKE_DNS:
        return LookupResult('nxdomain')
    if FAKE_DNS[key] is None:
        return LookupResult('error', message='no answer (test)')
    return LookupResult('ok', list(FAKE_DNS[key]))


@pytest.mark.parametrize('ip, domain, result, lookups', [
    ('192.0.2.100', 'example.com', 'pass', 0),
    ('192.0.2.200', 'example.com', 'softfail', 2),
    ('2001:db8:1:ffff::1', 'example.com', 'pass', 0),
    ('198.51.100.10', 'example.com', 'pass', 1),          # a
    ('2001:db8:2::10', 'example.com', 'pass', 1),         # a, AAAA
    ('203.0.113.1', 'example.com', 'pass', 2),            # mx:.../24
    ('198.51.100.10', 'inc.example', 'pass', 2),
    ('10.0.0.1', 'inc.example', 'permerror', 4),          # include of a domain without SPF
    ('198.51.100.10', 'redir.example', 'pass', 2),
    ('10.0.0.1', 'redir.example', 'softfail', 3),
    ('10.0.0.1', 'twice.example', 'permerror', 0),
    ('10.0.0.1', 'macro.example', 'unsupported', 0),
    ('10.0.0.1', 'neutral.example', 'neutral', 0),
    ('10.0.0.1', 'exists.example', 'pass', 1),
    ('10.0.0.1', 'bad.example', 'permerror', 0),
    ('10.0.0.1', 'unknown.example', 'permerror', 0),
    ('2001:db8:5::abcd', 'v6cidr.example', 'pass', 1),
    ('192.0.2.201', 'v6cidr.example', 'fail', 1),         # //64 applies to IPv6 only; IPv4 needs the exact A
    ('10.0.0.1', 'broken.example', 'temperror', 0),
    ('10.0.0.1', 'nothing.example', 'none', 0),
    ('10.0.0.1', 'chain0.example', 'permerror', 11),
])
def test_spf_check_host(ip, domain, result, lookups):
    evaluator = SPFEvaluator(fake_lookup)
    outcome, why = evaluator.check_host(ip, domain)
    assert (outcome, evaluator.lookups) == (result, lookups), why


def test_spf_lookup_limit_message():
    outcome, why = SPFEvaluator(fake_lookup).check_host('10.0.0.1', 'chain0.example')
    assert outcome == 'permerror'
    assert why == 'more than 10 DNS lookups (at include:chain11.example)'
