# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: single DNS queries to one server (shared by dns_publish and dns_check).

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

``query`` sends one question to one server with dnspython (UDP with EDNS, TCP when truncated) and returns an
``Answer``; ``resolve_server`` turns a server name into an address. Problems are raised as DNSClientError
with a message that names the server and the query. ``HAS_DNSPYTHON`` tells the modules whether dnspython
is installed.
"""

from __future__ import absolute_import, division, print_function

import ipaddress
import socket

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdatatype
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without dnspython
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = exc

from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError


class DNSClientError(MailauthError):
    """A DNS problem to report to the user; the message names the record or server.

    The error type of the dns_publish and dns_check backends.
    """


def resolve_server(server, port=53):
    """The IP address to send to: an address as given, or a host name resolved by the controller."""
    try:
        return str(ipaddress.ip_address(server))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(server, port, 0, socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DNSClientError('cannot resolve DNS server name %r: %s' % (server, exc))
    return infos[0][4][0]


def rcode_text(rcode):
    return dns.rcode.to_text(rcode)


class Answer(object):
    """The result of one query: rcode text, the RRset asked for (or None), and the zone's SOA owner if seen."""

    def __init__(self, rcode, rrset, soa_owner, response):
        self.rcode = rcode
        self.rrset = rrset
        self.soa_owner = soa_owner
        self.response = response


def query(server, port, name, rdtype, timeout, recursion=False):
    """Ask one server for name/rdtype over UDP (EDNS, falling back to TCP when truncated).

    Returns an Answer; raises DNSClientError on timeouts and network errors.
    """
    if isinstance(name, str):
        name = dns.name.from_text(name)
    rdtype = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
    request = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    if not recursion:
        request.flags &= ~dns.flags.RD
    what = '%s %s' % (name.to_text(), dns.rdatatype.to_text(rdtype))
    try:
        response, _used_tcp = dns.query.udp_with_fallback(request, server, timeout=timeout, port=port)
    except dns.exception.Timeout:
        raise DNSClientError('no answer from DNS server %s port %s within %s seconds (query %s)'
                             % (server, port, timeout, what))
    except (OSError, dns.exception.DNSException) as exc:
        raise DNSClientError('query %s to DNS server %s port %s failed: %s' % (what, server, port, exc))
    rrset = None
    for candidate in response.answer:
        if candidate.name == name and candidate.rdtype == rdtype:
            rrset = candidate
    soa_owner = None
    for section in (response.answer, response.authority):
        for candidate in section:
            if candidate.rdtype == dns.rdatatype.SOA:
                soa_owner = candidate.name
    return Answer(rcode_text(response.rcode()), rrset, soa_owner, response)
