# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The handler's choice between reloading OpenDKIM (SIGUSR1) and restarting it (filter opendkim_service_actions)."""

from __future__ import absolute_import, division, print_function

import base64

import pytest

from ansible_collections.mailauth.dkim.plugins.module_utils import _opendkim_role as role
from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS as F

TRUSTED = '/etc/opendkim/TrustedHosts'
RSA = {'service': 'opendkim', 'config_file': '/etc/opendkim.conf', 'key_table': '/etc/opendkim/KeyTable',
       'signing_table': '/etc/opendkim/SigningTable'}
ED = {'service': 'opendkim-ed25519', 'config_file': '/etc/opendkim-ed25519.conf',
      'key_table': '/etc/opendkim/KeyTable.ed25519', 'signing_table': '/etc/opendkim/SigningTable.ed25519'}
CONF = '''# managed
Syslog                  yes
UserID                  opendkim
UMask                   007
PidFile                 /run/opendkim/opendkim.pid
Socket                  inet:8891@localhost
Mode                    sv
KeyTable                file:/etc/opendkim/KeyTable
SigningTable            refile:/etc/opendkim/SigningTable
'''


def action(before, after, changed=(), unit=False):
    return role.service_action(before, after, list(changed), unit)


def test_only_tables_changed_is_a_reload():
    assert action(CONF, CONF, ['/etc/opendkim/KeyTable', '/etc/opendkim/SigningTable']) == (
        'reload', 'changed: /etc/opendkim/KeyTable, /etc/opendkim/SigningTable')


@pytest.mark.parametrize('line', ['Mode v', 'Canonicalization simple/simple', 'OversignHeaders From,To',
                                  'SubDomains yes', 'KeyTable file:/etc/opendkim/Other', 'Syslog no'])
def test_settings_a_reload_reads_again_are_a_reload(line):
    assert action(CONF, CONF + line + '\n', ['/etc/opendkim.conf'])[0] == 'reload'


@pytest.mark.parametrize('before, after, named', [
    ('Socket                  inet:8891@localhost', 'Socket local:/var/spool/postfix/opendkim/opendkim.sock',
     'Socket inet:8891@localhost -> local:/var/spool/postfix/opendkim/opendkim.sock'),
    ('UserID                  opendkim', 'userid  mail', 'UserID opendkim -> mail'),
    ('UMask                   007', 'UMask 002', 'UMask 007 -> 002'),
    ('PidFile                 /run/opendkim/opendkim.pid', '', 'PidFile /run/opendkim/opendkim.pid -> (unset)'),
    ('Mode                    sv', 'Mode sv\nAutoRestart yes', 'AutoRestart (unset) -> yes'),
    ('Mode                    sv', 'Mode sv\nChangeRootDirectory /var/lib/x', 'ChangeRootDirectory (unset) -> /var/lib/x'),
])
def test_settings_read_only_at_start_are_a_restart_named(before, after, named):
    new = CONF.replace(before, after)
    assert new != CONF
    verdict, reason = action(CONF, new, ['/etc/opendkim.conf'])
    assert verdict == 'restart'
    assert named in reason


def test_comments_blanks_and_case_do_not_count():
    same = CONF.replace('Socket                  inet:8891@localhost', 'SOCKET inet:8891@localhost   # the milter')
    assert action(CONF, '# another comment\n\n' + same, ['/etc/opendkim.conf'])[0] == 'reload'


def test_first_start_unit_change_and_nothing_changed():
    assert action(None, CONF, ['/etc/opendkim.conf']) == ('restart', 'first start with this configuration')
    assert action(CONF, None) == ('restart', 'first start with this configuration')
    assert action(CONF, CONF, unit=True) == ('restart', 'its systemd unit changed')
    assert action(CONF, CONF) == ('none', 'none of its files changed')


def test_the_debian_default_configuration_is_replaced_with_a_restart():
    debian = 'Syslog yes\nUMask 007\nSocket local:/run/opendkim/opendkim.sock\nPidFile /run/opendkim/opendkim.pid\n'
    assert action(debian, CONF, ['/etc/opendkim.conf'])[0] == 'restart'


def test_each_instance_looks_at_its_own_files_and_the_shared_trusted_hosts():
    texts = {RSA['config_file']: CONF, ED['config_file']: CONF.replace('8891', '8892')}
    out = role.service_actions([RSA, ED], TRUSTED, texts, texts, ['/etc/opendkim/KeyTable'], [])
    assert [(o['service'], o['action']) for o in out] == [('opendkim', 'reload'), ('opendkim-ed25519', 'none')]
    out = role.service_actions([RSA, ED], TRUSTED, texts, texts, [TRUSTED], ['opendkim-ed25519'])
    assert [(o['service'], o['action']) for o in out] == [('opendkim', 'reload'), ('opendkim-ed25519', 'restart')]


