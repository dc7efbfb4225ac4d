# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: missing_imports
version_added: 0.4.0
short_description: The Python packages the controller lacks
description:
  - Tries to import each module in the Python that runs Ansible on the controller (C(ansible_playbook_python)) and
    returns the packages of those that cannot be imported, in order, each once.
  - Imports nothing of the collection itself, so it works where the collection's other filters cannot load for lack
    of those packages; the role M(mailauth.dkim.opendkim) checks with it that C(dnspython) and C(cryptography) are
    there before anything else.
positional: _input
options:
  _input:
    description: Module to import (for example C(dns.version)) mapped to the package that provides it.
    type: dict
    required: true
'''

EXAMPLES = r'''
missing: "{{ {'dns.version': 'dnspython', 'cryptography': 'cryptography'} | mailauth.dkim.missing_imports }}"
# => [] when both are installed, ['dnspython'] without dnspython
'''

RETURN = r'''
_value:
  description: The packages whose module failed to import.
  type: list
  elements: str
'''

import importlib

from ansible.errors import AnsibleFilterError


def missing_imports(modules):
    if not isinstance(modules, dict):
        raise AnsibleFilterError('missing_imports expects a dict of module: package, got %r' % (modules,))
    missing = []
    for module, package in modules.items():
        try:
            importlib.import_module(module)
        except ImportError:
            if package not in missing:
                missing.append(package)
    return missing


class FilterModule(object):
    """mailauth.dkim.missing_imports."""

    def filters(self):
        return {'missing_imports': missing_imports}
