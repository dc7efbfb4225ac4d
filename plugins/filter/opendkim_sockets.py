# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: opendkim_sockets
version_added: 0.3.0
short_description: Check the role's OpenDKIM sockets
description:
  - Each value must be a socket OpenDKIM can listen on (V(inet:PORT@HOST), V(inet6:PORT@HOST), V(local:/path)) with
    a port from 1 to 65535, and no two may be the same.
options:
  _input:
    description: Variable name to socket.
    type: dict
    required: true
'''

EXAMPLES = r'''
sockets: "{{ {'opendkim_socket': opendkim_socket, 'opendkim_ed25519_socket': opendkim_ed25519_socket} | mailauth.dkim.opendkim_sockets }}"
'''

RETURN = r'''
_value:
  description: O(_input), unchanged.
  type: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.opendkim_sockets (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'opendkim_sockets': FILTERS['opendkim_sockets']}
