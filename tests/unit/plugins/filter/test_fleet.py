# -*- coding: utf-8 -*-
# Copyright (c) mailauth.dkim developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several mail servers that sign one domain: per-host selectors, shared keys, conflicts named with both hosts, and
one SPF policy per domain (filters signing_keys, fleet_keys and shared_key_plan, with the role's real spec)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS as F


def keys(domains, fleet='single', label='mx1', key_dir='/etc/dkimkeys'):
    return F['signing_keys'](domains, key_dir, fleet, label)


def fleet(domains, hostvars, this='mx1', fleet_mode='single', sending_ips=None, dns_update=None):
    """fleet_keys as the role calls it for host ``this``, whose own variables are the arguments."""
    mine = keys(domains, fleet_mode, this.split('.')[0])
    hosts = [this] + [h for h in hostvars if h != this]
    return F['fleet_keys'](mine, hostvars, hosts, this, sending_ips or [], dns_update)


def spf_of(out, domain):
    return next(k['spf'] for k in out if k['domain'] == domain)


# ----------------------------------------------------------------------------------------------------------------
# Fleet modes and selectors
# ----------------------------------------------------------------------------------------------------------------

def test_per_host_keys_get_the_host_label_in_their_selector_path_and_name():
    [key] = keys([{'domain': 'example.com', 'selector': 'mail'}], 'per_host', 'MX1')
    assert (key['selector'], key['fqdn'], key['path'], key['fleet']) == (
        'mail-mx1', 'mail-mx1._domainkey.example.com', '/etc/dkimkeys/example.com.mail-mx1.private', 'per_host')


def test_an_item_overrides_the_fleet_mode_of_the_role():
    out = keys([{'domain': 'a.example', 'fleet_keys': 'shared'}, {'domain': 'b.example'}], 'per_host', 'mx1')
    assert [(k['selector'], k['fleet']) for k in out] == [('mail', 'shared'), ('mail-mx1', 'per_host')]


def test_single_is_the_default_and_keeps_the_selector():
    [key] = F['signing_keys']([{'domain': 'example.com'}], '/k')
    assert (key['selector'], key['fleet']) == ('mail', 'single')


@pytest.mark.parametrize('item, fleet_mode, label, message', [
    ({'domain': 'example.com'}, 'per_host', 'mx_1',
     "opendkim_domains[0]: fleet_keys per_host: the host label 'mx_1' does not make a valid selector"),
    ({'domain': 'example.com'}, 'per_host', None,
     'opendkim_domains[0]: fleet_keys per_host needs a host label (opendkim_fleet_host_label)'),
    ({'domain': 'example.com', 'fleet_keys': 'everyone'}, 'single', 'mx1',
     "opendkim_domains: value of fleet_keys must be one of: single, per_host, shared, got: everyone"),
    ({'domain': 'example.com'}, 'all', 'mx1', "opendkim_domains[0]: fleet_keys must be one of single, per_host, "
                                              "shared, got 'all'"),
])
def test_bad_fleet_settings_are_refused_by_name(item, fleet_mode, label, message):
    with pytest.raises(AnsibleFilterError) as err:
        keys([item], fleet_mode, label)
    assert message in str(err.value)


# ----------------------------------------------------------------------------------------------------------------
# One DNS name, one key: conflicts across the inventory
# ----------------------------------------------------------------------------------------------------------------

def test_two_servers_with_their_own_key_under_one_selector_are_refused_naming_both():
    hostvars = {'mx2': {'opendkim_domains': [{'domain': 'Example.com.', 'selector': 'mail'}]}}
    with pytest.raises(AnsibleFilterError) as err:
        fleet([{'domain': 'example.com', 'selector': 'mail'}], hostvars)
    assert str(err.value).startswith(
        'opendkim_domains: 1 DNS name(s) would hold different keys on two mail servers (one name publishes one key, '
        "so one server's mail would fail DKIM): mail._domainkey.example.com on mx1 (fleet_keys single, rsa 2048) "
        'and on mx2 (fleet_keys single, rsa 2048). Give the domain fleet_keys per_host')


@pytest.mark.parametrize('mine, theirs, other_vars, refused', [
    ('per_host', None, {'opendkim_fleet_keys': 'per_host'}, False),          # mail-mx1 and mail-mx2
    ('shared', {'fleet_keys': 'shared'}, {}, False),                         # one key for both
    ('shared', {}, {'opendkim_fleet_keys': 'shared'}, False),                # their role-wide choice counts
    ('shared', {'fleet_keys': 'shared', 'key_size': 1024}, {}, True),        # a shared key has one size
    ('shared', {'fleet_keys': 'shared', 'key_type': 'ed25519'}, {}, True),   # ... and one type
    ('shared', {}, {}, True),                                                # shared here, single there
    ('single', {'selector': 'other'}, {}, False),                            # different names
    ('single', {'domain': 'example.org'}, {}, False),
])
def test_what_two_servers_may_share(mine, theirs, other_vars, refused):
    item = dict({'domain': 'example.com'}, **(theirs or {}))
    hostvars = {'mx2': dict(other_vars, opendkim_domains=[item])}
    if refused:
        with pytest.raises(AnsibleFilterError, match='on mx1 .* and on mx2'):
            fleet([{'domain': 'example.com'}], hostvars, fleet_mode=mine)
    else:
        [key] = fleet([{'domain': 'example.com'}], hostvars, fleet_mode=mine)
        assert key['fleet'] == mine


def test_hosts_without_opendkim_domains_or_with_unreadable_items_do_not_count():
    hostvars = {'ns': {}, 'web': {'opendkim_domains': ['not a dict', {'selector': 'no domain'}]}}
    [key] = fleet([{'domain': 'example.com'}], hostvars)
    assert key['fqdn'] == 'mail._domainkey.example.com'


# ----------------------------------------------------------------------------------------------------------------
# One SPF record per domain
# ----------------------------------------------------------------------------------------------------------------

def test_spf_adds_up_the_servers_and_their_sending_addresses():
    hostvars = {
        'mx2': {'opendkim_domains': [{'domain': 'example.com', 'fleet_keys': 'per_host',
                                      'spf': {'ip4': ['198.51.100.0/24'], 'include': ['_spf.example.net']}}],
                'opendkim_dns_update': {'ptr': [{'ip': '192.0.2.2', 'name': 'mx2.example.com'},
                                                {'ip': '2001:db8::2', 'name': 'mx2.example.com'}]}},
        'web': {'opendkim_domains': [{'domain': 'example.com', 'selector': 'web'}],
                'opendkim_sending_ips': ['192.0.2.3']},
        'other': {'opendkim_domains': [{'domain': 'example.org', 'spf': {'ip4': ['203.0.113.9']}}],
                  'opendkim_sending_ips': ['203.0.113.9']},
    }
    out = fleet([{'domain': 'example.com', 'fleet_keys': 'per_host', 'spf': {'ip4': ['192.0.2.1'], 'all': 'fail'}},
                 {'domain': 'example.net'}],
                hostvars, sending_ips=['192.0.2.1', '2001:db8::1'])
    assert spf_of(out, 'example.com') == {
        'ip4': ['192.0.2.1', '198.51.100.0/24', '192.0.2.2', '192.0.2.3'],
        'ip6': ['2001:db8::1', '2001:db8::2'],
        'include': ['_spf.example.net'], 'all': 'fail'}
    assert spf_of(out, 'example.net') is None   # nobody describes its SPF: the role leaves it alone


def test_a_server_without_an_spf_of_its_own_publishes_the_fleet_record():
    hostvars = {'mx2': {'opendkim_domains': [{'domain': 'example.com', 'selector': 's2', 'spf': {'mx': True}}],
                        'opendkim_sending_ips': ['192.0.2.2']}}
    out = fleet([{'domain': 'example.com'}], hostvars, dns_update={'sending_ips': ['192.0.2.1']})
    assert spf_of(out, 'example.com') == {'mx': True, 'all': 'fail', 'ip4': ['192.0.2.1', '192.0.2.2']}


def test_every_server_computes_the_same_spf_record_whichever_runs_it():
    """Two servers that share a domain each compute the record on their own; the values must be identical (host name
    order), or the zone gets two v=spf1 records (an SPF permerror)."""
    items = [{'domain': 'example.com', 'fleet_keys': 'shared', 'spf': {'ip4': ['198.51.100.7'], 'all': 'fail'}}]
    variables = {
        'mx1': {'opendkim_domains': items, 'opendkim_sending_ips': ['192.0.2.1', '2001:db8::1']},
        'mx2': {'opendkim_domains': [dict(items[0], spf={'ip4': ['198.51.100.8']})],
                'opendkim_sending_ips': ['192.0.2.2', '2001:db8::2']},
    }
    seen = []
    for this in ('mx2', 'mx1'):
        mine = variables[this]
        others = dict((h, v) for h, v in variables.items() if h != this)
        seen.append(spf_of(fleet(mine['opendkim_domains'], others, this=this, sending_ips=mine['opendkim_sending_ips']),
                           'example.com'))
    assert seen[0] == seen[1] == {
        'ip4': ['198.51.100.7', '198.51.100.8', '192.0.2.1', '192.0.2.2'], 'ip6': ['2001:db8::1', '2001:db8::2'],
        'all': 'fail'}


def test_a_single_server_spf_is_unchanged_without_sending_addresses():
    out = fleet([{'domain': 'example.com', 'spf': {'mx': True, 'all': 'softfail'}}], {})
    assert spf_of(out, 'example.com') == {'mx': True, 'all': 'softfail'}


@pytest.mark.parametrize('mine, theirs, message', [
    ({'all': 'fail'}, {'all': 'softfail'},
     'the SPF of example.com is described differently on mx1 (all: "fail") and on mx2 (all: "softfail")'),
    ({'ip4': ['192.0.2.1']}, {'all': 'softfail'},      # left out means the default, fail
     'the SPF of example.com is described differently on mx1 (all: "fail") and on mx2 (all: "softfail")'),
    ({'all': 'fail'}, {'all': 'softfail'},
     'the SPF of example.com is described differently on mx1 (all: "fail") and on mx2 (all: "softfail")'),
    ({'mx': True}, {'mx': ['mx.example.net']},
     'the SPF of example.com is described differently on mx1 (mx: true) and on mx2 (mx: ["mx.example.net"])'),
])
def test_spf_options_that_cannot_add_up_are_refused_naming_both_servers(mine, theirs, message):
    hostvars = {'mx2': {'opendkim_domains': [{'domain': 'example.com', 'selector': 's2', 'spf': theirs}]}}
    with pytest.raises(AnsibleFilterError) as err:
        fleet([{'domain': 'example.com', 'spf': mine}], hostvars)
    assert message in str(err.value)


def test_a_bad_sending_address_is_named_with_its_host():
    hostvars = {'mx2': {'opendkim_domains': [{'domain': 'example.com', 'selector': 's2'}],
                        'opendkim_sending_ips': ['192.0.2.300']}}
    with pytest.raises(AnsibleFilterError) as err:
        fleet([{'domain': 'example.com', 'spf': {'mx': True}}], hostvars)
    assert "the sending address '192.0.2.300' of mx2 is not an IP address or network" in str(err.value)


def test_the_merged_spf_is_checked_like_any_spf():
    theirs = {'include': ['a%d.example.net' % i for i in range(6)]}
    mine = {'include': ['b%d.example.net' % i for i in range(6)]}
    hostvars = {'mx2': {'opendkim_domains': [{'domain': 'example.com', 'selector': 's2', 'spf': theirs}]}}
    with pytest.raises(AnsibleFilterError, match='the SPF of example.com merged from its mail servers'):
        fleet([{'domain': 'example.com', 'spf': mine}], hostvars)


# ----------------------------------------------------------------------------------------------------------------
# Shared keys: who makes, who copies
# ----------------------------------------------------------------------------------------------------------------

def probe(*items):
    return {'key_results': [{'path': path, 'domain': 'example.com', 'selector': selector, 'fingerprint': fp}
                            for path, selector, fp in items]}


def plan(hostvars, this, signers=None):
    fqdn = 'mail._domainkey.example.com'
    keys = [{'fqdn': fqdn, 'fleet': 'shared', 'signers': signers or [this]}]
    return F['shared_key_plan'](list(hostvars), hostvars, this, keys)


def test_a_shared_key_nobody_has_is_made_by_the_first_host_and_copied_by_the_others():
    hostvars = {'mx1': {'__opendkim_shared_probe': probe(('/k1/example.com.mail.private', 'mail', None))},
                'mx2': {'__opendkim_shared_probe': probe(('/k2/example.com.mail.private', 'mail', None))},
                'ns': {}}
    assert plan(hostvars, 'mx1') == [{'fqdn': 'mail._domainkey.example.com', 'path': '/k1/example.com.mail.private',
                                      'source': 'mx1', 'source_path': '/k1/example.com.mail.private',
                                      'action': 'make'}]
    assert [(p['action'], p['source'], p['source_path']) for p in plan(hostvars, 'mx2')] == [
        ('copy', 'mx1', '/k1/example.com.mail.private')]
    assert plan(hostvars, 'ns') == []


def test_a_shared_key_comes_from_the_host_that_has_it_even_when_that_host_is_not_first():
    hostvars = {'new': {'__opendkim_shared_probe': probe(('/k/example.com.mail.private', 'mail', None))},
                'old': {'__opendkim_shared_probe': probe(('/k/example.com.mail.private', 'mail', 'aa:bb'))}}
    assert [(p['action'], p['source']) for p in plan(hostvars, 'new')] == [('copy', 'old')]
    assert [(p['action'], p['source']) for p in plan(hostvars, 'old')] == [('keep', 'old')]


def test_hosts_holding_different_keys_under_one_shared_name_are_refused():
    hostvars = {'mx1': {'__opendkim_shared_probe': probe(('/k/example.com.mail.private', 'mail', 'aa:aa'))},
                'mx2': {'__opendkim_shared_probe': probe(('/k/example.com.mail.private', 'mail', 'bb:bb'))},
                'mx3': {'__opendkim_shared_probe': probe(('/k/example.com.mail.private', 'mail', None))}}
    for host in hostvars:
        with pytest.raises(AnsibleFilterError) as err:
            plan(hostvars, host)
        assert str(err.value).startswith('the shared key mail._domainkey.example.com differs between hosts: mx1 has '
                                         'aa:aa; mx2 has bb:bb.')


def test_a_missing_shared_key_is_not_made_while_a_host_that_signs_it_is_outside_the_run():
    hostvars = {'mx2': {'__opendkim_shared_probe': probe(('/k/example.com.mail.private', 'mail', None))},
                'mx1': {}}   # in the inventory, signs the key, but not in this run (--limit mx2)
    with pytest.raises(AnsibleFilterError) as err:
        plan(hostvars, 'mx2', signers=['mx2', 'mx1'])
    assert str(err.value).startswith('no host of this run holds the shared key mail._domainkey.example.com, and mx1 '
                                     'also sign(s) it but was not checked in this run (outside --limit, or failed)')
    # Once a host of the run holds it, the others can copy it whatever the unchecked hosts hold.
    hostvars['mx3'] = {'__opendkim_shared_probe': probe(('/k/example.com.mail.private', 'mail', 'cc:cc'))}
    assert [(p['action'], p['source']) for p in plan(hostvars, 'mx2', ['mx2', 'mx1', 'mx3'])] == [('copy', 'mx3')]


def test_fleet_keys_lists_every_host_that_signs_a_shared_key():
    hostvars = {'mx2': {'opendkim_domains': [{'domain': 'example.com', 'fleet_keys': 'shared'}]},
                'mx3': {'opendkim_domains': [{'domain': 'example.com', 'selector': 'other'}]}}
    [key] = fleet([{'domain': 'example.com', 'fleet_keys': 'shared'}], hostvars)
    assert key['signers'] == ['mx1', 'mx2']


def test_records_follow_the_order_of_the_keys_not_of_the_results():
    # The run that copies a shared key gets its result last; the next run gets it in key order. The records (and
    # the zone file) must be the same both times.
    mine = keys([{'domain': 'example.com', 'selector': 'a', 'fleet_keys': 'shared'},
                 {'domain': 'example.com', 'selector': 'b'}])
    results = [{'path': k['path'], 'domain': 'example.com', 'record': {'fqdn': k['fqdn']}} for k in mine]
    first = F['domain_policies'](mine, list(reversed(results)))
    again = F['domain_policies'](mine, results)
    assert first == again
    assert [d['record']['fqdn'] for d in first[0]['dkim']] == ['a._domainkey.example.com', 'b._domainkey.example.com']


class CountingDict(dict):
    """A key that counts how often its fields are read (Ansible's lazy containers make every read cost)."""
    reads = 0

    def __getitem__(self, name):
        CountingDict.reads += 1
        return dict.__getitem__(self, name)


@pytest.mark.parametrize('count', [100, 400])
def test_fleet_keys_reads_each_key_a_bounded_number_of_times(count):
    """Linear in the number of domains: the SPF of each domain is looked up once, not by scanning every key per
    domain (that was 2 x 500 x 500 reads at 500 domains, 1.3 s inside Ansible, and grows with the square)."""
    domains = [{'domain': 'd%d.example.net' % i, 'spf': {'ip4': ['192.0.2.%d' % (i % 250 + 1)]} if i % 2 else None}
               for i in range(count)]
    mine = [CountingDict(key) for key in keys(domains)]
    CountingDict.reads = 0
    out = F['fleet_keys'](mine, {'mx1': {}}, ['mx1'], 'mx1', [], None)
    assert len(out) == count and out[1]['spf'] is not None and out[0]['spf'] is None
    assert CountingDict.reads <= 10 * count
