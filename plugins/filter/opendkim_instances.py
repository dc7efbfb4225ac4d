# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: opendkim_instances
version_added: 0.3.0
short_description: OpenDKIM instances with their Postfix milter addresses
description:
  - 'Adds to each instance the address Postfix uses for it (its C(milter) when given, else computed from its C(socket):
    V(inet:HOST:PORT), V(inet:[HOST]:PORT), or V(unix:PATH) relative to Postfix''s queue directory when the socket
    is inside it), C(socket_dir) (empty for inet sockets) and C(in_queue_dir).'
positional: _input, queue_dir
options:
  _input:
    description: Instances with at least C(socket) and C(milter).
    type: list
    elements: dict
    required: true
  queue_dir:
    description: Postfix's queue directory (its chroot).
    type: path
    required: true
'''

EXAMPLES = r'''
instances: "{{ __instances | mailauth.dkim.opendkim_instances('/var/spool/postfix') }}"
'''

RETURN = r'''
_value:
  description: The instances with C(milter), C(socket_dir) and C(in_queue_dir).
  type: list
  elements: dict
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.opendkim_instances (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'opendkim_instances': FILTERS['opendkim_instances']}
