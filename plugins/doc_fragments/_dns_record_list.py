# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is PRIVATE to the collection. It can change at any time.
# Do not use it from other collections or standalone modules.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The record list that mailauth.dkim.dns_publish publishes and mailauth.dkim.dns_check expects.
    # Each module adds required/default to it.
    DOCUMENTATION = r"""
options:
  records:
    description:
      - The records, each a dict as M(mailauth.dkim.dns_records) returns them in
        RV(mailauth.dkim.dns_records#module:records) (the C(record) of M(mailauth.dkim.dkim_key) has the same
        shape).
      - Used keys are C(fqdn) (absolute name), C(type) (C(TXT) or C(PTR), default C(TXT)), C(ttl) (default
        3600), and C(value). For TXT, C(strings) (the character-strings) is used when present, else C(value)
        is split into strings of at most 255 bytes. C(kind) and C(domain) are inferred when missing.
      - A PTR record may be given as C(ip) and C(value) (the host name; C(name) is accepted too, as in the
        role's C(opendkim_dns_update.ptr) items) instead of C(fqdn); the reverse name is computed from the
        address (IPv4 or IPv6).
      - Other keys (C(selector), C(zone_line), ...) are accepted and ignored or returned as is.
    type: list
    elements: dict
"""
