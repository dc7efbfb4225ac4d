#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: config_files
short_description: Write a set of configuration files as one transaction, checked before it counts
version_added: 0.4.0
description:
  - Writes the files of one service's configuration (for example C(opendkim.conf) with its KeyTable, SigningTable
    and TrustedHosts) in one call. Every entry is checked first (absolute path, not a symbolic link, known owner
    and group, an octal mode), so bad input changes nothing.
  - Files whose content differs are written atomically (a temporary file in the same directory, owner and mode set
    before the rename). Then the O(checks) run, for example C(opendkim -n -x /etc/opendkim.conf). When one fails,
    every file written is put back byte for byte with its owner and mode, a file that did not exist is removed, and
    the task fails with the check's message. No backup file is left behind.
  - O(directories) are made, or given their owner and mode, before any file is written; a directory the task made is
    removed again, and one it changed gets its owner and mode back, when a check fails.
  - The checks run only when a content changed. Reloads nothing; notify a handler when the task reports changed.
  - The role M(mailauth.dkim.opendkim) renders its templates on the controller and writes them with this module.
author:
  - mailauth.dkim contributors (@mailauth)
attributes:
  check_mode:
    support: full
    description: Reports which files would change and changes nothing.
  diff_mode:
    support: full
    description: The content of each changed file before and after. Do not pass secrets in O(files).
  platform:
    platforms: posix
    support: full
    description: Runs on any POSIX host with Python; needs no extra library.
options:
  directories:
    description:
      - Directories that must exist before the files are written, in this order (a parent before its children; the
        parent of each must exist or come earlier). An existing one gets the owner and mode given; a symbolic link or
        another kind of file at a path fails the task before anything changes.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The absolute path of the directory.
        type: path
        required: true
      mode:
        description: The directory's permissions, an octal string such as C('0755').
        type: raw
        default: '0755'
      owner:
        description: The owner's user name; by default a new directory belongs to the user the module runs as.
        type: str
      group:
        description: The group's name; by default a new directory gets the group the module runs as.
        type: str
  files:
    description: The files, written in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The absolute path of the file.
        type: path
        required: true
      content:
        description: The complete text of the file (UTF-8).
        type: str
        required: true
      mode:
        description: The file's permissions, an octal string such as C('0644').
        type: raw
        default: '0644'
      owner:
        description: The owner's user name; by default a new file belongs to the user the module runs as.
        type: str
      group:
        description: The group's name; by default a new file gets the group the module runs as.
        type: str
      return_previous:
        description:
          - Return the file's text as it was before the task (RV(files[].previous)), for example to compare the
            settings a service runs with against the new ones. Not for files that hold secrets.
        type: bool
        default: false
  checks:
    description:
      - Commands (argument lists, no shell) that must succeed with the new files in place, in order.
      - They run after every file is written and only when a content changed.
    type: list
    elements: list
    default: []
'''

EXAMPLES = r'''
- name: Write OpenDKIM's configuration and its tables; opendkim -n must accept them
  mailauth.dkim.config_files:
    files:
      - path: /etc/opendkim/KeyTable
        content: "mail._domainkey.example.com example.com:mail:/etc/dkimkeys/example.com.mail.private\n"
        owner: root
        group: root
      - path: /etc/opendkim.conf
        content: "{{ lookup('ansible.builtin.template', 'opendkim.conf.j2') }}"
        owner: root
        group: root
    checks:
      - [opendkim, -n, -x, /etc/opendkim.conf]
  notify: Restart OpenDKIM
'''

RETURN = r'''
files:
  description: Each file, in the order given, with whether it changed (content, owner or mode) and was created.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/etc/opendkim/KeyTable", "changed": true, "created": true}]
  contains:
    path:
      description: The file's path.
      type: str
      returned: always
    changed:
      description: Whether the content, the owner or the mode changed (or would change).
      type: bool
      returned: always
    created:
      description: Whether the file did not exist before.
      type: bool
      returned: always
    previous:
      description: The file's text before the task, C(null) for a file that did not exist.
      type: str
      returned: with O(files[].return_previous)
directories:
  description: Each directory of O(directories), with whether it changed (made, owner or mode) and was created.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/etc/systemd/system/opendkim.service.d", "changed": true, "created": true}]
stderr:
  description: The message of the check that failed.
  returned: failure of a check
  type: str
  sample: "opendkim: /etc/opendkim.conf: configuration error at line 12: unrecognized parameter"
cmd:
  description: The check that failed.
  returned: failure of a check
  type: list
  elements: str
  sample: [opendkim, -n, -x, /etc/opendkim.conf]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailauth.dkim.plugins.module_utils._config_files_backend import ConfigFilesBackend
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                mode=dict(type='raw', default='0755'),
                owner=dict(type='str'),
                group=dict(type='str'),
            )),
            files=dict(type='list', elements='dict', required=True, options=dict(
                path=dict(type='path', required=True),
                content=dict(type='str', required=True),
                mode=dict(type='raw', default='0644'),
                owner=dict(type='str'),
                group=dict(type='str'),
                return_previous=dict(type='bool', default=False),
            )),
            checks=dict(type='list', elements='list', default=[]),
        ),
        supports_check_mode=True,
    )
    backend = ConfigFilesBackend(
        module.params, run=lambda argv: module.run_command([str(arg) for arg in argv], environ_update={'LC_ALL': 'C'}),
        check_mode=module.check_mode, diff=module._diff)
    try:
        result = backend.run()
    except MailauthError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
