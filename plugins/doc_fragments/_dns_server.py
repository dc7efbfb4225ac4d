# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
# Do not use it from other collections or standalone modules.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The connection options of mailauth.dkim.dns_publish and mailauth.dkim.dns_check.
    DOCUMENTATION = r"""
options:
  port:
    description:
      - Port of the DNS server or servers the module talks to, from 1 to 65535.
      - Queries go over UDP, and over TCP when an answer does not fit in a UDP packet; dynamic updates go over
        TCP.
    type: int
    default: 53
"""
