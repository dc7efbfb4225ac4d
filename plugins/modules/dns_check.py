#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dns_check
short_description: Check that DNS serves the DKIM, SPF, DMARC and PTR records, and report mail readiness
version_added: 0.1.0
description:
  - Asks DNS for each record given (as M(mailauth.dkim.dns_records) returns them), joins the strings of TXT
    records, compares with what is expected and reports each record as V(published), V(missing),
    V(different) (with what is served instead) or V(error) (the server did not answer).
  - Can wait for propagation, asking again every O(interval) seconds until every record is published or
    O(timeout) seconds have passed. It never waits longer than that (plus one round of queries).
  - Then reports, per domain, readiness in the spirit of the bulk-sender guidelines of large mailbox
    providers such as Google and Yahoo. A DKIM key is published and has at least 1024 bits (Ed25519 keys
    pass). The domain publishes exactly one SPF record, and that record gives V(pass) for each of
    O(sending_ips) (evaluating C(ip4), C(ip6), C(a), C(mx), C(include), C(exists), C(ptr), C(all) and
    C(redirect=) within the limit of 10 DNS lookups). Exactly one DMARC record with a valid policy is
    published. Each sending IP, IPv4 or IPv6, has a PTR record whose name resolves back to it
    (forward-confirmed reverse DNS).
  - Only reads DNS; never changes anything. It fails only when asked to with O(fail_on).
author:
  - mailauth.dkim contributors (@mailauth)
requirements:
  - dnspython >= 2.2 (on the host that runs the module)
extends_documentation_fragment:
  - mailauth.dkim._dns_record_list
  - mailauth.dkim._dns_server
attributes:
  check_mode:
    support: full
    description: The module only queries DNS, so it does the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to diff.