def _slurp(items, texts):
    results = []
    for item in items:
        text = texts.get(item['config_file'])
        if text is None:
            results.append({'item': item, 'failed': False, 'msg': 'file not found'})
        else:
            results.append({'item': item, 'failed': False, 'content': base64.b64encode(text.encode()).decode()})
    return {'results': results}


def _rendered(texts):
    """The files as the role renders them for config_files (``path``, ``content``)."""
    return [{'path': path, 'content': text, 'owner': 'root', 'group': 'root', 'mode': '0644'}
            for path, text in texts.items()]


def _written(changed):
    """A registered result of config_files; ``changed`` maps paths to whether they changed."""
    return {'changed': any(changed.values()),
            'files': [{'path': path, 'changed': flag, 'created': False} for path, flag in changed.items()]}


def test_filter_reads_the_registered_results_of_the_role():
    """The shapes the role passes: the slurp loop before (a missing file is a non-failed item without content),
    the rendered files after, the result of config_files and the unit loop (item.service)."""
    before = _slurp([RSA, ED], {RSA['config_file']: CONF})
    after = _rendered({RSA['config_file']: CONF, ED['config_file']: CONF.replace('8891', '8892')})
    written = _written({TRUSTED: False, RSA['key_table']: True, ED['config_file']: True})
    units = {'results': [{'item': RSA, 'changed': False}, {'item': ED, 'changed': False}]}
    out = F['opendkim_service_actions']([RSA, ED], TRUSTED, before, after, written, units)
    assert out == [
        {'service': 'opendkim', 'action': 'reload', 'reason': 'changed: /etc/opendkim/KeyTable'},
        {'service': 'opendkim-ed25519', 'action': 'restart', 'reason': 'first start with this configuration'},
    ]
    units['results'][0]['changed'] = True
    assert F['opendkim_service_actions']([RSA, ED], TRUSTED, before, after, written, units)[0]['action'] == 'restart'


def test_a_service_whose_unit_changed_restarts_without_its_new_configuration():
    """A service whose unit changed restarts whatever its configuration (here missing from the rendered files), and
    the other service's choice still rests on its own files."""
    before = _slurp([RSA, ED], {RSA['config_file']: CONF, ED['config_file']: CONF})
    after = _rendered({ED['config_file']: CONF})
    written = _written({RSA['config_file']: True, ED['key_table']: True})
    units = {'results': [{'item': RSA, 'changed': True}, {'item': ED, 'changed': False}]}
    assert F['opendkim_service_actions']([RSA, ED], TRUSTED, before, after, written, units) == [
        {'service': 'opendkim', 'action': 'restart', 'reason': 'its systemd unit changed'},
        {'service': 'opendkim-ed25519', 'action': 'reload', 'reason': 'changed: /etc/opendkim/KeyTable.ed25519'},
    ]


def test_filter_reads_the_files_written_by_config_files():
    """The role writes the OpenDKIM files with mailauth.dkim.config_files: its ``files`` say which changed."""
    before = _slurp([RSA, ED], {RSA['config_file']: CONF, ED['config_file']: CONF})
    after = _rendered({RSA['config_file']: CONF, ED['config_file']: CONF})
    written = _written({TRUSTED: False, ED['signing_table']: True, RSA['config_file']: False})
    units = {'results': [{'item': RSA, 'changed': False}, {'item': ED, 'changed': False}]}
    assert F['opendkim_service_actions']([RSA, ED], TRUSTED, before, after, written, units) == [
        {'service': 'opendkim', 'action': 'none', 'reason': 'none of its files changed'},
        {'service': 'opendkim-ed25519', 'action': 'reload', 'reason': 'changed: /etc/opendkim/SigningTable.ed25519'},
    ]


def _started(states):
    """A registered loop of systemd_service (state=started): ``states`` maps each instance to its ActiveState before
    the task and whether the task changed it."""
    return {'results': [{'item': inst, 'changed': changed, 'status': {'ActiveState': state}}
                        for inst, (state, changed) in states]}


def test_a_service_the_run_started_is_neither_restarted_nor_reloaded():
    """A new package's OpenDKIM is stopped during the run and started by "Enable and start OpenDKIM" after every
    file was written: its unit and configuration changed, but it already runs with them (no 0 to 5 s restart)."""
    before = _slurp([RSA, ED], {RSA['config_file']: 'Socket local:/run/opendkim/opendkim.sock\n'})
    after = _rendered({RSA['config_file']: CONF, ED['config_file']: CONF.replace('8891', '8892')})
    written = _written({TRUSTED: True, RSA['config_file']: True, ED['config_file']: True})
    units = {'results': [{'item': RSA, 'changed': True}, {'item': ED, 'changed': True}]}
    started = _started([(RSA, ('inactive', True)), (ED, ('inactive', True))])
    assert F['opendkim_service_actions']([RSA, ED], TRUSTED, before, after, written, units, started) == [
        {'service': 'opendkim', 'action': 'none', 'reason': 'started by this run with its new files'},
        {'service': 'opendkim-ed25519', 'action': 'none', 'reason': 'started by this run with its new files'},
    ]


