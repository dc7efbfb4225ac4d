# -*- coding: utf-8 -*-
# Copyright (c) mailauth.dkim developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key rotation in the role (filters rotation_requests, rotation_waiting_keys, rotation_served, rotated_keys,
signing_instances, domain_policies with revoked keys, dns_publication's removals), driven by the real schedule
(_dkim_rotation.advance) as dkim_rotation runs it: which keys exist, which sign, which records are published,
revoked and removed in each phase, and the refusals, each naming the value."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_rotation as rot
from ansible_collections.mailauth.dkim.plugins.module_utils import _dns_records_backend as records_backend
from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS as F

DOMAINS = [{'domain': 'example.com', 'selector': 'mail', 'rotation': True},
           {'domain': 'example.com', 'selector': 'ed', 'key_type': 'ed25519', 'rotation': True},
           {'domain': 'example.org', 'selector': 's1'}]


def keys(domains=None, fleet='single', label='mx1'):
    return F['signing_keys'](DOMAINS if domains is None else domains, '/etc/dkimkeys', fleet, label)


def requests(domains=None, default=False, now=None, dns_update=None, **kw):
    return F['rotation_requests'](keys(domains, **kw), default, now, dns_update)


def module_result(request, state, now, served=(), exists=()):
    """What dkim_rotation returns for ``request`` (the module's backend, without the file)."""
    adopt = dict((a['key_type'], a['selector']) for a in request['adopt'] if a['path'] in exists)
    sched = rot.schedule(request['schedule'])
    new, steps = rot.advance(state, now, sched, 3600, dict((n, True) for n in served), request['emergency'], adopt)
    new['prefixes'] = request['prefixes']
    out = {'domain': request['domain'], 'state': new, 'steps': steps,
           'summary': rot.summary(new, now, sched, request['prefixes'], 3600),
           'waiting': [{'name': g['name'], 'selectors': rot.selectors(g, request['prefixes'])}
                       for g in (state or {}).get('generations', []) if g['phase'] == 'published']}
    out.update(rot.keys_and_records(new, request['prefixes']))
    return out


def signing(out):
    return sorted(k['selector'] for k in out['keys'] if k['signing'])


def present(out, domain='example.com'):
    return sorted(k['selector'] for k in out['keys'] if k['domain'] == domain)


def test_off_by_default_and_the_keys_stay_as_they_are():
    assert requests([{'domain': 'example.com'}]) == []
    plain = keys([{'domain': 'example.com'}])
    expected = {'keys': plain, 'revoked': [], 'removed': [], 'report': [], 'lines': []}
    assert F['rotated_keys'](plain, [], {'results': []}) == expected


def test_requests_carry_prefixes_schedule_name_servers_and_the_keys_to_adopt():
    req, org = requests(default={'period_months': 3}, now='2026-01-01', dns_update={'server': '192.0.2.53'})
    # The role variable makes example.org rotate too, with its selector as the prefix.
    assert (req['domain'], org['domain'], org['prefixes']) == ('example.com', 'example.org', {'rsa': 's1'})
    assert req['prefixes'] == {'ed25519': 'ed', 'rsa': 'mail'}
    # The item's `rotation: true` is the role's dict, not a reset to the defaults.
    assert req['schedule'] == {'period_months': 3, 'retire_days': 7, 'delete_days': 30, 'min_publish_hours': 48}
    assert req['nameservers'] == ['192.0.2.53'] and req['archive'] is False and req['emergency'] is None
    assert req['port'] == 53
    # opendkim_dns_update's port goes with its server; name servers given for the rotation are asked on 53.
    [req] = requests(DOMAINS[:2], dns_update={'server': '192.0.2.53', 'port': 5353})
    assert (req['nameservers'], req['port']) == (['192.0.2.53'], 5353)
    [req] = requests(DOMAINS[:2], default={'nameservers': ['ns1.example']}, dns_update={'server': '192.0.2.53', 'port': 5353})
    assert (req['nameservers'], req['port']) == (['ns1.example'], 53)
    assert req['adopt'] == [{'key_type': 'ed25519', 'selector': 'ed', 'path': '/etc/dkimkeys/example.com.ed.private'},
                            {'key_type': 'rsa', 'selector': 'mail', 'path': '/etc/dkimkeys/example.com.mail.private'}]


