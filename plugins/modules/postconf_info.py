#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: postconf_info
short_description: Read Postfix settings of main.cf and master.cf in one task
version_added: 0.4.0
description:
  - Reads parameters of C(main.cf) (C(postconf)), with or without their C($variables) expanded (C(postconf -x)), and
    the services of C(master.cf) with their C(-o) overrides (C(postconf -M), C(postconf -Px)), in one task instead of
    one C(command) task per C(postconf) call.
  - Values are what Postfix uses, defaults included. An unknown parameter fails the task and is named.
  - A host without Postfix (no C(postconf)) is no error; RV(installed) is false and nothing else is read.
author:
  - mailauth.dkim contributors (@mailauth)
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Reads only; there is no change to show.
  platform:
    platforms: posix
    support: full
    description: Runs where Postfix's C(postconf) runs; needs no extra Python library.
options:
  parameters:
    description: Parameters of C(main.cf) to read with C($variables) as written, for example C(smtpd_milters).
    type: list
    elements: str
    default: []
  expanded:
    description: Parameters of C(main.cf) to read with C($variables) expanded, for example C(milter_mail_macros).
    type: list
    elements: str
    default: []
  master:
    description: Also read the services of C(master.cf) (RV(master_services)) and their overrides (RV(master_parameters)).
    type: bool
    default: false
  config_dir:
    description: Postfix's configuration directory (C(postconf -c)).
    type: path
    default: /etc/postfix
requirements:
  - Postfix (C(postconf)) on the managed host, or RV(installed) is false.
seealso:
  - module: mailauth.dkim.postconf
'''

EXAMPLES = r'''
- name: Read the milter settings and the services of master.cf
  mailauth.dkim.postconf_info:
    parameters: [smtpd_milters, non_smtpd_milters, queue_directory]
    expanded: [milter_mail_macros]
    master: true
  register: postfix_now

- name: Show the milters
  ansible.builtin.debug:
    msg: "{{ postfix_now.parameters.smtpd_milters }}"
  when: postfix_now.installed
'''

RETURN = r'''
installed:
  description: Whether C(postconf) was found; when false, the other values are empty.
  returned: always
  type: bool
  sample: true
parameters:
  description: O(parameters) with their values, C($variables) as written.
  returned: always
  type: dict
  sample: {"smtpd_milters": "inet:localhost:8891", "queue_directory": "/var/spool/postfix"}
expanded:
  description: O(expanded) with their values, C($variables) expanded.
  returned: always
  type: dict
  sample: {"milter_mail_macros": "i {mail_addr} {client_addr} {client_name} {auth_authen}"}
master_services:
  description: The lines of C(postconf -M), one service of C(master.cf) each (with O(master)).
  returned: always
  type: list
  elements: str
  sample: ["smtp       inet  n       -       y       -       -       smtpd"]
master_parameters:
  description: The lines of C(postconf -Px), one C(-o) override each, expanded (with O(master)).
  returned: always
  type: list
  elements: str
  sample: ["submission/inet/smtpd_milters = inet:localhost:8893"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._postconf_backend import read_postfix


def main():
    module = AnsibleModule(
        argument_spec=dict(
            parameters=dict(type='list', elements='str', default=[]),
            expanded=dict(type='list', elements='str', default=[]),
            master=dict(type='bool', default=False),
            config_dir=dict(type='path', default='/etc/postfix'),
        ),
        supports_check_mode=True,
    )
    postconf = module.get_bin_path('postconf', opt_dirs=['/usr/sbin'])
    if postconf is None:
        # Nothing asked of read_postfix: it runs no command and returns its empty result.
        module.exit_json(changed=False, installed=False, **read_postfix(run=None, postconf=None, config_dir=None))
    try:
        result = read_postfix(lambda argv: module.run_command(argv, environ_update={'LC_ALL': 'C'}), postconf,
                              module.params['config_dir'], module.params['parameters'], module.params['expanded'],
                              module.params['master'])
    except MailauthError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(changed=False, installed=True, **result)


if __name__ == '__main__':
    main()
