#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: dkim_rotation
short_description: Advance a domain's DKIM key rotation by one staged step, by date
version_added: 0.4.0
description:
  - Keeps the rotation state of one domain in C(<state_dir>/<domain>.rotation.json) on the managed host, next to
    its keys, and moves it forward to O(now) as far as the dates allow, following M3AAWG's DKIM Key Rotation BCP.
  - The keys of a domain rotate in generations, one selector per key type (C(<prefix>-YYYYMM), never reused), each
    in turn V(published) (the record is in DNS, nothing signs with it), V(active) (it signs; only once its records are
    served, see O(served), and at least max(O(schedule.min_publish_hours), 2 x O(ttl)) after publication when
    another generation was active), V(retiring) (the previous generation no longer signs but its record still
    verifies mail in transit), V(revoked) (O(schedule.retire_days) after the switch, the record becomes
    C(v=DKIM1; p=) and the private keys go), deleted (O(schedule.delete_days) later the record is removed).
  - Returns what the host and DNS must hold; it creates no key and publishes nothing itself (use
    M(mailauth.dkim.dkim_key) and M(mailauth.dkim.dns_publish) with RV(present), RV(signing), RV(revoked), RV(gone)).
  - A run too early for the next step changes nothing and says what comes next and when (RV(summary)).
author:
  - mailauth.dkim contributors (@mailauth)
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Computes the next state and reports the steps without writing the state file.
  diff_mode:
    support: full
    description: The state file before and after (names, phases and dates; no key material is in it).
  platform:
    platforms: posix
    support: full
    description: Runs on any POSIX host with Python; needs no extra library.
options:
  domain:
    description:
      - The signing domain. One of O(domain) (with O(prefixes)) and O(domains) is required.
    type: str
  domains:
    description:
      - Many domains in one call, each item with its own C(domain), C(prefixes), C(schedule), C(served),
        C(emergency) and C(adopt) (as the options of the same names, which cannot be given beside O(domains));
        O(state_dir), O(ttl) and O(now) are shared.
        A host rotating hundreds of domains then pays the per-task cost once, not once per domain.
      - Every state is read and advanced before any is written, so a bad item leaves every state file as it was.
      - The result has one entry per domain in RV(domains) instead of the single-domain return values.
    type: list
    elements: dict
    suboptions:
      domain:
        description: The signing domain.
        type: str
        required: true
      prefixes:
        description: As O(prefixes).
        type: dict
        required: true
      schedule:
        description: As O(schedule).
        type: dict
        default: {}
        suboptions:
          period_months:
            description: As O(schedule.period_months).
            type: int
            default: 6
          retire_days:
            description: As O(schedule.retire_days).
            type: int
            default: 7
          delete_days:
            description: As O(schedule.delete_days).
            type: int
            default: 30
          min_publish_hours:
            description: As O(schedule.min_publish_hours).
            type: int
            default: 48
      served:
        description: As O(served).
        type: list
        elements: str
        default: []
      emergency:
        description: As O(emergency).
        type: str
      adopt:
        description: As O(adopt).
        type: list
        elements: dict
        default: []
  state_dir:
    description: Directory of the state file (the key directory, for example C(/etc/dkimkeys)).
    type: path
    required: true
  prefixes:
    description:
      - The selector prefix of each key type that rotates, for example V(rsa=mail) and V(ed25519=ed). All of them
        switch together.
      - They cannot change once the domain rotates (the state file names them).
    type: dict
  schedule:
    description: When the steps happen.
    type: dict
    default: {}
    suboptions:
      period_months:
        description: A new generation this many months after the current one became active (1 to 12).
        type: int
        default: 6
      retire_days:
        description: Days between the switch to a new generation and the revocation of the old one.
        type: int
        default: 7
      delete_days:
        description: Days between revocation and removal of the revoked record.
        type: int
        default: 30
      min_publish_hours:
        description: The least time a new generation's records are in DNS before it signs (when one already signs).
        type: int
        default: 48
  ttl:
    description: TTL of the records; a new generation waits at least twice this long after publication.
    type: int
    default: 3600
  now:
    description: The moment to advance to, ISO 8601 (V(2026-11-29T10:00:00Z)); the host's clock when not given.
    type: str
  served:
    description:
      - The generations (RV(pending) names) whose records every authoritative server serves, matching their keys,
        for example from M(mailauth.dkim.dns_check). A generation not listed never becomes active.
    type: list
    elements: str
    default: []
  emergency:
    description:
      - A moment (ISO 8601) from which keys made earlier count as compromised. A new generation is made, activated
        as soon as it is served, and the old one is revoked at once. Leaving it set is harmless; later runs do not
        rotate again because of it.
    type: str
  adopt:
    description:
      - Keys that signed for the domain before it rotated, each with C(key_type), C(selector) and C(path). For a
        domain without a state file, those whose file exists become the active generation under their own
        selectors, and the first rotated generation is pre-published at once; the adopted keys keep signing until
        it is served, then retire, are revoked and deleted like any other generation.
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- name: Advance the rotation of example.com
  mailauth.dkim.dkim_rotation:
    domain: example.com
    state_dir: /etc/dkimkeys
    prefixes: {rsa: mail, ed25519: ed}
    served: "{{ served_generations }}"
  register: rotation

