# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: records_summary
version_added: 0.3.0
short_description: What the role prints about its DNS records
description:
  - A first line with the number of records per kind and of domains, the zone file when one was written, and the
    zone lines themselves only when there are at most O(limit) records; otherwise a pointer to the fact C(opendkim_dns_records).
positional: _input, zone_file, limit
options:
  _input:
    description: Records as M(mailauth.dkim.dns_records) returns them.
    type: list
    elements: dict
    required: true
  zone_file:
    description: Where the zone snippet was written, if anywhere.
    type: path
  limit:
    description: Print the zone lines up to this many records.
    type: int
    default: 20
'''

EXAMPLES = r'''
msg: "{{ opendkim_dns_records | mailauth.dkim.records_summary(opendkim_zone_file, 20) }}"
# => ['3 DNS record(s) to publish for 1 domain(s): 1 DKIM, 1 SPF, 1 DMARC.', 'mail._domainkey.example.com. 3600 IN TXT ...']
'''

RETURN = r'''
_value:
  description: The lines to print.
  type: list
  elements: str
'''

from ansible_collections.mailauth.dkim.plugins.plugin_utils._opendkim_filters import FILTERS


class FilterModule(object):
    """mailauth.dkim.records_summary (the code: plugins/plugin_utils/_opendkim_filters.py)."""

    def filters(self):
        return {'records_summary': FILTERS['records_summary']}
