#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r'''
---
module: dkim_key
short_description: Create DKIM signing keys and return their public half and DNS record
version_added: 0.1.0
description:
  - Does what C(opendkim-genkey) does, idempotently and on the managed host, so the private key never leaves it.
  - Creates an RSA or Ed25519 (RFC 8463) private key file for a domain and selector if it does not exist,
    and returns the public key, its SHA-256 fingerprint and the DKIM TXT record to publish.
  - An existing key is kept and read back. If it differs from the requested O(key_type) or O(key_size), the
    module warns, reports it in RV(mismatch) and leaves the key alone unless O(force=true).
  - Many keys can be handled in one call with O(keys), so a host signing for thousands of domains
    does not pay the per-task cost thousands of times.
  - The private key is never returned, logged or shown in a diff.
author:
  - mailauth.dkim contributors (@mailauth)
requirements:
  - cryptography >= 3.1 on the managed host
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Reports what would be created, replaced or removed without writing. Public key and record are
      not known before a new key is generated, so they are returned as V(null) for keys that would be created.
  diff_mode:
    support: full
    description: The diff shows path, domain, selector, type, size and fingerprint; never key material.
  platform:
    platforms: posix
    support: full
    description: Runs on any POSIX host with Python and C(cryptography).
options:
  path:
    description:
      - Path of the private key file (PEM). Its directory must exist.
      - RSA keys are written in PKCS#1 form (C(BEGIN RSA PRIVATE KEY)), as C(opendkim-genkey) does;
        Ed25519 keys in PKCS#8 form (C(BEGIN PRIVATE KEY)).
      - Required unless O(keys) is given.
    type: path
  domain:
    description:
      - The signing domain (C(d=)), for example V(example.com). Needed for the returned record.
      - Required with O(path) when O(state=present).
    type: str
  selector:
    description:
      - The DKIM selector (C(s=)); the record is published at C(<selector>._domainkey.<domain>).
      - Required with O(path) when O(state=present).
    type: str
  key_type:
    description:
      - Key algorithm. C(ed25519) keys follow RFC 8463; not every receiver verifies them yet, so sign with an
        RSA key as well.
      - When not set, new keys are C(rsa) and an existing key of either type is accepted.
      - In the O(keys) form this is the default for items that do not set their own.
      - The same name as the role's C(key_type). The old name O(type) still works but is deprecated and will be
        removed in mailauth.dkim 1.0.0.
    type: str
    choices: [rsa, ed25519]
    aliases: [type]
  key_size:
    description:
      - RSA key size in bits, from 1024 to 4096 (RFC 8301). Sizes under 1024 are refused.
      - When not set, new RSA keys have 2048 bits and an existing RSA key of any allowed size is accepted.
      - Ignored for C(ed25519) keys.
      - In the O(keys) form this is the default for items that do not set their own.
      - The same name as the role's C(key_size). The old name O(size) still works but is deprecated and will be
        removed in mailauth.dkim 1.0.0.
    type: int
    aliases: [size]
  testing:
    description:
      - Mark the record as a test (C(t=y)); receivers then treat failures as if the mail were unsigned.
      - In the O(keys) form this is the default for items that do not set their own.
    type: bool
    default: false
  private_key:
    description:
      - Install this private key (PEM, RSA or Ed25519) at O(path) instead of generating one, for a key shared by
        several hosts (the role's C(opendkim_fleet_keys=shared)).
      - It must match O(key_type) and O(key_size). A file that already holds this key is kept; a file that holds
        another key fails the task unless O(force=true). The key is never returned, logged or shown in a diff.
    type: str
    version_added: 0.4.0
  ttl:
    description: TTL of the returned DNS record.
    type: int
    default: 3600
  state:
    description:
      - V(present) creates missing keys and reads existing ones back.
      - V(absent) removes the key files (see O(backup)).
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Replace an existing key that differs from the requested O(key_type) or O(key_size), or that cannot be read
        as a private key. The old file is first copied to C(<path>.<UTC timestamp>.bak) (returned in RV(backup_file)).
      - A key that matches the request is never replaced, so the task stays idempotent. To rotate a key, use
        a new selector (recommended, publishing the new record before signing with it), or remove the key with
        O(state=absent) first.
    type: bool
    default: false
  backup:
    description: With O(state=absent), copy the key to C(<path>.<UTC timestamp>.bak) before removing it.
    type: bool
    default: false
  keys:
    description:
      - Many keys in one call. Each item takes O(keys[].path), O(keys[].domain), O(keys[].selector), and
        optionally O(keys[].key_type), O(keys[].key_size), O(keys[].testing); top-level O(key_type), O(key_size),
        O(testing) are their defaults. O(state), O(force), O(backup), O(ttl) and the file options apply to every item.
      - All items are checked before any file is written; a bad item fails the task with nothing changed.
      - Mutually exclusive with O(path).
    type: list
    elements: dict
    suboptions:
      path:
        description: Path of the private key file.
        type: path
        required: true
      domain:
        description: Signing domain. Required when O(state=present).
        type: str
      selector:
        description: DKIM selector. Required when O(state=present).
        type: str
      key_type:
        description:
          - Key algorithm.
          - The old name O(keys[].type) is deprecated and will be removed in mailauth.dkim 1.0.0.
        type: str
        choices: [rsa, ed25519]
        aliases: [type]
      key_size:
        description:
          - RSA key size in bits.
          - The old name O(keys[].size) is deprecated and will be removed in mailauth.dkim 1.0.0.
        type: int
        aliases: [size]
      testing:
        description: Add C(t=y) to the record.
        type: bool
      private_key:
        description: Install this private key (PEM) instead of generating one; see O(private_key).
        type: str
        version_added: 0.4.0
  workers:
    description:
      - How many processes may generate RSA keys at the same time when 4 or more RSA keys are to be created in
        one call (first run of the O(keys) form). V(0) means one per CPU of the managed host; V(1) generates in
        the module's own process.
      - All new keys are generated before any file is written. Key bytes stay on the managed host.
    type: int
    default: 0
  mode:
    description:
      - Permissions of the key file. Defaults to V('0600'); OpenDKIM refuses keys that other users can read.
      - Applied to existing keys as well.
notes:
  - Key files are written atomically (a temporary file in the same directory, then a rename), with owner,
    group and mode set before the rename.
  - A key path or a key directory that is a symbolic link is refused before anything changes, in every state; the
    module never reads, writes, backs up, removes or sets the owner or mode of a key through a link.
  - Reading existing keys skips the expensive RSA consistency check. One task over 2000 existing keys took about
    4.3 s end to end on a 2-CPU machine (about 0.14 ms per key in the module, the rest Ansible's fixed cost and result
    handling). Generating RSA keys is the cost (about 0.1 s per 2048-bit key, over 1 s per 4096-bit key).
seealso:
  - module: mailauth.dkim.dns_records
  - name: RFC 6376 (DKIM)
    description: DomainKeys Identified Mail signatures.
    link: https://www.rfc-editor.org/rfc/rfc6376
  - name: RFC 8463
    description: A new cryptographic signature method for DKIM (Ed25519).
    link: https://www.rfc-editor.org/rfc/rfc8463
'''

EXAMPLES = r'''
- name: Create the DKIM key for example.com (kept if it exists)
  mailauth.dkim.dkim_key:
    path: /etc/dkimkeys/example.com.mail.private
    domain: example.com
    selector: mail
    owner: opendkim
    group: opendkim
  register: dkim

- name: Show the record to publish
  ansible.builtin.debug:
    msg: "{{ dkim.record.fqdn }} TXT {{ dkim.record.value }}"

- name: An Ed25519 key next to the RSA one
  mailauth.dkim.dkim_key:
    path: /etc/dkimkeys/example.com.ed.private
    domain: example.com
    selector: ed
    key_type: ed25519

- name: Many domains in one task
  mailauth.dkim.dkim_key:
    keys:
      - path: /etc/dkimkeys/example.com.mail.private
        domain: example.com
        selector: mail
      - path: /etc/dkimkeys/example.org.mail.private
        domain: example.org
        selector: mail
        key_size: 4096
    owner: opendkim
  register: dkim_all

- name: Replace a 1024-bit key with a 2048-bit one (old key kept as <path>.<timestamp>.bak)
  mailauth.dkim.dkim_key:
    path: /etc/dkimkeys/example.com.mail.private
    domain: example.com
    selector: mail
    key_size: 2048
    force: true
'''

RETURN = r'''
changed:
  description: Whether any key file was created, replaced, removed or had its attributes changed.
  returned: always
  type: bool
  sample: true
filename:
  description: Absolute path of the key file (named so because a C(path) key would be overwritten by file facts).
  returned: single form
  type: str
  sample: /etc/dkimkeys/example.com.mail.private
domain:
  description: Signing domain, lower-cased.
  returned: single form, state=present
  type: str
  sample: example.com
selector:
  description: Selector, lower-cased.
  returned: single form, state=present
  type: str
  sample: mail
status:
  description: What happened to the key (V(created), V(kept) or V(replaced)); in check mode, what would happen.
  returned: single form, state=present
  type: str
  sample: created
public_key:
  description:
    - The DKIM C(p=) data. Base64 of the DER SubjectPublicKeyInfo for RSA; base64 of the raw 32-byte key for
      Ed25519 (RFC 8463).
    - V(null) in check mode for a key that would be created or replaced.
  returned: single form, state=present
  type: str
  sample: MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAv...
fingerprint:
  description: SHA-256 of the decoded C(p=) data, as colon-separated hex. V(null) when RV(public_key) is.
  returned: single form, state=present
  type: str
  sample: 3b:0c:...:9f
type:
  description: Key algorithm of the key on disk (or to be created in check mode).
  returned: single form, state=present
  type: str
  sample: rsa
size:
  description: Key size in bits (256 for Ed25519).
  returned: single form, state=present
  type: int
  sample: 2048
mismatch:
  description: Why the existing key does not match the request, or V(null). Such a key is kept unless O(force=true).
  returned: single form, state=present
  type: str
  sample: existing key is rsa 1024, requested rsa 2048
backup_file:
  description: Where the old key was copied before it was replaced or removed.
  returned: when a backup was made
  type: str
  sample: /etc/dkimkeys/example.com.mail.private.20250101T120000Z.bak
record:
  description:
    - The DKIM TXT record, in the same shape as the items of RV(mailauth.dkim.dns_records#module:records).
    - V(null) in check mode for a key that would be created or replaced.
  returned: single form, state=present
  type: dict
  contains:
    fqdn:
      description: Absolute name with trailing dot.
      type: str
      sample: mail._domainkey.example.com.
    name:
      description: Name relative to the domain.
      type: str
      sample: mail._domainkey
    type:
      description: Record type.
      type: str
      sample: TXT
    ttl:
      description: TTL in seconds.
      type: int
      sample: 3600
    value:
      description: The logical TXT value.
      type: str
      sample: v=DKIM1; k=rsa; p=MIIBIjANBg...
    strings:
      description: The character-strings as sent on the wire, each at most 255 bytes.
      type: list
      elements: str
      sample: [v=DKIM1; k=rsa; p=MIIBIjANBg..., ...IDAQAB]
    zone_line:
      description: The record as one BIND zone-file line.
      type: str
      sample: mail._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; p=MIIB..." "...IDAQAB"
    domain:
      description: The domain.
      type: str
      sample: example.com
    kind:
      description: Always V(dkim) here.
      type: str
      sample: dkim
    selector:
      description: The selector.
      type: str
      sample: mail
    key_type:
      description: V(rsa) or V(ed25519).
      type: str
      sample: rsa
key_results:
  description:
    - One result per item of O(keys), in order, each with the keys of the single form
      (with C(path) instead of C(filename)).
    - Named C(keys) before version 0.2.0, which Jinja's dot notation cannot reach (C(result.keys) is the dict method).
  returned: list form
  type: list
  elements: dict
  sample:
    - path: /etc/dkimkeys/example.com.mail.private
      changed: false
      status: kept
      domain: example.com
      selector: mail
      type: rsa
      size: 2048
      public_key: MIIBIjANBg...
      fingerprint: 3b:0c:...:9f
      mismatch: null
      record: {fqdn: mail._domainkey.example.com., type: TXT}
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_key_backend import KeyBackend
from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_keys import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    HAS_CRYPTOGRAPHY,
)
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import FileAttributes


def _key_options():
    """key_type and key_size; their old names type and size work until 1.0.0."""
    def old_name(name):
        deprecation = dict(name=name, version='1.0.0', collection_name='mailauth.dkim')
        return dict(aliases=[name], deprecated_aliases=[deprecation], no_log=False)

    return dict(
        key_type=dict(type='str', choices=['rsa', 'ed25519'], **old_name('type')),
        key_size=dict(type='int', **old_name('size')),
    )


def main():
    item_spec = dict(
        path=dict(type='path', required=True),
        domain=dict(type='str'),
        selector=dict(type='str'),
        testing=dict(type='bool'),
        private_key=dict(type='str', no_log=True),
        **_key_options()
    )
    top_spec = dict(
        path=dict(type='path'),
        domain=dict(type='str'),
        selector=dict(type='str'),
        testing=dict(type='bool', default=False),
        private_key=dict(type='str', no_log=True),
        ttl=dict(type='int', default=3600),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        force=dict(type='bool', default=False),
        backup=dict(type='bool', default=False),
        keys=dict(type='list', elements='dict', options=item_spec, no_log=False),
        workers=dict(type='int', default=0),
        **_key_options()
    )
    module = AnsibleModule(
        argument_spec=top_spec,
        mutually_exclusive=[('path', 'keys')],
        required_one_of=[('path', 'keys')],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    backend = KeyBackend(module.params, check_mode=module.check_mode, diff=module._diff,
                         files=FileAttributes(module, default_mode='0600'))
    try:
        result = backend.run()
    except MailauthError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    for warning in backend.warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