def test_the_role_variable_turns_rotation_on_for_every_domain_an_item_can_turn_it_off():
    domains = [{'domain': 'a.example'}, {'domain': 'b.example', 'rotation': False}]
    assert [r['domain'] for r in requests(domains, default=True)] == ['a.example']
    assert [r['domain'] for r in requests(domains, default={'nameservers': ['ns1.example']})] == ['a.example']


def test_per_host_prefixes_carry_the_host_label():
    [req] = requests([{'domain': 'example.com', 'rotation': True}], fleet='per_host', label='mx2')
    assert req['prefixes'] == {'rsa': 'mail-mx2'}


@pytest.mark.parametrize('domains, default, now, message', [
    ([{'domain': 'example.com', 'rotation': 'sometimes'}], False, None,
     "opendkim_domains (example.com mail).rotation must be true, false or a dict"),
    ([{'domain': 'example.com'}], {'period': 3}, None, 'opendkim_rotation: unknown setting(s) period'),
    ([{'domain': 'example.com'}], {'period_months': 24}, None, 'opendkim_rotation of example.com.period_months must be 1 to 12'),
    ([{'domain': 'example.com'}], {'retire_days': -2}, None, 'retire_days must not be negative, got -2'),
    ([{'domain': 'example.com'}], {'emergency': 'yesterday'}, None, "emergency must be an ISO 8601 date"),
    ([{'domain': 'example.com'}], True, 'next week', "opendkim_rotation_now must be an ISO 8601 date or date-time"),
    ([{'domain': 'example.com'}], {'archive': 'maybe'}, None, "archive must be true or false, got 'maybe'"),
    ([{'domain': 'example.com'}], {'nameservers': '192.0.2.53'}, None, 'nameservers must be a list'),
    ([{'domain': 'example.com', 'rotation': True}, {'domain': 'example.com', 'selector': 'ed', 'key_type': 'ed25519'}],
     False, None, 'the items of example.com disagree on rotation (selector mail: {}, selector ed: null)'),
    ([{'domain': 'example.com', 'selector': 'a'}, {'domain': 'example.com', 'selector': 'b'}], True, None,
     'example.com rotates two rsa keys (selectors a and b)'),
    ([{'domain': 'example.com', 'selector': 'x' * 60}], True, None, 'is too long to be a rotation prefix'),
])
def test_bad_rotation_settings_are_refused_by_name(domains, default, now, message):
    with pytest.raises(AnsibleFilterError, match=message.replace('(', r'\(').replace(')', r'\)').replace('{', r'\{')
                       .replace('}', r'\}').replace('.', r'\.')):
        requests(domains, default=default, now=now)


def test_a_domain_through_every_phase_keys_signing_records():
    all_keys = keys()
    [req] = F['rotation_requests'](all_keys, False)

    def run(state, now, served=()):
        result = module_result(req, state, now, served)
        return result['state'], F['rotated_keys'](all_keys, [req], {'results': [result]})

    # First run: the new generation's keys exist and are published, nothing of example.com signs yet; the
    # domain that does not rotate is untouched.
    state, out = run({}, '2026-01-01T00:00Z')
    assert present(out) == ['ed-202601', 'mail-202601'] and signing(out) == ['s1']
    assert [k['path'] for k in out['keys'] if k['domain'] == 'example.com'] == [
        '/etc/dkimkeys/example.com.ed-202601.private', '/etc/dkimkeys/example.com.mail-202601.private']
    assert out['report'][0]['steps'] == ['pre-publish 202601'] and out['report'][0]['signing'] == []
    assert out['lines'] == ['example.com: signs with nothing yet; next: activate 202601 (once its records are '
                            'served); this run: pre-publish 202601']
    # Served: both types switch together.
    state, out = run(state, '2026-01-01T01:00Z', served=['202601'])
    assert signing(out) == ['ed-202601', 'mail-202601', 's1']
    instances = F['signing_instances']([{'algorithm': 'rsa-sha256', 'signing_keys': []},
                                        {'algorithm': 'ed25519-sha256', 'signing_keys': []}], out['keys'])
    assert [[k['selector'] for k in i['signing_keys']] for i in instances] == [['mail-202601', 's1'], ['ed-202601']]
    # Six months on: a new generation is published beside the old one, which still signs alone.
    state, out = run(state, '2026-07-01T01:00Z', served=['202601'])
    assert present(out) == ['ed-202601', 'ed-202607', 'mail-202601', 'mail-202607']
    assert signing(out) == ['ed-202601', 'mail-202601', 's1']
    state, out = run(state, '2026-07-01T02:00Z', served=['202601', '202607'])
    state, out = run(state, '2026-07-03T02:00Z', served=['202601', '202607'])
    assert signing(out) == ['ed-202607', 'mail-202607', 's1']
    assert present(out) == ['ed-202601', 'ed-202607', 'mail-202601', 'mail-202607']   # old ones still verify
    # Retired: the old keys are revoked (p= records, private keys to remove), no longer among the keys.
    state, out = run(state, '2026-07-10T02:00Z')
    assert present(out) == ['ed-202607', 'mail-202607']
    assert sorted(k['path'] for k in out['revoked']) == ['/etc/dkimkeys/example.com.ed-202601.private',
                                                         '/etc/dkimkeys/example.com.mail-202601.private']
    policies = F['domain_policies'](out['keys'], [], out['revoked'])
    revoked = [records_backend.dkim_entry(e, i, 'example.com', 3600) for i, e in enumerate(policies[0]['dkim'])]
    assert [(r['fqdn'], r['value']) for r in revoked] == [
        ('ed-202601._domainkey.example.com.', 'v=DKIM1; k=ed25519; p='),
        ('mail-202601._domainkey.example.com.', 'v=DKIM1; k=rsa; p=')]
    # Deleted: the revoked records are to be removed.
    assert out['report'][0]['revoked'] == ['ed-202601', 'mail-202601']
    assert out['report'][0]['present'] == ['ed-202607', 'mail-202607']
    state, out = run(state, '2026-08-10T02:00Z')
    assert out['report'][0]['gone'] == ['ed-202601', 'mail-202601'] and out['report'][0]['revoked'] == []
    assert out['revoked'] == [] and [r['fqdn'] for r in out['removed']] == [
        'ed-202601._domainkey.example.com.', 'mail-202601._domainkey.example.com.']


