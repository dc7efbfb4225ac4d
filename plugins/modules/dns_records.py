#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r'''
---
module: dns_records
short_description: Render the DKIM, SPF and DMARC records to publish for a mail domain
version_added: 0.1.0
description:
  - Computes the DNS records a mail domain needs, validates them, and returns each one in several forms
    (logical value, wire character-strings of at most 255 bytes, BIND zone-file line).
  - Pure computation with C(dnspython); it sends no DNS queries and changes nothing unless O(dest) is given.
    It is usually run on the controller, with C(delegate_to) V(localhost).
  - Every rendered record is parsed back with C(dnspython) before it is returned, as a DNS server loading
    the zone would.
  - Bad input fails with a message naming the bad value, for example a public key that does not parse,
    an SPF policy needing more than 10 DNS lookups, C(p=block), a C(pct) outside 0..100, or a C(rua) that is
    not a C(mailto:) URI.
author:
  - mailauth.dkim contributors (@mailauth)
requirements:
  - dnspython >= 2.2
  - cryptography >= 3.1 (to check public keys)
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Records are always computed; O(dest) is not written in check mode.
  diff_mode:
    support: full
    description: Shows the change to the O(dest) file (public data only).
  platform:
    platforms: posix
    support: full
    description: Any host with Python, C(dnspython) and C(cryptography); normally the controller.
