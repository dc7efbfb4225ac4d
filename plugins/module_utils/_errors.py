# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: the exception every module backend raises.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Backends never call ``fail_json`` or ``exit_json``: they raise a MailauthError (or a subclass), and each
module's ``main()`` catches it and calls ``fail_json(msg=str(exc), **exc.result)`` once. That keeps the
backends testable without an AnsibleModule.
"""

from __future__ import absolute_import, division, print_function


class MailauthError(Exception):
    """A failure to report to the user: the message, and result keys to return with it (``result``)."""

    def __init__(self, msg, **result):
        super(MailauthError, self).__init__(msg)
        self.result = result