def test_waiting_generations_are_served_only_when_every_record_is_published_as_the_key_says():
    all_keys = keys()
    [req] = F['rotation_requests'](all_keys, False)
    first = module_result(req, {}, '2026-01-01')
    probe = {'results': [module_result(req, first['state'], '2026-01-01T01:00Z')]}
    waiting = F['rotation_waiting_keys']([req], probe)
    assert [(k['selector'], k['generation']) for k in waiting] == [('ed-202601', '202601'), ('mail-202601', '202601')]
    key_probe = {'key_results': [
        {'path': k['path'], 'record': {'fqdn': k['fqdn'] + '.', 'value': 'v=DKIM1; k=x; p=%s' % k['selector']}}
        for k in waiting]}

    def dns(*statuses):
        return {'results': [{'records': [{'fqdn': k['fqdn'] + '.', 'value': 'v=DKIM1; k=x; p=%s' % k['selector'],
                                          'status': s} for k, s in zip(waiting, statuses)]}]}

    assert F['rotation_served']([req], waiting, key_probe, dns('published', 'published')) == {'example.com': ['202601']}
    assert F['rotation_served']([req], waiting, key_probe, dns('published', 'different')) == {'example.com': []}
    # A key file that is missing (no record) is not served, whatever DNS says.
    missing = {'key_results': [dict(key_probe['key_results'][0]), dict(key_probe['key_results'][1], record=None)]}
    assert F['rotation_served']([req], waiting, missing, dns('published', 'published')) == {'example.com': []}


def test_keys_signing_before_the_rotation_keep_signing_until_their_successor_has_been_served_48_hours():
    all_keys = keys()
    [req] = F['rotation_requests'](all_keys, False)
    exists = ['/etc/dkimkeys/example.com.mail.private']
    first = module_result(req, {}, '2026-01-01', exists=exists)
    out = F['rotated_keys'](all_keys, [req], {'results': [first]})
    # The old RSA key keeps signing under its own selector; there was no Ed25519 key to adopt.
    assert signing(out) == ['mail', 's1'] and present(out) == ['ed-202601', 'mail', 'mail-202601']
    assert [k['path'] for k in out['keys'] if k['selector'] == 'mail'] == ['/etc/dkimkeys/example.com.mail.private']


