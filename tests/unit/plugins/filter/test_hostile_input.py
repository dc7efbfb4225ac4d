# -*- coding: utf-8 -*-
# Copyright (c) mailauth.dkim developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile and mistaken role input, one row per case, through the role's whole validation path.

Every value here ends up in KeyTable, SigningTable, opendkim.conf, a key path, TrustedHosts or a DNS update. Each
row is either refused with a message that names the bad value, or handled correctly (the normalised value is
given). `validate` runs the filters in the order tasks/validate.yml does, before anything on the host changes;
tests/functional/test_role_validation.py shows that a refusal there stops the role before its first change.
"""

from __future__ import absolute_import, division, print_function

import os
import stat

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_key_backend import KeyBackend, KeyBackendError
from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS as F

SECRET = 'c2VjcmV0c2VjcmV0c2VjcmV0'
DEFAULTS = {
    'opendkim_domains': [], 'opendkim_key_dir': '/etc/dkimkeys', 'opendkim_socket': 'inet:8891@localhost',
    'opendkim_ed25519_socket': 'inet:8892@localhost', 'opendkim_trusted_hosts': [],
    'opendkim_trusted_hosts_allow_wide': False, 'opendkim_dns_update': None,
}


def validate(role_vars):
    """What tasks/validate.yml computes from the role variables (raises AnsibleFilterError on bad input)."""
    v = dict(DEFAULTS, **role_vars)
    keys = F['signing_keys'](v['opendkim_domains'], v['opendkim_key_dir'])
    F['opendkim_sockets']({'opendkim_socket': v['opendkim_socket'],
                           'opendkim_ed25519_socket': v['opendkim_ed25519_socket']})
    F['trusted_hosts'](v['opendkim_trusted_hosts'], v['opendkim_trusted_hosts_allow_wide'])
    if v['opendkim_dns_update'] is not None:
        F['role_option'](v['opendkim_dns_update'], 'opendkim_dns_update')
    return keys


def dom(**item):
    return {'opendkim_domains': [dict({'domain': 'example.com'}, **item)]}


def update(**settings):
    return dict(dom(), opendkim_dns_update=dict({'server': '192.0.2.53', 'tsig_key_name': 'k',
                                                 'tsig_key_secret': SECRET}, **settings))


REFUSED = [
    # Injection into KeyTable / SigningTable / opendkim.conf lines
    ('domain_newline', dom(domain='example.com\nKeyFile /etc/shadow'), "domain 'example.com\\nKeyFile /etc/shadow'"),
    ('domain_space', dom(domain='example.com evil.org'), "domain 'example.com evil.org' has an invalid label"),
    ('domain_hash', dom(domain='example.com#x'), "domain 'example.com#x' has an invalid label 'com#x'"),
    ('domain_colon', dom(domain='example.com:mail:/tmp/k'), "domain 'example.com:mail:/tmp/k' has an invalid label"),
    ('domain_star', dom(domain='*.example.com'), "domain '*.example.com' has an invalid label '*'"),
    ('selector_newline', dom(selector='mail\nSocket inet:1@0.0.0.0'), "selector 'mail\\nSocket inet:1@0.0.0.0'"),
    ('selector_space', dom(selector='mail x'), "selector 'mail x' has an invalid label 'mail x'"),
    ('selector_hash', dom(selector='mail#'), "selector 'mail#' has an invalid label 'mail#'"),
    ('selector_colon', dom(selector='mail:/etc/shadow'), "selector 'mail:/etc/shadow' has an invalid label"),
    ('socket_newline', {'opendkim_socket': 'inet:8891\nUserID root'}, "opendkim_socket 'inet:8891\\nUserID root'"),
    ('socket_space', {'opendkim_socket': 'inet:8891@local host'}, "opendkim_socket 'inet:8891@local host' is not"),
    ('socket_hash', {'opendkim_socket': 'local:/run/o.sock #'}, "opendkim_socket 'local:/run/o.sock #' is not"),
    ('socket_scheme', {'opendkim_socket': 'tcp:8891'}, "opendkim_socket 'tcp:8891' is not a socket"),
    ('socket_port_0', {'opendkim_socket': 'inet:0'}, "opendkim_socket 'inet:0': port 0 is not between 1 and 65535"),
    ('socket_port_big', {'opendkim_socket': 'inet:65536'}, "port 65536 is not between 1 and 65535"),
    ('socket_dotdot', {'opendkim_socket': 'local:/var/spool/postfix/../../etc/o.sock'},
     "opendkim_socket 'local:/var/spool/postfix/../../etc/o.sock' is not a socket"),
    ('sockets_same', {'opendkim_ed25519_socket': 'inet:8891@localhost'},
     'opendkim_ed25519_socket and opendkim_socket are both inet:8891@localhost'),
    # Key paths: <key dir>/<domain>.<selector>.private
    ('selector_dotdot', dom(selector='../../etc/cron.d/x'), "selector '../../etc/cron.d/x' has an empty label"),
    ('selector_slash', dom(selector='a/b'), "selector 'a/b' has an invalid label 'a/b'"),
    ('selector_absolute', dom(selector='/etc/passwd'), "selector '/etc/passwd' has an invalid label '/etc/passwd'"),
    ('domain_slash', dom(domain='example.com/../../x'), "domain 'example.com/../../x' has an invalid label"),
    ('selector_underscore', dom(selector='mail_2024'), "selector 'mail_2024' has an invalid label 'mail_2024'"),
    # DNS name lengths
    ('domain_label_64', dom(domain='a' * 64 + '.example'), 'has a label longer than 63 characters'),
    ('selector_label_64', dom(selector='s' * 64), 'has a label longer than 63 characters'),
    ('domain_254', dom(domain=('a' * 60 + '.') * 5 + 'example'), 'a domain name has at most 253'),
    ('fqdn_over_253', dom(domain=('a' * 60 + '.') * 4 + 'example'), "makes the name 'mail._domainkey.aaa"),
    ('idn_invalid', dom(domain='ex\u2028ample.com'), 'is not a valid internationalized domain name'),
    # Open signing relay
    ('trusted_v4_all', {'opendkim_trusted_hosts': ['0.0.0.0/0']}, '0.0.0.0/0 holds 4,294,967,296 addresses'),
    ('trusted_v6_all', {'opendkim_trusted_hosts': ['::/0']}, 'opendkim_trusted_hosts[0]: ::/0 holds'),
    ('trusted_v4_slash8', {'opendkim_trusted_hosts': ['10.0.0.0/8']}, '10.0.0.0/8 holds 16,777,216 addresses'),
    ('trusted_v6_slash32', {'opendkim_trusted_hosts': ['2001:db8::/32']}, 'at most a /48'),
    ('trusted_two_in_one', {'opendkim_trusted_hosts': ['192.0.2.1 192.0.2.2']}, 'invalid entry "192.0.2.1 192.0.2.2"'),
    ('trusted_newline', {'opendkim_trusted_hosts': ['192.0.2.1\n0.0.0.0/0']}, 'invalid entry "192.0.2.1\\n0.0.0.0/0"'),
    # Keys OpenDKIM or DNS cannot carry
    ('rsa_512', dom(key_size=512), 'size 512 is too small'),
    ('rsa_8192', dom(key_size=8192), 'size 8192 is too large'),
    ('rsa_2047', dom(key_size=2047), 'size 2047 is not a multiple of 8'),
    ('key_type_dsa', dom(key_type='dsa'), 'value of key_type must be one of: rsa, ed25519, got: dsa'),
    # The same key twice
    ('duplicate_pair', {'opendkim_domains': [{'domain': 'example.com'}, {'domain': 'EXAMPLE.com.', 'selector': 'MAIL'}]},
     'opendkim_domains[0] and [1] both ask for the selector mail of example.com'),
    # Secrets and DNS update settings
    ('tsig_not_base64', update(tsig_key_secret='not base64!'), "tsig_key_secret for key 'k' is not valid base64"),
    ('tsig_empty', update(tsig_key_secret=' '), 'is not valid base64'),
    ('ptr_not_an_ip', update(ptr=[{'ip': '192.0.2.999', 'name': 'mail.example.com'}]), "'192.0.2.999' is not an IP"),
]


@pytest.mark.parametrize('case, role_vars, message', REFUSED, ids=[row[0] for row in REFUSED])
def test_hostile_input_is_refused_naming_the_value(case, role_vars, message):
    with pytest.raises(AnsibleFilterError) as err:
        validate(role_vars)
    assert message in str(err.value)
    assert SECRET not in str(err.value) and 'not base64!' not in str(err.value)


HANDLED = [
    ('idn_a_label', dom(domain='b\u00fccher.example'), [('xn--bcher-kva.example', 'mail')]),
    ('upper_case_trailing_dot', dom(domain='Example.COM.', selector='Mail2026'), [('example.com', 'mail2026')]),
    ('ed25519_size_ignored', dom(key_type='ed25519', key_size=512), [('example.com', 'mail')]),
    ('trusted_wide_allowed', {'opendkim_trusted_hosts': ['10.0.0.0/8'], 'opendkim_trusted_hosts_allow_wide': True}, []),
    ('trusted_narrow', {'opendkim_trusted_hosts': ['10.1.0.0/16', '2001:db8:1::/48', 'relay.example.com']}, []),
]


@pytest.mark.parametrize('case, role_vars, keys', HANDLED, ids=[row[0] for row in HANDLED])
def test_unusual_input_is_handled(case, role_vars, keys):
    assert [(k['domain'], k['selector']) for k in validate(role_vars)] == keys
    for key in validate(role_vars):
        assert key['path'] == '/etc/dkimkeys/%s.%s.private' % (key['domain'], key['selector'])


def test_the_table_is_complete():
    assert len(REFUSED) + len(HANDLED) + len(LINKS) >= 30


# Host state the role meets: symbolic links where the keys go. The role's key options (signing_keys, then
# key_options, as tasks/keys.yml passes them) are handed to dkim_key's backend in a scratch key directory; each
# link is refused before anything changes, naming the link and where it points (the role itself also refuses a
# key directory that is a link, before it installs anything: tests/functional/test_role_validation.py).
def make_links(tmp_path, case):
    """Lay out keys/ and outside/ for ``case``; return (key directory, files outside with their bytes and modes)."""
    keys, outside = tmp_path / 'keys', tmp_path / 'outside'
    keys.mkdir()
    outside.mkdir()
    (outside / 'secret').write_bytes(b'root:x:0:0\n')
    (outside / 'other.private').write_bytes(OTHER_KEY)
    for name in ('secret', 'other.private'):
        (outside / name).chmod(0o644)
    key = keys / 'example.com.mail.private'
    if case == 'key_link_to_file':
        key.symlink_to(outside / 'secret')
    elif case in ('key_link_to_key', 'key_link_absent'):
        key.symlink_to(outside / 'other.private')
    elif case == 'key_link_dangling':
        key.symlink_to(outside / 'new.private')
    elif case == 'key_link_relative':
        key.symlink_to('../outside/secret')
    elif case == 'key_dir_link':
        keys.rmdir()
        keys.symlink_to(outside, target_is_directory=True)
    return keys, outside


def tree(path):
    """Every entry under ``path``: name -> (is a link, mode, bytes of regular files)."""
    out = {}
    for root, dirs, files in os.walk(str(path)):
        for name in dirs + files:
            full = os.path.join(root, name)
            st = os.lstat(full)
            data = open(full, 'rb').read() if stat.S_ISREG(st.st_mode) else os.readlink(full) if os.path.islink(full) else None
            out[os.path.relpath(full, str(path))] = (os.path.islink(full), stat.S_IMODE(st.st_mode), data)
    return out


OTHER_KEY = (b'-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIMk1xI5v6b8cQxq8a5l3TtZ0V8wqYl3nSCHf9ZtQ2gXo\n'
             b'-----END PRIVATE KEY-----\n')

LINKS = [
    # (case, backend options besides keys, the message, with {keys} and {outside} for the scratch paths)
    ('key_link_to_file', {}, 'key {keys}/example.com.mail.private is a symbolic link to {outside}/secret'),
    ('key_link_to_key', {}, 'key {keys}/example.com.mail.private is a symbolic link to {outside}/other.private'),
    ('key_link_dangling', {}, 'key {keys}/example.com.mail.private is a symbolic link to {outside}/new.private'),
    ('key_link_relative', {}, 'key {keys}/example.com.mail.private is a symbolic link to ../outside/secret'),
    ('key_link_forced', {'force': True, 'backup': True}, 'is a symbolic link to {outside}/other.private'),
    ('key_link_absent', {'state': 'absent', 'backup': True}, 'is a symbolic link to {outside}/other.private'),
    ('key_dir_link', {}, 'directory {keys} of key {keys}/example.com.mail.private is a symbolic link to {outside}'),
]


@pytest.mark.parametrize('case, options, message', LINKS, ids=[row[0] for row in LINKS])
def test_symbolic_links_at_key_paths_are_refused_before_any_change(tmp_path, case, options, message):
    if case == 'key_link_forced':
        keys, outside = make_links(tmp_path, 'key_link_to_key')
    else:
        keys, outside = make_links(tmp_path, case)
    role_keys = validate(dict(dom(), opendkim_key_dir=str(keys)))
    params = dict(path=None, domain=None, selector=None, key_type=None, key_size=None, testing=False, ttl=3600,
                  state='present', force=False, backup=False, workers=1, keys=F['key_options'](role_keys))
    params.update(options)
    before = tree(tmp_path)
    with pytest.raises(KeyBackendError) as err:
        KeyBackend(params).run()
    assert message.format(keys=keys, outside=outside) in str(err.value)
    assert 'Nothing was changed' in str(err.value)
    # Nothing was created, replaced, removed or chmod-ed, on either side of the link; no key bytes in the message.
    assert tree(tmp_path) == before
    assert 'MC4CAQAw' not in str(err.value)


def test_a_real_key_directory_beside_the_links_works(tmp_path):
    # The same options with a plain directory create the key: the refusals above are about the links.
    keys = tmp_path / 'keys'
    keys.mkdir()
    role_keys = validate(dict(dom(key_size=1024), opendkim_key_dir=str(keys)))
    result = KeyBackend(dict(path=None, domain=None, selector=None, key_type=None, key_size=None, testing=False,
                             ttl=3600, state='present', force=False, backup=False, workers=1,
                             keys=F['key_options'](role_keys))).run()
    assert result['changed'] and os.listdir(str(keys)) == ['example.com.mail.private']