options:
  domain:
    description:
      - The mail domain, for example V(example.com). Required unless O(domains) is given.
    type: str
  dkim:
    description:
      - DKIM keys to publish for O(domain), each at C(<selector>._domainkey.<domain>).
      - Give either O(dkim[].public_key) with O(dkim[].selector), or O(dkim[].record) as returned by
        M(mailauth.dkim.dkim_key).
    type: list
    elements: dict
    suboptions:
      selector:
        description: The selector. Taken from O(dkim[].record) when that is given.
        type: str
      public_key:
        description:
          - The public key as the C(p=) base64 data, as base64 DER, or as PEM. RSA keys must have at least
            1024 bits; Ed25519 keys may be given raw (32 bytes, RFC 8463) or as SubjectPublicKeyInfo.
        type: str
      key_type:
        description: Expected key type; detected from the key when not given.
        type: str
        choices: [rsa, ed25519]
      testing:
        description: Add C(t=y). Taken from O(dkim[].record) when that is given; V(false) otherwise.
        type: bool
      revoked:
        description:
          - The record of a revoked key, C(v=DKIM1; k=<key_type>; p=) (RFC 6376 section 3.6.1). Receivers treat
            signatures with this selector as failed. Takes O(dkim[].selector) and O(dkim[].key_type), no key.
        type: bool
        default: false
        version_added: 0.4.0
      record:
        description:
          - A record dict as returned by M(mailauth.dkim.dkim_key) (its RV(mailauth.dkim.dkim_key#module:record)).
          - A V(null) record (a key that would only be created, in check mode) is skipped with a warning.
        type: dict
  dkim_records:
    description:
      - DKIM records exactly as M(mailauth.dkim.dkim_key) returns them (its RV(mailauth.dkim.dkim_key#module:record),
        or the C(record) of each item of its C(keys) result), for example
        C({{ keys_result.key_results | map(attribute='record') | list }}).
      - Each must be for O(domain). V(null) items (keys that would only be created, in check mode) are skipped
        with a warning. Published after the O(dkim) entries.
    type: list
    elements: raw
  spf:
    description:
      - The SPF policy of O(domain) (RFC 7208), published at the domain itself.
      - The record lists C(mx), C(a), C(ip4), C(ip6), C(include) terms in that order, then the C(all) term.
      - The module counts the DNS lookups of the record's own terms (C(a), C(mx), C(include)) and fails above 10.
        Lookups made inside included records are not counted, because that would need DNS traffic.
    type: dict
    suboptions:
      ip4:
        description: IPv4 addresses or networks (V(192.0.2.10), V(192.0.2.0/24)). Host bits must be zero.
        type: list
        elements: str
      ip6:
        description: IPv6 addresses or networks.
        type: list
        elements: str
      include:
        description: Domains whose SPF records are included (each costs at least one lookup).
        type: list
        elements: str
      a:
        description: V(true) for C(a) (the domain's own addresses), or a list of host names for C(a:<host>).
        type: raw
      mx:
        description: V(true) for C(mx) (the domain's mail exchangers), or a list of domains for C(mx:<domain>).
        type: raw
      all:
        description: What happens to mail from everywhere else. V(fail) is C(-all), V(softfail) C(~all),
          V(neutral) C(?all).
        type: str
        choices: [fail, softfail, neutral]
        default: fail
  dmarc:
    description: The DMARC policy of O(domain) (RFC 7489), published at C(_dmarc.<domain>).
    type: dict
    suboptions:
      policy:
        description: C(p=), what receivers should do with mail that fails DMARC.
        type: str
        choices: [none, quarantine, reject]
        required: true
      subdomain_policy:
        description: C(sp=), the policy for subdomains.
        type: str
        choices: [none, quarantine, reject]
      pct:
        description: C(pct=), percentage (0 to 100) of failing mail the policy applies to. 100 is not written.
        type: int
      rua:
        description: C(rua=), where aggregate reports go. A C(mailto:) URI or a list of them (optional C(!size)).
        type: raw
      ruf:
        description: C(ruf=), where failure reports go. A C(mailto:) URI or a list of them.
        type: raw
      adkim:
        description: C(adkim=), DKIM alignment. V(r)/V(relaxed) or V(s)/V(strict).
        type: str
        choices: [r, s, relaxed, strict]
      aspf:
        description: C(aspf=), SPF alignment. V(r)/V(relaxed) or V(s)/V(strict).
        type: str
        choices: [r, s, relaxed, strict]
      fo:
        description: C(fo=), failure reporting options; V(0), V(1), V(d), V(s) or several joined by C(:).
        type: str
  ttl:
    description: TTL of every record, in seconds.
    type: int
    default: 3600
  domains:
    description:
      - Several domains in one call. Each item takes the keys O(domain) (required), O(dkim), O(dkim_records),
        O(spf), O(dmarc) and O(ttl), with the same meaning as the top-level options.
      - Mutually exclusive with O(domain).
    type: list
    elements: dict
  ptr:
    description: Reverse (PTR) records, for example for the mail server's addresses.
    type: list
    elements: dict
    suboptions:
      ip:
        description: IPv4 or IPv6 address.
        type: str
        required: true
      name:
        description: Host name the address points to.
        type: str
        required: true
  dest:
    description:
      - Write the zone-file snippet (RV(zone)) to this file. Written only when its content differs, atomically.
      - Its directory must exist.
    type: path
  header:
    description: Start the zone snippet with a comment naming the domains.
    type: bool
    default: true
notes:
  - The SPF record is published at the apex of O(domain). If the domain already has an SPF record, merge the
    policies into one record; two C(v=spf1) records make SPF fail with C(permerror).
  - Reports for a C(rua)/C(ruf) address in another domain are only sent if that domain publishes
    C(<domain>._report._dmarc.<its domain>) (RFC 7489 section 7.1).
seealso:
  - module: mailauth.dkim.dkim_key
  - name: RFC 7208 (SPF)
    description: Sender Policy Framework.
    link: https://www.rfc-editor.org/rfc/rfc7208
  - name: RFC 7489 (DMARC)
    description: Domain-based Message Authentication, Reporting, and Conformance.
    link: https://www.rfc-editor.org/rfc/rfc7489
'''

EXAMPLES = r'''
- name: Create the key on the mail server
  mailauth.dkim.dkim_key:
    path: /etc/dkimkeys/example.com.mail.private
    domain: example.com
    selector: mail
  register: dkim

- name: Render DKIM, SPF and DMARC records and write a zone snippet on the controller
  mailauth.dkim.dns_records:
    domain: example.com
    dkim:
      - record: "{{ dkim.record }}"
    spf:
      mx: true
      ip4: [192.0.2.25]
      include: [_spf.mailprovider.example]
      all: fail
    dmarc:
      policy: quarantine
      pct: 50
      rua: mailto:dmarc-reports@example.com
      adkim: strict
    dest: /srv/dns/example.com.mail.zone
  delegate_to: localhost
  register: dns

- name: Many keys made in one dkim_key call, published without reshaping
  mailauth.dkim.dns_records:
    domain: example.com
    dkim_records: "{{ dkim_many.key_results | map(attribute='record') | list }}"
  delegate_to: localhost

- name: Print what to publish
  ansible.builtin.debug:
    msg: "{{ dns.records | map(attribute='zone_line') | list }}"

- name: A public key given directly
  mailauth.dkim.dns_records:
    domain: example.org
    dkim:
      - selector: ed
        key_type: ed25519
        public_key: 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
  delegate_to: localhost

- name: Several domains and a reverse record in one call
  mailauth.dkim.dns_records:
    domains:
      - domain: example.com
        spf: {mx: true}
        dmarc: {policy: reject}
      - domain: example.net
        spf: {include: [example.com]}
        dmarc: {policy: none, rua: mailto:dmarc@example.com}
    ptr:
      - ip: 192.0.2.25
        name: mail.example.com
  delegate_to: localhost
'''

RETURN = r'''
records:
  description: The records, DKIM first, then SPF and DMARC per domain, then PTR records.
  returned: always
  type: list
  elements: dict
  contains:
    fqdn:
      description: Absolute name with trailing dot.
      type: str
      sample: mail._domainkey.example.com.
    name:
      description: Name relative to RV(records[].domain); V(@) for the apex.
      type: str
      sample: mail._domainkey
    type:
      description: V(TXT), or V(PTR) for reverse records.
      type: str
      sample: TXT
    ttl:
      description: TTL in seconds.
      type: int
      sample: 3600
    value:
      description: The single logical value (TXT strings joined; the target name for PTR).
      type: str
      sample: v=DKIM1; k=rsa; p=MIIBIjANBgkqh...
    strings:
      description: The TXT character-strings as they go on the wire, each at most 255 bytes. Empty for PTR.
      type: list
      elements: str
      sample: [v=DKIM1; k=rsa; p=MIIBIjANBgkqh..., ...wIDAQAB]
    zone_line:
      description: The record as a BIND zone-file line, every string quoted and escaped.
      type: str
      sample: mail._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..." "...wIDAQAB"
    domain:
      description: The domain (for PTR, the reverse zone, /24 or /64).
      type: str
      sample: example.com
    kind:
      description: V(dkim), V(spf), V(dmarc) or V(ptr).
      type: str
      sample: dkim
    selector:
      description: DKIM only, the selector.
      type: str
      sample: mail
    key_type:
      description: DKIM only, V(rsa) or V(ed25519).
      type: str
      sample: rsa
    size:
      description: DKIM only, the key size in bits.
      type: int
      sample: 2048
    fingerprint:
      description: DKIM only, SHA-256 of the decoded C(p=) data (colon-separated hex).
      type: str
      sample: 3b:0c:...:9f
    lookups:
      description: SPF only, the DNS lookups the record's own terms cost.
      type: int
      sample: 2
    ip:
      description: PTR only, the address.
      type: str
      sample: 192.0.2.25
  sample:
    - fqdn: example.com.
      name: "@"
      type: TXT
      ttl: 3600
      value: v=spf1 mx -all
      strings: [v=spf1 mx -all]
      zone_line: example.com. 3600 IN TXT "v=spf1 mx -all"
      domain: example.com
      kind: spf
      lookups: 1
zone:
  description: The zone-file snippet, one line per record with absolute names.
  returned: always
  type: str
  sample: |
    ; DNS records for example.com
    example.com. 3600 IN TXT "v=spf1 mx -all"
dest:
  description: The file the snippet was written to.
  returned: when O(dest) is given
  type: str
  sample: /srv/dns/example.com.mail.zone
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_keys, _dns_records_backend
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import FileAttributes


def main():
    module = AnsibleModule(
        argument_spec=_dns_records_backend.argument_spec(),
        mutually_exclusive=[('domain', 'domains')],
        required_one_of=[('domain', 'domains', 'ptr')],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if not _dns_records_backend.HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib('dnspython'), exception=_dns_records_backend.DNSPYTHON_IMPORT_ERROR)
    if not _dkim_keys.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=_dkim_keys.CRYPTOGRAPHY_IMPORT_ERROR)
    backend = _dns_records_backend.RecordsBackend(module.params, check_mode=module.check_mode, diff=module._diff,
                                                  files=FileAttributes(module))
    result, failure = {}, None
    try:
        result = backend.run()
    except MailauthError as exc:
        failure = exc
    for warning in backend.warnings:  # also those found before a failure
        module.warn(warning)
    if failure is not None:
        module.fail_json(msg=str(failure), **failure.result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