def test_removals_never_touch_a_name_that_a_host_still_publishes():
    gone = {'fqdn': 'mail-202601._domainkey.example.com.', 'value': 'v=DKIM1; k=rsa; p=', 'kind': 'dkim',
            'domain': 'example.com'}
    still = dict(gone, value='v=DKIM1; k=rsa; p=MIIB')
    hostvars = {'mx1': {'opendkim_dns_records': [], 'opendkim_dns_removals': [gone]},
                'mx2': {'opendkim_dns_records': [still], 'opendkim_dns_removals': []}}
    assert F['dns_publication'](['mx1'], hostvars, 3600)['removals'] == [gone]
    hostvars['mx1']['opendkim_rotation_report'] = [{'domain': 'example.com', 'step': 'delete 202601'}]
    assert F['dns_publication'](['mx1', 'mx2'], hostvars, 3600)['rotation'] == hostvars['mx1']['opendkim_rotation_report']
    assert F['dns_publication'](['mx1', 'mx2'], hostvars, 3600)['removals'] == []


def test_an_emergency_revokes_the_signing_key_as_soon_as_the_new_one_is_served():
    all_keys = keys(DOMAINS[:2] + [dict(DOMAINS[2], rotation=False)])
    [req] = F['rotation_requests'](all_keys, {'emergency': '2026-03-01T00:00Z'})
    state = module_result(req, {}, '2026-01-01')['state']
    state = module_result(req, state, '2026-01-01', served=['202601'])['state']
    state = module_result(req, state, '2026-03-01T01:00Z', served=['202601'])['state']
    result = module_result(req, state, '2026-03-01T01:10Z', served=['202601', '202603'])
    out = F['rotated_keys'](all_keys, [req], {'results': [result]})
    assert result['steps'] == ['202603 served', 'activate 202603', 'revoke 202601']
    assert signing(out) == ['ed-202603', 'mail-202603', 's1']
    assert sorted(k['selector'] for k in out['revoked']) == ['ed-202601', 'mail-202601']


def test_one_dkim_rotation_call_and_one_dns_check_per_set_of_name_servers_for_many_domains():
    domains = [{'domain': 'd%d.example.net' % i, 'rotation': True} for i in range(1, 4)]
    domains[2]['rotation'] = {'nameservers': ['192.0.2.53']}
    all_keys = keys(domains)
    reqs = F['rotation_requests'](all_keys, False, None, {'server': '198.51.100.1', 'port': 5353})
    items = F['rotation_items'](reqs)
    assert [sorted(item) for item in items] == [['adopt', 'domain', 'prefixes', 'schedule']] * 3
    assert [item['domain'] for item in items] == ['d1.example.net', 'd2.example.net', 'd3.example.net']
    served = F['rotation_items'](reqs, {'d2.example.net': ['202601']})
    assert [item['served'] for item in served] == [[], ['202601'], []]
    emergency = F['rotation_items'](F['rotation_requests'](keys([{'domain': 'example.com', 'rotation': {
        'emergency': '2026-02-01'}}]), False))
    assert emergency[0]['emergency'] == '2026-02-01'
    # The loop's results and the domains form give the same keys.
    results = [module_result(req, {}, '2026-01-01') for req in reqs]
    assert F['rotated_keys'](all_keys, reqs, {'domains': results}) == F['rotated_keys'](all_keys, reqs, {'results': results})
    probe = {'domains': [module_result(req, r['state'], '2026-01-01T01:00Z') for req, r in zip(reqs, results)]}
    waiting = F['rotation_waiting_keys'](reqs, probe)
    assert len(waiting) == 3
    key_probe = {'key_results': [
        {'path': k['path'], 'domain': k['domain'], 'record': {'fqdn': k['fqdn'] + '.', 'value': 'v=DKIM1; p=%s' % k['domain']}}
        for k in waiting[:2]] + [{'path': waiting[2]['path'], 'domain': waiting[2]['domain'], 'record': None}]}
    checks = F['rotation_dns_checks'](reqs, key_probe)
    # d1 and d2 ask opendkim_dns_update's server on its port, together; d3 asks its own (no key yet: no record).
    assert checks == [{'nameservers': ['198.51.100.1'], 'port': 5353,
                       'records': [r['record'] for r in key_probe['key_results'][:2]]}]
    key_probe['key_results'][2]['record'] = {'fqdn': 'x._domainkey.d3.example.net.', 'value': 'v=DKIM1; p=x'}
    assert [(c['nameservers'], c['port'], len(c['records'])) for c in F['rotation_dns_checks'](reqs, key_probe)] == [
        (['192.0.2.53'], 53, 1), (['198.51.100.1'], 5353, 2)]
    assert F['rotation_dns_checks'](reqs, {'skipped': True}) == []
