# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: SPF evaluation (RFC 7208 check_host()), used by dns_check.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

``SPFEvaluator`` evaluates ip4, ip6, a, mx, include, exists, ptr, all and redirect= over a lookup function
(``lookup(name, rdtype)`` returning an object with ``status``, ``values`` and ``message``, as
_dns_check_backend.Lookup does), counting DNS lookups against the limit of 10. Macros are reported as
not evaluated (result ``unsupported``).
"""

from __future__ import absolute_import, division, print_function

import ipaddress
import re

try:
    import dns.reversename
except ImportError:  # pragma: no cover - the module reports the missing library via _dns_client
    pass

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_desired import txt_tag
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_format import SPF_LOOKUP_LIMIT

_QUALIFIERS = {'+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral'}
_MECHANISM = re.compile(r'^([+\-~?]?)(all|include|a|mx|ptr|ip4|ip6|exists)(?::([^/]*))?((?:/\d+)?(?://\d+)?)$',
                        re.IGNORECASE)
_MODIFIER = re.compile(r'^([a-zA-Z][a-zA-Z0-9_.\-]*)=(.*)$')


class SPFError(Exception):
    def __init__(self, result, message):
        super(SPFError, self).__init__(message)
        self.result = result


class SPFEvaluator(object):
    """RFC 7208 check_host() over a lookup function; one instance per evaluated IP."""

    def __init__(self, lookup):
        self.lookup = lookup
        self.lookups = 0

    def _count(self, term):
        self.lookups += 1
        if self.lookups > SPF_LOOKUP_LIMIT:
            raise SPFError('permerror', 'more than %d DNS lookups (at %s)' % (SPF_LOOKUP_LIMIT, term))

    def _spf_record(self, domain):
        result = self.lookup(domain, 'TXT')
        if result.status == 'error':
            raise SPFError('temperror', result.message)
        records = [v for v in result.values if txt_tag(v) == 'v=spf1']
        if not records:
            return None
        if len(records) > 1:
            raise SPFError('permerror', '%s publishes %d SPF records; exactly one is allowed' % (domain, len(records)))
        return records[0]

    def _addresses(self, name, version):
        result = self.lookup(name, 'A' if version == 4 else 'AAAA')
        if result.status == 'error':
            raise SPFError('temperror', result.message)
        return result.values

    @staticmethod
    def _in_net(ip, address, cidr4, cidr6):
        other = ipaddress.ip_address(address)
        if other.version != ip.version:
            return False
        prefix = cidr4 if ip.version == 4 else cidr6
        if prefix is None:
            return other == ip
        return ip in ipaddress.ip_network('%s/%d' % (other, prefix), strict=False)

    def check_host(self, ip, domain, _depth=0):
        """(result, explanation): pass, fail, softfail, neutral, none, permerror or temperror."""
        if not isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            ip = ipaddress.ip_address(ip)
        domain = domain.rstrip('.')
        try:
            record = self._spf_record(domain)
            if record is None:
                return 'none', '%s has no SPF record' % domain
            return self._evaluate(ip, domain, record, _depth)
        except SPFError as exc:
            if _depth:
                raise  # errors in an include or redirect end the whole evaluation, with their own message
            return exc.result, str(exc)

    def _evaluate(self, ip, domain, record, depth):
        terms = record.split()[1:]
        redirect = None
        for term in terms:
            if '%' in term:
                raise SPFError('unsupported', 'term %r of %s uses SPF macros, which this check does not evaluate'
                               % (term, domain))
            modifier = _MODIFIER.match(term)
            mechanism = _MECHANISM.match(term)
            if modifier and not mechanism:
                if modifier.group(1).lower() == 'redirect':
                    redirect = modifier.group(2)
                continue
            if not mechanism:
                raise SPFError('permerror', 'unknown term %r in the SPF record of %s' % (term, domain))
            qualifier, name, target, cidr = mechanism.groups()
            name = name.lower()
            result = _QUALIFIERS[qualifier or '+']
            cidr4 = cidr6 = None
            if cidr:
                parts = cidr.split('//')
                if parts[0]:
                    cidr4 = int(parts[0].lstrip('/'))
                if len(parts) > 1:
                    cidr6 = int(parts[1])
            if self._matches(ip, domain, name, target, cidr4, cidr6, term, depth):
                return result, 'matched %s in the SPF record of %s' % (term, domain)
        if redirect:
            self._count('redirect=%s' % redirect)
            result, why = self.check_host(ip, redirect, depth + 1)
            if result == 'none':
                return 'permerror', 'redirect=%s: %s' % (redirect, why)
            return result, why
        return 'neutral', 'no mechanism in the SPF record of %s matched' % domain

    def _matches(self, ip, domain, name, target, cidr4, cidr6, term, depth):
        if name == 'all':
            return True
        if name in ('ip4', 'ip6'):
            if not target:
                raise SPFError('permerror', '%r in the SPF record of %s has no address' % (term, domain))
            try:
                net = ipaddress.ip_network(target if cidr4 is None else '%s/%d' % (target, cidr4), strict=False)
            except ValueError:
                raise SPFError('permerror', '%r in the SPF record of %s is not a valid network' % (term, domain))
            if (name == 'ip4') != (net.version == 4):
                raise SPFError('permerror', '%r in the SPF record of %s has the wrong address family' % (term, domain))
            return ip.version == net.version and ip in net
        self._count(term)
        host = target or domain
        if name == 'a':
            return any(self._in_net(ip, addr, cidr4, cidr6) for addr in self._addresses(host, ip.version))
        if name == 'mx':
            result = self.lookup(host, 'MX')
            if result.status == 'error':
                raise SPFError('temperror', result.message)
            if len(result.values) > 10:
                raise SPFError('permerror', 'mx of %s has more than 10 MX hosts' % host)
            for exchange in result.values:
                if any(self._in_net(ip, addr, cidr4, cidr6) for addr in self._addresses(exchange, ip.version)):
                    return True
            return False
        if name == 'include':
            if not target:
                raise SPFError('permerror', 'include without a domain in the SPF record of %s' % domain)
            result, why = self.check_host(ip, target, depth + 1)
            if result == 'pass':
                return True
            if result == 'none':
                raise SPFError('permerror', 'include:%s: the domain has no SPF record' % target)
            return False
        if name == 'exists':
            return bool(self._addresses(host, 4))
        if name == 'ptr':
            names = self.lookup(dns.reversename.from_address(str(ip)), 'PTR')
            if names.status == 'error':
                return False
            for candidate in names.values[:10]:
                cand = candidate.rstrip('.').lower()
                if cand == host.lower() or cand.endswith('.' + host.lower()):
                    if str(ip) in [str(ipaddress.ip_address(a)) for a in self._addresses(candidate, ip.version)]:
                        return True
            return False
        raise SPFError('permerror', 'unknown mechanism %r' % term)  # pragma: no cover - regex limits names
