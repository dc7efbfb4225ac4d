# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What only a private key holds, to assert that none of it appears in a module's output.

Used by the unit tests (module backends) and the functional tests (module results, diffs, warnings and the
whole ansible-playbook output).
"""

from __future__ import absolute_import, division, print_function

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _int_bytes(number):
    return number.to_bytes((number.bit_length() + 7) // 8, 'big')


def public_texts(key):
    """The base64 forms of the public half: SubjectPublicKeyInfo and PKCS#1 for RSA, raw and SPKI for Ed25519."""
    pub = key.public_key()
    forms = [(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)]
    if isinstance(key, rsa.RSAPrivateKey):
        forms.append((serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
    else:
        forms.append((serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    return [base64.b64encode(pub.public_bytes(*form)).decode() for form in forms]


def secret_strings(pem):
    """Strings that only the private key in ``pem`` holds.

    - every line of the PEM that does not also occur in the base64 of the public key (a PKCS#1 PEM carries the
      modulus, which is public);
    - for each secret number (RSA d, p, q, dP, dQ, qInv; the Ed25519 seed): the base64 of 12 of its bytes at
      each of the three byte alignments, so that any base64 text holding it (the PEM, base64 of the PKCS#1 or
      PKCS#8 DER, or of the number alone) contains one of them; and its first 16 bytes in hex;
    - the text ``PRIVATE KEY`` (a PEM header).
    """
    key = serialization.load_pem_private_key(pem, password=None)
    public = public_texts(key)
    lines = [line for line in pem.decode().splitlines()
             if line and not line.startswith('-----') and not any(line in text for text in public)]
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        numbers = [_int_bytes(v) for v in (n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp)]
    else:
        numbers = [key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())]
    chunks = []
    for number in numbers:
        chunks += byte_strings(number)
    return lines + chunks + ['PRIVATE KEY']


def byte_strings(secret):
    """Strings that give away the bytes ``secret``: the base64 of 12 of its bytes at each of the three byte
    alignments (any base64 text holding the bytes contains one of them) and its first 16 bytes in hex."""
    chunks = [base64.b64encode(secret[shift:shift + 12]).decode() for shift in range(3)]
    return chunks + [secret[:16].hex(), secret[:16].hex().upper()]


def tsig_strings(secret):
    """Strings that give away a TSIG secret (base64 text, as in a BIND key file or opendkim_dns_update)."""
    return [secret] + byte_strings(base64.b64decode(secret))


def leaks(pems, *texts):
    """The secret strings of any of the keys in ``pems`` that occur in any of ``texts`` ([] when none does)."""
    found = []
    for pem in pems:
        for secret in secret_strings(pem):
            if any(secret in text for text in texts):
                found.append(secret)
    return found