def test_started_services_given_by_name():
    """The role's "Enable and start OpenDKIM" loops over the service names (an instance item would carry every key
    into the result): only the one that was not running counts as started."""
    before = _slurp([RSA, ED], {RSA['config_file']: CONF, ED['config_file']: CONF})
    after = _rendered({RSA['config_file']: CONF, ED['config_file']: CONF})
    written = _written({RSA['key_table']: True, ED['key_table']: True})
    started = _started([(RSA['service'], ('inactive', True)), (ED['service'], ('active', False))])
    out = F['opendkim_service_actions']([RSA, ED], TRUSTED, before, after, written, {}, started)
    assert [(o['service'], o['action']) for o in out] == [('opendkim', 'none'), ('opendkim-ed25519', 'reload')]


@pytest.mark.parametrize('state, changed', [
    ('active', False),        # running all along: "Enable and start" changed nothing
    ('active', True),         # running, only enabled by the task: it still runs the old files
    ('activating', True),
])
def test_a_service_that_was_running_still_restarts(state, changed):
    before = _slurp([RSA], {RSA['config_file']: CONF})
    after = _rendered({RSA['config_file']: CONF})
    written = _written({RSA['config_file']: False})
    units = {'results': [{'item': RSA, 'changed': True}]}
    started = _started([(RSA, (state, changed))])
    assert F['opendkim_service_actions']([RSA], TRUSTED, before, after, written, units, started) == [
        {'service': 'opendkim', 'action': 'restart', 'reason': 'its systemd unit changed'}]


def test_failed_or_deactivating_services_started_by_the_run_count_as_started():
    """A unit that had failed, or was still stopping (the background stop of a new package), was started."""
    before = _slurp([RSA, ED], {RSA['config_file']: CONF, ED['config_file']: CONF})
    after = _rendered({RSA['config_file']: CONF, ED['config_file']: CONF})
    written = _written({RSA['key_table']: True, ED['key_table']: True})
    started = _started([(RSA, ('failed', True)), (ED, ('deactivating', True))])
    out = F['opendkim_service_actions']([RSA, ED], TRUSTED, before, after, written, {}, started)
    assert [o['action'] for o in out] == ['none', 'none']
    # A failed start is not a start.
    started['results'][0]['failed'] = True
    out = F['opendkim_service_actions']([RSA, ED], TRUSTED, before, after, written, {}, started)
    assert [o['action'] for o in out] == ['reload', 'none']


def test_one_config_files_result_gives_the_configurations_before_and_the_changed_units():
    """The role writes the files and the units with one mailauth.dkim.config_files task, which returns the previous
    configuration texts (return_previous): that result is ``before``, ``written`` and ``units`` at once."""
    rsa = dict(RSA, unit_dest='/etc/systemd/system/opendkim.service.d/zz-mailauth-dkim.conf')
    ed = dict(ED, unit_dest='/etc/systemd/system/opendkim-ed25519.service')
    after = _rendered({RSA['config_file']: CONF, ED['config_file']: CONF.replace('8891', '8892')})

    def written(changed, previous):
        result = _written(changed)
        for entry in result['files']:
            if entry['path'] in previous:
                entry['previous'] = previous[entry['path']]
        return result

    # Only a table changed: reload. The Ed25519 configuration did not exist (previous None): its first start.
    result = written({RSA['key_table']: True, RSA['config_file']: False, ED['config_file']: True,
                      rsa['unit_dest']: False, ed['unit_dest']: True},
                     {RSA['config_file']: CONF, ED['config_file']: None})
    assert F['opendkim_service_actions']([rsa, ed], TRUSTED, result, after, result, result) == [
        {'service': 'opendkim', 'action': 'reload', 'reason': 'changed: /etc/opendkim/KeyTable'},
        {'service': 'opendkim-ed25519', 'action': 'restart', 'reason': 'its systemd unit changed'},
    ]
    # The drop-in of opendkim.service changed: restart, whatever else changed.
    result = written({RSA['key_table']: True, rsa['unit_dest']: True}, {RSA['config_file']: CONF})
    assert F['opendkim_service_actions']([rsa], TRUSTED, result, after, result, result) == [
        {'service': 'opendkim', 'action': 'restart', 'reason': 'its systemd unit changed'}]
    # No previous text returned (a new installation: the package's file never ran): a first start.
    result = written({RSA['key_table']: True}, {})
    assert F['opendkim_service_actions']([rsa], TRUSTED, result, after, result, result) == [
        {'service': 'opendkim', 'action': 'restart', 'reason': 'first start with this configuration'}]
