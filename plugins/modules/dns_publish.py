#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dns_publish
short_description: Publish DKIM, SPF, DMARC and PTR records by RFC 2136 dynamic update with TSIG
version_added: 0.1.0
description:
  - Publishes DNS records, as returned by M(mailauth.dkim.dns_records) or M(mailauth.dkim.dkim_key), to an
    authoritative DNS server (BIND, Knot, PowerDNS, ...) by RFC 2136 dynamic update, signed with a TSIG key.
    Unauthenticated updates are not offered.
  - The module first asks the server what it serves. It sends no update when every RRset is already right;
    otherwise it replaces each RRset that differs, with a delete and an add in one UPDATE message per zone,
    guarded by a prerequisite that the RRset is still what was read (a concurrent change makes the update
    fail instead of being overwritten).
  - A TXT record whose value is longer than 255 bytes is sent as one TXT record of several character-strings,
    never as several TXT records.
  - TXT records at a name that carry a different version tag than the ones given (for example a
    C(google-site-verification) record next to the SPF record at the apex) are kept. A TXT record carrying the
    same tag (C(v=spf1), C(v=DKIM1), C(v=DMARC1)) as one given is replaced. A PTR RRset is replaced as a whole.
  - Runs where dnspython is installed and the server is reachable, usually the controller
    (C(delegate_to=localhost)).
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
    description: Queries the server and reports what would change; sends no update.
  diff_mode:
    support: full
    description: Shows the served and the wanted RRsets (public data only) for each RRset that changes.
options:
  records:
    # description, type and elements: mailauth.dkim._dns_record_list
    required: true
  server:
    description: Address or host name of the authoritative (primary) DNS server that accepts updates.
    type: str
    required: true
  tsig_key_name:
    description: Name of the TSIG key the server knows (as in BIND's C(key "name" { ... };)).
    type: str
    required: true
  tsig_key_secret:
    description: The TSIG key's secret, base64 as in BIND's key file. It is never shown in output or errors.
    type: str
    required: true
  tsig_algorithm:
    description: The TSIG key's algorithm.
    type: str
    default: hmac-sha256
    choices: [hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5]
  zones:
    description:
      - The zones to update, e.g. V(example.com) and V(2.0.192.in-addr.arpa). Each record goes to the longest
        zone that contains its name.
      - When not given, the zone of each record is found by asking the server for the SOA, as C(nsupdate) does.
    type: list
    elements: str
  state:
    description:
      - V(present) makes the server serve the records.
      - V(absent) removes them. For a TXT record this removes the TXT records at its name that carry the same
        version tag (or the same value when it has none); for a PTR record the given pointer.
    type: str
    choices: [present, absent]
    default: present
  timeout:
    description: Seconds to wait for each answer from the server.
    type: float
    default: 10
seealso:
  - module: mailauth.dkim.dns_records
  - module: mailauth.dkim.dns_check
  - name: RFC 2136 - Dynamic Updates in the Domain Name System
    description: The update protocol used.
    link: https://www.rfc-editor.org/rfc/rfc2136
"""

EXAMPLES = r"""
- name: Render the records for example.com
  mailauth.dkim.dns_records:
    domain: example.com
    dkim:
      - record: "{{ dkim.record }}"
    spf:
      ip4: [192.0.2.25]
    dmarc:
      policy: quarantine
      rua: mailto:dmarc@example.com
  register: rendered
  delegate_to: localhost

- name: Publish them to the primary name server
  mailauth.dkim.dns_publish:
    records: "{{ rendered.records }}"
    server: 192.0.2.53
    tsig_key_name: mail-update
    tsig_key_secret: "{{ vault_tsig_secret }}"
  delegate_to: localhost
  run_once: true

- name: Publish the PTR record of the sending address to the reverse zone
  mailauth.dkim.dns_publish:
    records:
      - type: PTR
        ip: 192.0.2.25
        value: mail.example.com
      - type: PTR
        ip: 2001:db8::25
        value: mail.example.com
    server: ns1.example.com
    tsig_key_name: mail-update
    tsig_key_secret: "{{ vault_tsig_secret }}"
    zones:
      - 2.0.192.in-addr.arpa
      - 8.b.d.0.1.0.0.2.ip6.arpa
  delegate_to: localhost

- name: Remove an old selector's key record
  mailauth.dkim.dns_publish:
    records:
      - fqdn: old._domainkey.example.com.
        type: TXT
        value: "v=DKIM1; p="
    state: absent
    server: 192.0.2.53
    tsig_key_name: mail-update
    tsig_key_secret: "{{ vault_tsig_secret }}"
  delegate_to: localhost
"""

RETURN = r"""
records:
  description: One entry per record given, in the same order, with what was (or in check mode would be) done.
  returned: success
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
    ttl:
      description: TTL of the RRset.
      type: int
      sample: 3600
    value:
      description: The record's value (TXT strings joined; for PTR the absolute target name).
      type: str
      sample: "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."
    zone:
      description: The zone the record belongs to.
      type: str
      sample: example.com.
    status:
      description:
        - V(created), V(updated) or V(unchanged) for O(state=present); V(deleted) or V(absent) for O(state=absent).
      type: str
      sample: created
    changed:
      description: Whether this record's RRset was (or would be) changed.
      type: bool
      sample: true
    served_before:
      description: The values the server served for this name and type before the update.
      type: list
      elements: str
      sample: []
zones_updated:
  description: Zones an UPDATE was sent to (empty in check mode and when nothing changed).
  returned: success
  type: list
  elements: str
  sample: [example.com.]
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailauth.dkim.plugins.module_utils._dns_client import (
    DNSPYTHON_IMPORT_ERROR,
    HAS_DNSPYTHON,
    DNSClientError,
)
from ansible_collections.mailauth.dkim.plugins.module_utils._dns_publish_backend import TSIG_ALGORITHMS, publish


def main():
    module = AnsibleModule(
        argument_spec=dict(
            records=dict(type='list', elements='dict', required=True),
            server=dict(type='str', required=True),
            port=dict(type='int', default=53),
            tsig_key_name=dict(type='str', required=True, no_log=False),
            tsig_key_secret=dict(type='str', required=True, no_log=True),
            tsig_algorithm=dict(type='str', default='hmac-sha256', choices=list(TSIG_ALGORITHMS)),
            zones=dict(type='list', elements='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            timeout=dict(type='float', default=10),
        ),
        supports_check_mode=True,
    )
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib('dnspython'), exception=str(DNSPYTHON_IMPORT_ERROR))
    params = module.params
    try:
        result = publish(
            params['records'],
            params['server'],
            port=params['port'],
            tsig_key_name=params['tsig_key_name'],
            tsig_key_secret=params['tsig_key_secret'],
            tsig_algorithm=params['tsig_algorithm'],
            zones=params['zones'],
            timeout=params['timeout'],
            state=params['state'],
            check_mode=module.check_mode,
        )
    except DNSClientError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    diff = result.pop('diff')
    if module._diff and result['changed']:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
