#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: postconf
short_description: Change Postfix settings with postconf, checked by postfix check, undone when rejected
version_added: 0.4.0
description:
  - Sets parameters of C(main.cf) (C(postconf -e)) and of C(master.cf) services (C(postconf -P)) with Postfix's own
    C(postconf), so nothing else in the files moves. Settings that already hold their value are left alone.
  - One transaction. The files about to change are kept in memory, changed, and checked with C(postfix check); when
    C(postconf) or the check fails, both are written back byte for byte and the task fails with Postfix's message.
    No backup file is left behind.
  - Reloads Postfix only with O(reload); otherwise notify a handler that reloads Postfix when RV(files) is not empty
    (the task reports changed).
author:
  - mailauth.dkim contributors (@mailauth)
attributes:
  check_mode:
    support: full
    description: Reports the settings that would change (read with C(postconf)) and changes nothing.
  diff_mode:
    support: full
    description: The settings that change, with their values before and after.
  platform:
    platforms: posix
    support: full
    description: Runs where Postfix's C(postconf) and C(postfix) run; needs no extra Python library.
options:
  main:
    description:
      - C(name=value) entries for C(main.cf), as C(postconf -e) takes them.
      - A value is compared with the one C(postconf) shows now (defaults included).
    type: list
    elements: str
    default: []
  master:
    description:
      - C(service/type/name=value) entries for the services of C(master.cf), as C(postconf -P) takes them, for
        example C(submission/inet/smtpd_milters=inet:localhost:8891).
    type: list
    elements: str
    default: []
  config_dir:
    description: Postfix's configuration directory (C(postconf -c)).
    type: path
    default: /etc/postfix
  check:
    description: Run C(postfix check) after the change, and undo the change when it fails.
    type: bool
    default: true
  reload:
    description:
      - After a change (that passed the check), C(postfix reload) when Postfix runs (C(postfix status)); a stopped
        Postfix is left stopped and reads the files when it starts. RV(reloaded) says whether it reloaded.
      - Saves a handler when nothing else must happen first, such as a milter that must be restarted before Postfix
        connects to its new address.
    type: bool
    default: false
requirements:
  - Postfix (C(postconf) and C(postfix)) on the managed host.
'''

EXAMPLES = r'''
- name: Add OpenDKIM's milter to Postfix (nothing else in main.cf changes)
  mailauth.dkim.postconf:
    main:
      - smtpd_milters=inet:localhost:8891
      - non_smtpd_milters=inet:localhost:8891
      - milter_default_action=accept
  notify: Reload Postfix

- name: Give the submission service the milter too
  mailauth.dkim.postconf:
    master:
      - submission/inet/smtpd_milters=inet:localhost:8891
  notify: Reload Postfix
'''

RETURN = r'''
main:
  description: The C(main.cf) entries that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: ["smtpd_milters=inet:localhost:8891"]
master:
  description: The C(master.cf) entries that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: ["submission/inet/smtpd_milters=inet:localhost:8891"]
files:
  description: The files that changed (or would change), C(main.cf) and/or C(master.cf).
  returned: always
  type: list
  elements: str
  sample: ["main.cf"]
reloaded:
  description: Whether the module reloaded Postfix (O(reload), a change made, Postfix running).
  returned: always
  type: bool
  sample: true
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._postconf_backend import PostconfBackend


def main():
    module = AnsibleModule(
        argument_spec=dict(
            main=dict(type='list', elements='str', default=[]),
            master=dict(type='list', elements='str', default=[]),
            config_dir=dict(type='path', default='/etc/postfix'),
            check=dict(type='bool', default=True),
            reload=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    backend = PostconfBackend(
        module.params,
        run=lambda argv: module.run_command(argv, environ_update={'LC_ALL': 'C'}),
        postconf=module.get_bin_path('postconf', required=True, opt_dirs=['/usr/sbin']),
        postfix=module.get_bin_path('postfix', required=True, opt_dirs=['/usr/sbin']),
        check_mode=module.check_mode, diff=module._diff)
    try:
        result = backend.run()
    except MailauthError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