- name: Show what comes next
  ansible.builtin.debug:
    msg: "{{ rotation.summary }}"

- name: Advance many domains in one task
  mailauth.dkim.dkim_rotation:
    state_dir: /etc/dkimkeys
    domains:
      - {domain: example.com, prefixes: {rsa: mail}, served: "{{ served['example.com'] }}"}
      - {domain: example.org, prefixes: {rsa: mail, ed25519: ed}, schedule: {period_months: 3}}
  register: rotations
'''

RETURN = r'''
steps:
  description: The steps taken in this run, for example V(pre-publish 202611), V(activate 202611), V(revoke 202605).
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: list
  elements: str
summary:
  description: C(active) (selectors by key type), C(age_days), C(overdue), C(step) (the next one) and C(at) (from when; null
    for a step that waits for its records to be served).
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: dict
present:
  description: Selectors whose private keys must exist (published, active and retiring generations).
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: list
  elements: str
signing:
  description: Selectors OpenDKIM signs with (the active generation); empty until the first generation is served.
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: list
  elements: str
revoked:
  description: Selectors whose records must be C(v=DKIM1; p=) and whose private keys must be gone.
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: list
  elements: str
gone:
  description: Selectors of deleted generations, whose records must be removed.
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: list
  elements: str
pending:
  description: The published generations that wait to become active, with their C(name) and C(selectors).
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: list
  elements: dict
waiting:
  description:
    - The generations that were published before this run and still wait to sign, with their C(name) and
      C(selectors). These are the ones whose records a caller checks (RV(pending) also has a generation
      pre-published in this run).
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: list
  elements: dict
state:
  description: The state written to RV(state_file).
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: dict
state_file:
  description: Path of the state file.
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: str
domain:
  description: The signing domain, as its state file names it (lower case, A-label).
  returned: when O(domain) is given; with O(domains), in each of its entries
  type: str
domains:
  description:
    - With O(domains), one entry per item in the same order, each with the return values of a single domain
      (RV(domain), C(changed), RV(steps), RV(summary), RV(present), RV(signing), RV(revoked), RV(gone), RV(pending),
      RV(waiting), RV(state), RV(state_file)).
  returned: when O(domains) is given
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_rotation_backend import RotationBackend
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import FileAttributes


def _schedule_options():
    return dict(
        period_months=dict(type='int', default=6),
        retire_days=dict(type='int', default=7),
        delete_days=dict(type='int', default=30),
        min_publish_hours=dict(type='int', default=48),
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            domain=dict(type='str'),
            domains=dict(type='list', elements='dict', options=dict(
                domain=dict(type='str', required=True),
                prefixes=dict(type='dict', required=True),
                schedule=dict(type='dict', default={}, options=_schedule_options()),
                served=dict(type='list', elements='str', default=[]),
                emergency=dict(type='str'),
                adopt=dict(type='list', elements='dict', default=[]),
            )),
            state_dir=dict(type='path', required=True),
            prefixes=dict(type='dict'),
            schedule=dict(type='dict', default={}, options=_schedule_options()),
            ttl=dict(type='int', default=3600),
            now=dict(type='str'),
            served=dict(type='list', elements='str', default=[]),
            emergency=dict(type='str'),
            adopt=dict(type='list', elements='dict', default=[]),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
        required_one_of=[['domain', 'domains']],
        mutually_exclusive=[['domain', 'domains'], ['prefixes', 'domains'], ['schedule', 'domains'],
                            ['served', 'domains'], ['emergency', 'domains'], ['adopt', 'domains']],
        required_by={'domain': ['prefixes']},
    )
    backend = RotationBackend(module.params, check_mode=module.check_mode, diff=module._diff,
                              files=FileAttributes(module, default_mode='0644'))
    try:
        result = backend.run()
    except MailauthError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    for warning in result.pop('warnings', []):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
