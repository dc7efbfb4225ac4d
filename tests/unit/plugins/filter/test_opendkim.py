# -*- coding: utf-8 -*-
# Copyright (c) mailauth.dkim developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's filters (plugins/filter/opendkim.py): the data the role's tasks use, and every refusal with the exact
message. They run on the real meta/argument_specs.yml of the role, the one home of its defaults."""

from __future__ import absolute_import, division, print_function

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS as F, display
from ansible_collections.mailauth.dkim.plugins.module_utils import _opendkim_role as role


def keys(domains, key_dir='/etc/dkimkeys'):
    return F['signing_keys'](domains, key_dir)


# ----------------------------------------------------------------------------------------------------------------
# signing_keys: normalisation and defaults
# ----------------------------------------------------------------------------------------------------------------

def test_defaults_come_from_the_argument_spec():
    spec = yaml.safe_load(open(role.spec_path(role.__file__.replace('module_utils', 'filter'))))
    item_spec = spec['argument_specs']['main']['options']['opendkim_domains']['options']
    [key] = keys([{'domain': 'Example.COM.'}])
    assert key == {
        'domain': 'example.com', 'selector': item_spec['selector']['default'],
        'key_type': item_spec['key_type']['default'], 'key_size': item_spec['key_size']['default'],
        'testing': item_spec['testing']['default'], 'spf': None, 'dmarc': None,
        'fqdn': 'mail._domainkey.example.com', 'path': '/etc/dkimkeys/example.com.mail.private',
        'fleet': spec['argument_specs']['main']['options']['opendkim_fleet_keys']['default'],
        'rotation': None, 'signing': True,
    }


def test_keys_are_normalised_and_coerced():
    out = keys([{'domain': 'example.org', 'selector': 'S2026', 'key_size': '3072', 'testing': 'yes'},
                {'domain': 'example.org', 'selector': 'ed', 'key_type': 'ed25519', 'key_size': 512}],
               '/srv/keys')
    assert [(k['fqdn'], k['key_type'], k['key_size'], k['testing'], k['path']) for k in out] == [
        ('s2026._domainkey.example.org', 'rsa', 3072, True, '/srv/keys/example.org.s2026.private'),
        # An Ed25519 key has no size: key_size is ignored, not checked.
        ('ed._domainkey.example.org', 'ed25519', None, False, '/srv/keys/example.org.ed.private'),
    ]


def test_internationalized_domains_become_a_labels():
    [key] = keys([{'domain': 'B\u00fccher.example'}])
    assert (key['domain'], key['fqdn'], key['path']) == (
        'xn--bcher-kva.example', 'mail._domainkey.xn--bcher-kva.example',
        '/etc/dkimkeys/xn--bcher-kva.example.mail.private')


def test_old_item_name_still_works_with_one_deprecation(monkeypatch):
    seen = []
    monkeypatch.setattr(display, 'deprecated', lambda msg, **kw: seen.append((msg, kw)))
    out = keys([{'name': 'example.com'}, {'name': 'example.net'}])
    assert [k['domain'] for k in out] == ['example.com', 'example.net']
    assert len(seen) == 1
    assert seen[0][0].startswith('opendkim_domains: 2 item(s) use the old item name(s) name (now domain)')
    assert seen[0][1] == {'version': '1.0.0', 'collection_name': 'mailauth.dkim'}


def test_new_names_are_not_deprecated(monkeypatch):
    seen = []
    monkeypatch.setattr(display, 'deprecated', lambda msg, **kw: seen.append(msg))
    keys([{'domain': 'example.com'}])
    assert seen == []


def test_key_options_are_the_dkim_key_vocabulary():
    out = F['key_options'](keys([{'domain': 'example.com', 'testing': True},
                                 {'domain': 'example.com', 'selector': 'ed', 'key_type': 'ed25519'}]))
    assert out == [
        {'path': '/etc/dkimkeys/example.com.mail.private', 'domain': 'example.com', 'selector': 'mail',
         'key_type': 'rsa', 'key_size': 2048, 'testing': True},
        {'path': '/etc/dkimkeys/example.com.ed.private', 'domain': 'example.com', 'selector': 'ed',
         'key_type': 'ed25519', 'testing': False},
    ]


# ----------------------------------------------------------------------------------------------------------------
# signing_keys: every refusal names the item and the bad value
# ----------------------------------------------------------------------------------------------------------------

BAD_KEYS = [
    ('not_a_list', 'example.com', "opendkim_domains must be a list with one dict per key, got 'example.com'"),
    ('no_domain', [{'selector': 'mail'}], 'opendkim_domains[0]: domain is required, got {"selector": "mail"}'),
    ('old_and_new_name', [{'domain': 'example.com', 'name': 'example.org'}],
     "opendkim_domains[0]: domain 'example.com' and its old name name 'example.org' disagree; give only domain"),
    ('domain_syntax', [{'domain': 'bad_domain..com'}],
     "opendkim_domains[0]: domain 'bad_domain..com' has an invalid label 'bad_domain'"),
    # The drift of the old Jinja checks: they let `_` through, the modules refused it after the install.
    ('selector_underscore', [{'domain': 'example.com', 'selector': 'mail_2024'}],
     "opendkim_domains[0]: selector 'mail_2024' has an invalid label 'mail_2024'"),
    ('key_type', [{'domain': 'example.com', 'key_type': 'dsa'}],
     'opendkim_domains: value of key_type must be one of: rsa, ed25519, got: dsa'),
    ('key_size_small', [{'domain': 'example.com', 'key_size': 512}],
     'opendkim_domains[0] (example.com): size 512 is too small'),
    # (More names, sizes and injections: test_hostile_input.py.)
    ('key_size_text', [{'domain': 'example.com', 'key_size': 'big'}],
     "opendkim_domains: argument 'key_size' is of type"),
    ('duplicate', [{'domain': 'example.com'}, {'domain': 'Example.com.'}],
     'opendkim_domains[0] and [1] both ask for the selector mail of example.com (mail._domainkey.example.com)'),
    ('spf_twice', [{'domain': 'example.com', 'spf': {'mx': True}},
                   {'domain': 'example.com', 'selector': 'b', 'spf': {'a': True}}],
     'opendkim_domains[0] and [1] describe the spf of example.com differently ({"mx": true} and {"a": true})'),
    ('spf_network', [{'domain': 'example.com', 'spf': {'ip4': ['192.0.2.1/24']}}],
     "opendkim_domains[0] (example.com): spf.ip4 entry '192.0.2.1/24' has host bits set"),
    ('spf_unknown', [{'domain': 'example.com', 'spf': {'ipv4': ['192.0.2.1']}}],
     'opendkim_domains[0] (example.com): spf: unsupported option ipv4. Supported parameters include: a, all'),
    ('spf_all', [{'domain': 'example.com', 'spf': {'all': 'pass'}}],
     'opendkim_domains[0] (example.com): spf: value of all must be one of: fail, softfail, neutral, got: pass'),
    ('dmarc_policy', [{'domain': 'example.com', 'dmarc': {'policy': 'block'}}],
     'opendkim_domains[0] (example.com): dmarc: value of policy must be one of: none, quarantine, reject, got: block'),
    ('dmarc_pct', [{'domain': 'example.com', 'dmarc': {'policy': 'none', 'pct': 101}}],
     'opendkim_domains[0] (example.com): dmarc.pct must be an integer from 0 to 100, got 101'),
    ('dmarc_no_policy', [{'domain': 'example.com', 'dmarc': {'pct': 50}}],
     'opendkim_domains[0] (example.com): dmarc: missing required arguments: policy'),
]


@pytest.mark.parametrize('name, domains, message', BAD_KEYS, ids=[case[0] for case in BAD_KEYS])
def test_bad_keys_are_refused_naming_the_value(name, domains, message):
    with pytest.raises(AnsibleFilterError) as err:
        keys(domains)
    assert message in str(err.value)


def test_2000_domains_are_validated_in_one_pass():
    # The time is measured by scripts/bench/validate_domains.py (make bench-keys), not asserted here.
    domains = [{'domain': 'd%d.example.net' % i, 'spf': {'ip4': ['192.0.2.%d' % (i % 250)]},
                'dmarc': {'policy': 'none'}} for i in range(2000)]
    out = keys(domains)
    assert len(out) == len(F['domain_policies'](out)) == len(F['key_options'](out)) == 2000
    assert out[1999]['path'] == '/etc/dkimkeys/d1999.example.net.mail.private'


# ----------------------------------------------------------------------------------------------------------------
# domain_policies, spf_conflicts
# ----------------------------------------------------------------------------------------------------------------

def test_policies_group_per_domain_with_key_records():
    ks = keys([{'domain': 'example.com', 'dmarc': {'policy': 'none'}},
               {'domain': 'example.org'},
               {'domain': 'example.com', 'selector': 'ed', 'key_type': 'ed25519', 'spf': {'mx': True}}])
    assert F['domain_policies'](ks) == [
        {'domain': 'example.com', 'dmarc': {'policy': 'none'}, 'spf': {'mx': True}},
        {'domain': 'example.org'},
    ]
    results = [{'domain': 'example.com', 'record': {'fqdn': 'mail._domainkey.example.com'}},
               {'domain': 'example.org', 'record': None},
               {'domain': 'example.com', 'record': {'fqdn': 'ed._domainkey.example.com'}}]
    assert [p['dkim'] for p in F['domain_policies'](ks, results)] == [
        [{'record': {'fqdn': 'mail._domainkey.example.com'}}, {'record': {'fqdn': 'ed._domainkey.example.com'}}],
        [{'record': None}],
    ]


def test_spf_conflicts_name_the_other_host_and_its_spf():
    mine = F['domain_policies'](keys([{'domain': 'example.com', 'spf': {'mx': True}}]))
    hostvars = {
        'me': {'opendkim_domains': [{'domain': 'example.com', 'spf': {'mx': True}}]},
        'same': {'opendkim_domains': [{'domain': 'example.com', 'spf': {'mx': True}}]},
        'old': {'opendkim_domains': [{'name': 'Example.com.', 'spf': {'a': True}}]},
        'other': {'opendkim_domains': [{'domain': 'example.net', 'spf': {'a': True}}]},
        'none': {},
    }
    assert F['spf_conflicts'](mine, hostvars, list(hostvars), 'me') == ['example.com on old: {"a": true}']


# ----------------------------------------------------------------------------------------------------------------
# Sockets, trusted hosts, instances, files
# ----------------------------------------------------------------------------------------------------------------

def test_sockets_pass_when_distinct_and_valid():
    sockets = {'opendkim_socket': 'local:/var/spool/postfix/opendkim/opendkim.sock',
               'opendkim_ed25519_socket': 'inet6:8892@::1'}
    assert F['opendkim_sockets'](sockets) == sockets


def test_narrow_networks_and_names_are_trusted():
    hosts = ['10.1.0.0/16', '2001:db8:1::/48', '192.0.2.7', 'relay.example.com', '!10.1.2.3']
    assert F['trusted_hosts'](hosts) == hosts


@pytest.mark.parametrize('hosts, message', [
    (['192.0.2.0/24', ''], 'opendkim_trusted_hosts[1]: invalid entry ""'),
    (['192.0.2.1, 192.0.2.2'], 'opendkim_trusted_hosts[0]: invalid entry "192.0.2.1, 192.0.2.2"'),
    (['host # comment'], 'opendkim_trusted_hosts[0]: invalid entry "host # comment"'),
    (['mail\nexample.org'], 'opendkim_trusted_hosts[0]: invalid entry "mail\\nexample.org"'),
])
def test_bad_trusted_hosts_are_refused(hosts, message):
    with pytest.raises(AnsibleFilterError) as err:
        F['trusted_hosts'](hosts)
    assert message in str(err.value)


@pytest.mark.parametrize('socket, milter, socket_dir, in_queue_dir', [
    ('inet:8891@localhost', 'inet:localhost:8891', '', False),
    ('inet:8891', 'inet:localhost:8891', '', False),
    ('inet:8891@192.0.2.1', 'inet:192.0.2.1:8891', '', False),
    ('inet6:8891', 'inet:[::1]:8891', '', False),
    ('inet6:8891@2001:db8::1', 'inet:[2001:db8::1]:8891', '', False),
    ('local:/var/spool/postfix/opendkim/opendkim.sock', 'unix:opendkim/opendkim.sock',
     '/var/spool/postfix/opendkim', True),
    ('local:/run/opendkim/opendkim.sock', 'unix:/run/opendkim/opendkim.sock', '/run/opendkim', False),
    ('local:/var/spool/postfixx/o.sock', 'unix:/var/spool/postfixx/o.sock', '/var/spool/postfixx', False),
])
def test_instances_get_their_postfix_milter(socket, milter, socket_dir, in_queue_dir):
    [inst] = F['opendkim_instances']([{'service': 'opendkim', 'socket': socket, 'milter': None}],
                                     '/var/spool/postfix')
    assert (inst['milter'], inst['socket_dir'], inst['in_queue_dir']) == (milter, socket_dir, in_queue_dir)
    assert inst['service'] == 'opendkim'


def test_a_given_milter_address_wins():
    [inst] = F['opendkim_instances']([{'socket': 'inet:8891', 'milter': 'inet:10.0.0.1:8891'}], '/var/spool/postfix')
    assert inst['milter'] == 'inet:10.0.0.1:8891'


def test_files_in_transaction_order():
    insts = [{'key_table': '/e/KeyTable', 'signing_table': '/e/SigningTable', 'config_file': '/etc/opendkim.conf'},
             {'key_table': '/e/KeyTable.ed', 'signing_table': '/e/SigningTable.ed', 'config_file': '/etc/o-ed.conf'}]
    files = F['opendkim_files'](insts, '/e/TrustedHosts')
    assert [(f['dest'], f['validate']) for f in files] == [
        ('/e/TrustedHosts', False), ('/e/KeyTable', False), ('/e/SigningTable', False), ('/e/KeyTable.ed', False),
        ('/e/SigningTable.ed', False), ('/etc/opendkim.conf', True), ('/etc/o-ed.conf', True)]
    assert files[5]['instance'] is insts[0]
    # The systemd unit (or drop-in) of each instance that has one comes last.
    insts[1].update(unit_src='etc/systemd/system/opendkim-ed25519.service.j2', unit_dest='/etc/systemd/system/o-ed.service')
    files = F['opendkim_files'](insts, '/e/TrustedHosts')
    assert [f['dest'] for f in files[5:]] == ['/etc/opendkim.conf', '/etc/o-ed.conf', '/etc/systemd/system/o-ed.service']
    assert files[-1]['src'] == 'etc/systemd/system/opendkim-ed25519.service.j2' and files[-1]['instance'] is insts[1]
    assert files[-1]['validate'] is False


def test_each_file_carries_its_config_files_options():
    insts = [{'key_table': '/e/KeyTable', 'signing_table': '/e/SigningTable', 'config_file': '/etc/opendkim.conf',
              'unit_src': 'u.j2', 'unit_dest': '/etc/systemd/system/opendkim.service.d/zz.conf'}]
    files = F['opendkim_files'](insts, '/e/TrustedHosts')
    assert [f['write'] for f in files] == [
        {'path': path, 'owner': 'root', 'group': 'root', 'mode': '0644', 'return_previous': path == '/etc/opendkim.conf'}
        for path in ('/e/TrustedHosts', '/e/KeyTable', '/e/SigningTable', '/etc/opendkim.conf',
                     '/etc/systemd/system/opendkim.service.d/zz.conf')]
    # The running configuration is returned for the restart handler to compare, except after a new installation:
    # no OpenDKIM ran with the package's file.
    assert not any(f['write']['return_previous'] for f in F['opendkim_files'](insts, '/e/TrustedHosts', True))


# ----------------------------------------------------------------------------------------------------------------
# Postfix
# ----------------------------------------------------------------------------------------------------------------

OURS = ['inet:localhost:8891', 'inet:localhost:8892']


@pytest.mark.parametrize('current, stale, expected', [
    ('', [], 'inet:localhost:8891, inet:localhost:8892'),
    # Other milters keep their place and spelling; ours are appended once.
    ('inet:localhost:8893', [], 'inet:localhost:8893, inet:localhost:8891, inet:localhost:8892'),
    ('{ inet:localhost:11332, default_action=accept }', [],
     '{ inet:localhost:11332, default_action=accept }, inet:localhost:8891, inet:localhost:8892'),
    # Already there, in any spelling: left exactly as written.
    ('inet:localhost:8892 inet:localhost:8891', [], 'inet:localhost:8892 inet:localhost:8891'),
    ('{inet:localhost:8891, connect_timeout=10s},inet:localhost:8892', [],
     '{inet:localhost:8891, connect_timeout=10s},inet:localhost:8892'),
    # A stale Ed25519 milter leaves, whatever its spelling.
    ('inet:localhost:8891, { inet:localhost:8899, default_action=accept }', ['inet:localhost:8899'],
     'inet:localhost:8891, inet:localhost:8892'),
])
def test_milter_lists_are_merged(current, stale, expected):
    out = F['postfix_milter_settings']({'smtpd_milters': current, 'non_smtpd_milters': current},
                                       iter(OURS), stale, 'accept', 6)
    assert out == {'smtpd_milters': expected, 'non_smtpd_milters': expected, 'milter_default_action': 'accept',
                   'milter_protocol': '6'}


def test_postconf_changes_only_what_differs():
    desired = {'smtpd_milters': 'a', 'non_smtpd_milters': 'a', 'milter_default_action': 'accept',
               'milter_protocol': '6'}
    current = {'smtpd_milters': 'a', 'non_smtpd_milters': '', 'milter_default_action': 'tempfail',
               'milter_protocol': '6'}
    assert F['postconf_changes'](desired, current) == ['non_smtpd_milters=a', 'milter_default_action=accept']
    assert F['postconf_changes'](desired, desired) == []


# ----------------------------------------------------------------------------------------------------------------
# Publication
# ----------------------------------------------------------------------------------------------------------------

def test_publication_collects_every_host_once_with_ptr_ttls():
    dkim = {'domain': 'example.com', 'kind': 'dkim', 'fqdn': 'mail._domainkey.example.com'}
    spf = {'domain': 'example.com', 'kind': 'spf', 'fqdn': 'example.com'}
    net = {'domain': 'example.net', 'kind': 'dkim', 'fqdn': 'mail._domainkey.example.net'}
    hostvars = {
        'm1': {'opendkim_dns_records': [dkim, spf],
               'opendkim_dns_update': {'ptr': [{'ip': '192.0.2.1', 'name': 'm1.example.com', 'ttl': 86400}]}},
        'm2': {'opendkim_dns_records': [dkim, spf, net],
               'opendkim_dns_update': {'sending_ips': ['192.0.2.2'],
                                       'ptr': [{'ip': '192.0.2.2', 'name': 'm2.example.com', 'ttl': None}]}},
        'web': {},
    }
    out = F['dns_publication'](['m1', 'm2', 'web'], hostvars, 300)
    assert out['records'] == [dkim, spf, net,
                              {'ip': '192.0.2.1', 'name': 'm1.example.com', 'ttl': 86400, 'type': 'PTR'},
                              {'ip': '192.0.2.2', 'name': 'm2.example.com', 'ttl': 300, 'type': 'PTR'}]
    assert out['sending_ips_by_domain'] == {'example.com': ['192.0.2.1', '192.0.2.2'], 'example.net': ['192.0.2.2']}


def test_role_option_fills_in_the_spec_defaults():
    out = F['role_option']({'server': '192.0.2.53', 'tsig_key_name': 'k', 'tsig_key_secret': 'c2VjcmV0',
                            'ptr': [{'ip': '192.0.2.1', 'name': 'mail.example.com'}]}, 'opendkim_dns_update')
    assert (out['port'], out['tsig_algorithm'], out['check'], out['check_timeout'], out['check_interval'],
            out['check_fail_on'], out['zones']) == (53, 'hmac-sha256', True, 60, 2, 'missing', None)
    # null is "not given", as for module options.
    out = F['role_option']({'server': 's', 'tsig_key_name': 'k', 'tsig_key_secret': 'c2VjcmV0', 'port': None,
                            'tsig_algorithm': None, 'check': None}, 'opendkim_dns_update')
    assert (out['port'], out['tsig_algorithm'], out['check']) == (53, 'hmac-sha256', True)
    with pytest.raises(AnsibleFilterError) as err:
        F['role_option']({'server': 's', 'tsig_key_name': 'k', 'tsig_key_secret': 'c2VjcmV0', 'port': 'x'},
                         'opendkim_dns_update')
    assert "opendkim_dns_update: argument 'port' is of type" in str(err.value)


def test_readiness_lines():
    check = {'records': [{'status': 'published', 'fqdn': 'example.com', 'type': 'TXT'}],
             'readiness': {'example.com': {'ready': False, 'checks': [{'ok': True, 'message': 'SPF passes'},
                                                                      {'ok': False, 'message': 'no DMARC'}]}}}
    assert F['readiness_lines'](check) == ['published example.com TXT', 'example.com: NOT READY',
                                           '  [ok] SPF passes', '  [FAIL] no DMARC']
    check['readiness']['example.com']['rotation'] = {'active': {'rsa': 'mail-202601', 'ed25519': 'ed-202601'},
                                                     'age_days': 200, 'overdue': True, 'step': 'pre-publish a new key',
                                                     'at': '2026-07-01T00:00:00Z'}
    assert F['readiness_lines'](check)[-1] == ('  [OVERDUE] rotation: signs with ed-202601, mail-202601, 200 days old; '
                                               'next: pre-publish a new key from 2026-07-01T00:00:00Z')


def _record(kind, domain, n=0):
    return {'kind': kind, 'domain': domain, 'zone_line': '%s %s %d' % (kind, domain, n)}


def test_records_summary_prints_a_few_records_and_summarises_many():
    few = [_record('dkim', 'example.com'), _record('spf', 'example.com'), _record('dmarc', 'example.com')]
    assert F['records_summary'](few, '/tmp/example.zone', 20) == [
        '3 DNS record(s) to publish for 1 domain(s): 1 DKIM, 1 SPF, 1 DMARC.',
        'Zone file snippet: /tmp/example.zone (on the controller).',
        'dkim example.com 0', 'spf example.com 0', 'dmarc example.com 0']
    many = [_record('dkim', 'd%d.example.net' % i, i) for i in range(500)] + [_record('ptr', None)]
    lines = F['records_summary'](many, None, 20)
    assert lines == ['501 DNS record(s) to publish for 500 domain(s): 500 DKIM, 1 PTR.',
                     'The records are in the fact opendkim_dns_records (more than opendkim_print_records_limit=20, '
                     'so not printed here).']


UPDATE = {'server': '192.0.2.53', 'tsig_key_name': 'mail-key', 'tsig_key_secret': 'c2VjcmV0c2VjcmV0c2VjcmV0'}


@pytest.mark.parametrize('change, message', [
    ({'tsig_key_secret': 'not base64!'},
     "opendkim_dns_update: tsig_key_secret for key 'mail-key' is not valid base64 (the secret itself is not shown)"),
    ({'tsig_key_secret': ''}, 'is not valid base64'),
    ({'zones': ['example..com']}, "opendkim_dns_update.zones[0] 'example..com' has an empty label"),
    ({'ptr': [{'ip': '192.0.2.300', 'name': 'mail.example.com'}]},
     "opendkim_dns_update.ptr[0].ip '192.0.2.300' is not an IP address"),
    ({'ptr': [{'ip': '192.0.2.3', 'name': 'mail example.com'}]}, "opendkim_dns_update.ptr[0].name 'mail example.com'"),
    ({'tsig_algorithm': 'hmac-md4'}, 'value of tsig_algorithm must be one of'),
])
def test_bad_dns_update_settings_are_refused_without_the_secret(change, message):
    with pytest.raises(AnsibleFilterError) as err:
        F['role_option'](dict(UPDATE, **change), 'opendkim_dns_update')
    assert message in str(err.value)
    if change.get('tsig_key_secret'):
        assert change['tsig_key_secret'] not in str(err.value)


# ----------------------------------------------------------------------------------------------------------------
# master.cf paths that bypass OpenDKIM
# ----------------------------------------------------------------------------------------------------------------

SERVICES = [
    'smtp       inet  n       -       y       -       -       smtpd',
    'submission inet  n       -       y       -       -       smtpd',
    'smtps      inet  n       -       y       -       -       smtpd',
    'pickup     unix  n       -       y       60      1       pickup',
    'cleanup    unix  n       -       y       -       0       cleanup',
    '127.0.0.1:10025 inet n  -       n       -       -       smtpd',
    'relay      unix  -       -       y       -       -       smtp',
]
MACROS = 'i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}'
MILTERS = ['inet:localhost:8891']


def bypasses(overrides, macros=MACROS):
    return F['milter_bypasses'](SERVICES, overrides, macros, MILTERS)


def test_a_clean_master_cf_has_no_bypass():
    assert bypasses(['relay/unix/syslog_name = postfix/relay',
                     'submission/inet/smtpd_milters = inet:localhost:11332, inet:localhost:8891',
                     # a content filter's re-injection port: milters off on purpose, mail was signed before
                     '127.0.0.1:10025/inet/receive_override_options = no_unknown_recipient_checks,no_milters',
                     '127.0.0.1:10025/inet/smtpd_milters =']) == []


@pytest.mark.parametrize('overrides, macros, message, fix', [
    (['submission/inet/smtpd_milters = inet:localhost:11332'], MACROS,
     'master.cf service submission/inet: smtpd_milters = inet:localhost:11332 overrides main.cf without '
     'inet:localhost:8891: mail taken in there is not signed',
     'submission/inet/smtpd_milters=inet:localhost:11332,inet:localhost:8891'),
    (['smtps/inet/smtpd_milters ='], MACROS,
     'master.cf service smtps/inet: smtpd_milters = (empty) overrides main.cf without inet:localhost:8891',
     'smtps/inet/smtpd_milters=inet:localhost:8891'),
    (['pickup/unix/receive_override_options = no_header_body_checks, no_milters'], MACROS,
     'master.cf service pickup/unix: receive_override_options = no_header_body_checks, no_milters switches every '
     'milter off', 'pickup/unix/receive_override_options=no_header_body_checks'),
    (['pickup/unix/receive_override_options = no_header_body_checks, no_milters,no_address_mappings'], MACROS,
     'master.cf service pickup/unix: receive_override_options',
     'pickup/unix/receive_override_options=no_header_body_checks,no_address_mappings'),
    (['smtp/inet/receive_override_options = no_milters'], MACROS,
     'master.cf service smtp/inet: receive_override_options = no_milters switches every milter off',
     'smtp/inet/receive_override_options='),
    (['pickup/unix/non_smtpd_milters = '], MACROS,
     'master.cf service pickup/unix: non_smtpd_milters = (empty) overrides main.cf without inet:localhost:8891',
     'pickup/unix/non_smtpd_milters=inet:localhost:8891'),
    (['submission/inet/milter_mail_macros = i {mail_addr}'], MACROS,
     'master.cf service submission/inet: milter_mail_macros = i {mail_addr} lacks {auth_type}', None),
    ([], 'i {mail_addr} {mail_host}',
     'main.cf: milter_mail_macros = i {mail_addr} {mail_host} lacks {auth_type}',
     'milter_mail_macros=i {mail_addr} {mail_host} {auth_type}'),
])
def test_each_bypass_is_named_with_its_fix(overrides, macros, message, fix):
    [found] = bypasses(overrides, macros)
    assert found['message'].startswith(message), found['message']
    fixes = F['bypass_fixes']([found])
    if fix is None:
        assert fixes == {'main': [], 'master': []}
    else:
        assert fixes['main'] + fixes['master'] == [fix]
        # master.cf -o values take no white space (postconf -P refuses them)
        assert ' ' not in fix.split('=', 1)[1] or fix.startswith('milter_mail_macros=')


def test_missing_imports_names_each_package_once_in_order(monkeypatch, tmp_path):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.mailauth.dkim.plugins.filter.missing_imports import missing_imports

    # A module that raises ImportError when imported stands for a package that is not installed.
    (tmp_path / 'mailauth_hidden_pkg.py').write_text('raise ImportError("hidden by the test")\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert missing_imports({'json': 'json', 'dns.version': 'dnspython'}) == []
    assert missing_imports({'mailauth_hidden_pkg': 'hidden', 'json': 'json', 'mailauth_no_such_module': 'absent',
                            'mailauth_no_such_module.sub': 'absent'}) == ['hidden', 'absent']
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        missing_imports(['dns'])
