# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scenario's fixtures, before the story of test_rotation.py: ns serves lab.example on this scenario's own
addresses, and the sender and the receiver resolve through it (so they see what the role published there)."""

from __future__ import annotations

import dns.message
import dns.query
import dns.rdatatype
import pytest

import rotlib
from rotlib import DOMAIN, HOSTS


def answer(name, rdtype):
    reply = dns.query.udp(dns.message.make_query(name, rdtype), rotlib.NS_IP, timeout=5)
    return sorted(rdata.to_text() for rrset in reply.answer for rdata in rrset)


def test_ns_serves_the_domain_with_this_scenarios_addresses():
    assert answer(DOMAIN, dns.rdatatype.MX) == ['10 mx.%s.' % DOMAIN]
    for role in ('ns', 'mx', 'mail'):
        assert answer('%s.%s' % (role, DOMAIN), dns.rdatatype.A) == [HOSTS[role]['ipv4']], role


@pytest.mark.parametrize('role', ['mx', 'mail'])
def test_hosts_resolve_through_ns(role):
    out = rotlib.dexec(role, 'getent', 'hosts', 'mx.%s' % DOMAIN).stdout.split()
    assert out and out[0] in (HOSTS['mx']['ipv4'], HOSTS['mx']['ipv6']), (role, out)
    servers = [line.split()[1] for line in rotlib.dexec(role, 'cat', '/etc/resolv.conf').stdout.splitlines()
               if line.startswith('nameserver')]
    assert servers and servers[0] == rotlib.NS_IP, (role, servers)