options:
  records:
    # description, type and elements: mailauth.dkim._dns_record_list
    default: []
  nameservers:
    description:
      - Addresses (or host names) of the DNS servers to ask, for example the authoritative servers of the zone.
        Each record is checked on each of them; a record counts as published only when all of them serve it.
      - When not given, the system resolver of the host running the module is used.
      - The readiness report follows C(include:) and C(mx) targets and PTR names through these servers too,
        so give servers that can answer for those names (or recursive resolvers).
    type: list
    elements: str
  query_timeout:
    description: Seconds to wait for each answer.
    type: float
    default: 5
  wait:
    description: Ask again until every record is published or O(timeout) has passed.
    type: bool
    default: false
  timeout:
    description: With O(wait=true), the most seconds to keep asking.
    type: float
    default: 60
  interval:
    description: With O(wait=true), seconds between two rounds of queries.
    type: float
    default: 5
  sending_ips:
    description:
      - The IPv4 and IPv6 addresses the mail servers send from. SPF must give V(pass) for each, and each needs a
        forward-confirmed PTR record.
      - When empty, SPF coverage and PTR records are not checked.
    type: list
    elements: str
    default: []
  sending_ips_by_domain:
    description:
      - Sending IPs per domain (domain name to list of addresses), for domains sent from other servers than
        O(sending_ips). A domain listed here is checked against these addresses only.
    type: dict
    default: {}
  domains:
    description: Domains to report readiness for, besides those of the DKIM, SPF and DMARC records given.
    type: list
    elements: str
    default: []
  readiness:
    description: Whether to make the readiness report.
    type: bool
    default: true
  fail_on:
    description:
      - V(never) reports and never fails because of what DNS serves.
      - V(missing) fails when a record is not published (missing, different or no answer).
      - V(not_ready) fails when a record is not published or a readiness check fails.
    type: str
    choices: [never, missing, not_ready]
    default: never
  rotation:
    description:
      - The key rotation of the domains, as the role's C(opendkim_rotation_report) gives it (or
        RV(mailauth.dkim.dkim_rotation#module:summary) with a C(domain)), each with C(domain), C(active), C(age_days),
        C(overdue), C(step) and C(at). Each domain's entry of RV(readiness) gets it as C(rotation), and a key older
        than its period causes a warning (it does not make the domain unready: the key still verifies).
    type: list
    elements: dict
    default: []
    version_added: 0.4.0
seealso:
  - module: mailauth.dkim.dns_records
  - module: mailauth.dkim.dns_publish
  - name: Google email sender guidelines
    description: The requirements the readiness report follows.
    link: https://support.google.com/a/answer/81126
"""

EXAMPLES = r"""
- name: Check what the authoritative server serves, waiting up to two minutes
  mailauth.dkim.dns_check:
    records: "{{ rendered.records }}"
    nameservers: [192.0.2.53]
    wait: true
    timeout: 120
    interval: 5
    sending_ips: [192.0.2.25, "2001:db8::25"]
  delegate_to: localhost
  register: dns_state

- name: Show the readiness report
  ansible.builtin.debug:
    var: dns_state.readiness

- name: Stop the play unless everything is published and ready, using the system resolver
  mailauth.dkim.dns_check:
    records: "{{ rendered.records }}"
    sending_ips: "{{ ansible_facts.all_ipv4_addresses }}"
    fail_on: not_ready
  delegate_to: localhost
"""

RETURN = r"""
records:
  description: One entry per record given, in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    fqdn:
      description: Absolute record name.
      type: str
      sample: mail._domainkey.example.com.
    type:
      description: Record type.
      type: str
      sample: TXT
    value:
      description: The expected value (TXT strings joined).
      type: str
      sample: "v=spf1 ip4:192.0.2.25 -all"
    kind:
      description: V(dkim), V(spf), V(dmarc), V(ptr) or V(txt).
      type: str
      sample: spf
    status:
      description: V(published), V(missing), V(different) or V(error). With several O(nameservers), the worst.
      type: str
      sample: published
    served:
      description: The values served for this name and type (TXT strings joined).
      type: list
      elements: str
      sample: ["v=spf1 ip4:192.0.2.25 -all"]
    message:
      description:
        - A sentence saying what was found.
        - With several O(nameservers) and a record that is not published everywhere, one sentence per name
          server that does not serve it, each starting with that server (as given in O(nameservers)).
      type: str
      sample: "example.com. TXT: published"
    servers:
      description: Status, served values and message per name server.
      type: list
      elements: dict
      returned: when more than one name server is given
      sample: [{server: 192.0.2.53, status: published, served: ["v=spf1 -all"], message: "example.com. TXT: published"}]
all_published:
  description: Whether every record given is published.
  returned: always
  type: bool
  sample: true
readiness:
  description: Per domain, C(ready) and the list of C(checks), each with C(check) (dkim, spf, dmarc, ptr),
    C(subject), C(ok) and C(message); with O(rotation), C(rotation) (active selectors, age in days, whether the key
    is overdue, the next step and its date).
  returned: always (empty with O(readiness=false))
  type: dict
  sample:
    example.com:
      ready: true
      checks:
        - {check: dkim, subject: mail._domainkey.example.com., ok: true,
           message: "mail._domainkey.example.com.: 2048-bit RSA key published"}
        - {check: spf, subject: example.com 192.0.2.25, ok: true,
           message: "SPF of example.com for 192.0.2.25: pass (matched ip4:192.0.2.25 ...; 0 DNS lookups)"}
        - {check: dmarc, subject: _dmarc.example.com, ok: true, message: "DMARC policy p=quarantine published"}
        - {check: ptr, subject: 192.0.2.25, ok: true,
           message: "192.0.2.25 -> mail.example.com. -> 192.0.2.25 (forward-confirmed)"}
ready:
  description: Whether every record is published and every domain's readiness checks pass.
  returned: always
  type: bool
  sample: true
attempts:
  description: Rounds of queries made.
  returned: always
  type: int
  sample: 1
waited:
  description: Seconds spent checking, waits included.
  returned: always
  type: float
  sample: 0.012
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_check_backend import check
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_client import (
    DNSPYTHON_IMPORT_ERROR,
    HAS_DNSPYTHON,
    DNSClientError,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            records=dict(type='list', elements='dict', default=[]),
            nameservers=dict(type='list', elements='str'),
            port=dict(type='int', default=53),
            query_timeout=dict(type='float', default=5),
            wait=dict(type='bool', default=False),
            timeout=dict(type='float', default=60),
            interval=dict(type='float', default=5),
            sending_ips=dict(type='list', elements='str', default=[]),
            sending_ips_by_domain=dict(type='dict', default={}),
            domains=dict(type='list', elements='str', default=[]),
            readiness=dict(type='bool', default=True),
            fail_on=dict(type='str', default='never', choices=['never', 'missing', 'not_ready']),
            rotation=dict(type='list', elements='dict', default=[]),
        ),
        supports_check_mode=True,
    )
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib('dnspython'), exception=str(DNSPYTHON_IMPORT_ERROR))
    params = module.params
    try:
        result = check(
            params['records'],
            nameservers=params['nameservers'],
            port=params['port'],
            query_timeout=params['query_timeout'],
            wait=params['wait'],
            timeout=params['timeout'],
            interval=params['interval'],
            sending_ips=params['sending_ips'],
            sending_ips_by_domain=params['sending_ips_by_domain'],
            domains=params['domains'],
            readiness=params['readiness'],
            fail_on=params['fail_on'],
            rotation=params['rotation'],
        )
    except DNSClientError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
