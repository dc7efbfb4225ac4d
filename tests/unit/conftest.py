# -*- coding: utf-8 -*-
# Copyright (c) mailauth.dkim developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make `ansible_collections.mailauth.dkim` importable when pytest runs from the checkout.

`make collection` links .build/collections/ansible_collections/mailauth/dkim to the checkout;
ansible-test does the equivalent itself, in which case this does nothing.
"""

import os
import sys

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_COLLECTIONS = os.path.join(_ROOT, ".build", "collections")

try:
    import ansible_collections.mailauth.dkim  # noqa: F401 pylint: disable=unused-import
except ImportError:
    if os.path.isdir(os.path.join(_COLLECTIONS, "ansible_collections", "mailauth", "dkim")):
        sys.path.insert(0, _COLLECTIONS)
        import ansible_collections  # noqa: E402

        # ansible_collections may already be imported (namespace package from the ansible bundle):
        # extend its search path so mailauth resolves too.
        _extra = os.path.join(_COLLECTIONS, "ansible_collections")
        if _extra not in list(ansible_collections.__path__):
            ansible_collections.__path__.append(_extra)
