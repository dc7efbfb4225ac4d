# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: DKIM keys as data (generate, serialize, load, inspect).

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

Pure functions over ``cryptography`` objects and bytes: validate a requested type/size, generate keys,
serialize and load them, the public DKIM data (p= bytes, fingerprint) of a key, parse a public key given by
a user, and the size of an RSA public key in DER.

``cryptography`` is imported in a guarded block: validate_key_request(), rsa_modulus_bits(), KeyDataError and
the constants work without it (the role's validation and the filters use them on the controller; dns_check
reads served keys with rsa_modulus_bits(), the collection's one DER parser); the rest needs it
(``HAS_CRYPTOGRAPHY``). Private key bytes are never put into error messages.
"""

from __future__ import absolute_import, division, print_function

import base64
import binascii
import hashlib
import re
import traceback

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True

KEY_TYPES = ('rsa', 'ed25519')
_RSA_OID = bytes.fromhex('2a864886f70d010101')  # rsaEncryption
DEFAULT_RSA_SIZE = 2048
MIN_RSA_SIZE = 1024
# RFC 8301 section 3.2: verifiers must handle 1024 to 4096 bits; larger keys may not be verified at all.
MAX_RSA_SIZE = 4096


class KeyDataError(ValueError):
    """Key material that cannot be used; the message never contains private key bytes."""


def validate_key_request(key_type, size):
    """Check a requested type/size. Returns (type, size or None). ``None`` means 'not specified'."""
    if key_type is not None and key_type not in KEY_TYPES:
        raise KeyDataError('type must be one of %s, got %r' % (', '.join(KEY_TYPES), key_type))
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int):
            raise KeyDataError('size must be an integer number of bits, got %r' % (size,))
        if (key_type or 'rsa') == 'rsa':
            if size < MIN_RSA_SIZE:
                raise KeyDataError('size %d is too small: RSA keys under %d bits are rejected by receivers '
                                   '(RFC 8301)' % (size, MIN_RSA_SIZE))
            if size > MAX_RSA_SIZE:
                raise KeyDataError('size %d is too large: verifiers need only handle RSA keys up to %d bits '
                                   '(RFC 8301)' % (size, MAX_RSA_SIZE))
            if size % 8:
                raise KeyDataError('size %d is not a multiple of 8' % size)
    return key_type, size


def _der_item(data, pos):
    """(tag, content, next position) of the DER element at pos; ValueError when malformed."""
    if pos + 2 > len(data):
        raise ValueError('truncated DER')
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError('bad DER length')
        length = int.from_bytes(data[pos:pos + count], 'big')
        pos += count
    if pos + length > len(data):
        raise ValueError('truncated DER')
    return tag, data[pos:pos + length], pos + length


def rsa_modulus_bits(der):
    """Size in bits of an RSA public key in DER: SubjectPublicKeyInfo (RFC 6376) or bare PKCS#1.

    Pure Python (no cryptography): dns_check reads the keys DNS serves where cryptography may be absent, and
    parse_dkim_public_key() takes the size of a key from here too, so both always agree.
    """
    tag, body, _end = _der_item(der, 0)
    if tag != 0x30:
        raise ValueError('not a DER SEQUENCE')
    tag, first, pos = _der_item(body, 0)
    if tag == 0x02:  # PKCS#1 RSAPublicKey { modulus, exponent }
        modulus = first
    elif tag == 0x30:  # SubjectPublicKeyInfo { AlgorithmIdentifier, BIT STRING }
        oid_tag, oid, _next = _der_item(first, 0)
        if oid_tag != 0x06 or oid != _RSA_OID:
            raise ValueError('the key is not an RSA key')
        tag, bits, _next = _der_item(body, pos)
        if tag != 0x03 or not bits:
            raise ValueError('no BIT STRING with the key')
        tag, seq, _next = _der_item(bits[1:], 0)
        if tag != 0x30:
            raise ValueError('no RSAPublicKey in the BIT STRING')
        tag, modulus, _next = _der_item(seq, 0)
        if tag != 0x02:
            raise ValueError('no modulus in the RSAPublicKey')
    else:
        raise ValueError('unexpected DER element')
    return int.from_bytes(modulus, 'big').bit_length()


def _unchecked_rsa_backend():
    """The OpenSSL backend of cryptography < 39, whose RSA key generation runs OpenSSL's full consistency check
    (RSA_check_key, about 50 ms of the ~300 ms an RSA-2048 key costs with Debian 12's OpenSSL) on the key it has
    just made; None where generation does not check (cryptography >= 39 skips it for new keys: "we just generated
    the key") or where that backend is not there."""
    if _SKIPS_RSA_CHECK:
        return None
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
    except ImportError:
        return None
    return backend if getattr(backend, '_rsa_skip_check_key', None) is False else None


def generate_private_key(key_type='rsa', size=None):
    if key_type == 'ed25519':
        return ed25519.Ed25519PrivateKey.generate()
    backend = _unchecked_rsa_backend()
    if backend is None:
        return rsa.generate_private_key(public_exponent=65537, key_size=size or DEFAULT_RSA_SIZE)
    # What cryptography >= 39 does for a key it generates: no check of what OpenSSL's RSA_generate_key_ex just
    # made (its primes are tested while they are searched). The module is single-threaded; the flag is put back.
    backend._rsa_skip_check_key = True
    try:
        return rsa.generate_private_key(public_exponent=65537, key_size=size or DEFAULT_RSA_SIZE)
    finally:
        backend._rsa_skip_check_key = False


def generate_pem(request):
    """Generate one key and return its PEM bytes. ``request`` is (type, size); used by generate_many()."""
    key_type, size = request
    return private_key_to_pem(generate_private_key(key_type, size))


def generate_many(requests, workers=1):
    """PEM bytes for each (type, size) request, in order, yielded as each key is made (so that the caller can
    write one key while the workers make the next ones).

    RSA generation is CPU-bound and holds the GIL, so with ``workers`` > 1 and enough RSA keys to be worth it,
    the keys are made in forked worker processes on this host (the key bytes come back over a local pipe and
    never leave the host). Where process pools are not available, or the pool breaks, the keys not yet made are
    generated in-process. A caller that stops early (closing the generator) cancels the keys not started yet.
    """
    requests = list(requests)
    done = 0
    costly = sum(1 for key_type, dummy in requests if key_type != 'ed25519')
    if workers > 1 and costly >= 4:
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            from concurrent.futures.process import BrokenProcessPool
            context = multiprocessing.get_context('fork')
            pool = ProcessPoolExecutor(max_workers=min(workers, costly), mp_context=context)
        except (ImportError, OSError, ValueError, NotImplementedError):
            pool = None
        if pool is not None:
            finished = False
            try:
                for pem in pool.map(generate_pem, requests):
                    done += 1
                    yield pem
                finished = True
            except (OSError, ValueError, NotImplementedError, BrokenProcessPool):
                pass
            finally:
                _shutdown(pool, wait=finished)
    for request in requests[done:]:
        yield generate_pem(request)


def _shutdown(pool, wait):
    """Shuts a pool down; without waiting, the queued work is cancelled (Python >= 3.9) instead of done."""
    if wait:
        pool.shutdown(wait=True)
        return
    try:
        pool.shutdown(wait=False, cancel_futures=True)
    except TypeError:
        pool.shutdown(wait=False)


def private_key_to_pem(key):
    """PEM bytes: PKCS#1 ('RSA PRIVATE KEY', as opendkim-genkey writes) for RSA, PKCS#8 for ed25519."""
    if isinstance(key, rsa.RSAPrivateKey):
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        fmt = serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def _skips_rsa_check():
    """Whether this cryptography can load an RSA key without OpenSSL's slow consistency check (>= 39)."""
    if not HAS_CRYPTOGRAPHY:
        return False
    try:
        import inspect
        return 'unsafe_skip_rsa_key_validation' in inspect.signature(serialization.load_pem_private_key).parameters
    except (TypeError, ValueError):
        return False


_SKIPS_RSA_CHECK = _skips_rsa_check()


def load_private_key(data, path='the key file'):
    """Load an unencrypted PEM (or DER) private key. Cheap: RSA consistency checks are skipped."""
    loaders = (serialization.load_pem_private_key,) if b'-----BEGIN' in data else (
        serialization.load_der_private_key,)
    for loader in loaders:
        try:
            try:
                key = loader(data, password=None, unsafe_skip_rsa_key_validation=True)
            except TypeError:  # cryptography < 39
                key = loader(data, password=None)
        except TypeError:
            raise KeyDataError('%s holds an encrypted private key; DKIM signers need an unencrypted one' % path)
        except (ValueError, UnsupportedAlgorithm):
            break
        if not isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
            raise KeyDataError('%s holds a private key of type %s; DKIM uses rsa or ed25519'
                               % (path, _kind(key)))
        return key
    raise KeyDataError('%s does not hold a readable PEM private key' % path)


def _rsa_private_numbers(der):
    """The integers of an RSA private key in DER (PKCS#1 RSAPrivateKey, or PKCS#8 around one); ValueError if the
    DER is not that."""
    tag, body, _end = _der_item(der, 0)
    if tag != 0x30:
        raise ValueError('not a DER SEQUENCE')
    tag, version, pos = _der_item(body, 0)
    tag2, second, after = _der_item(body, pos)
    if tag == 0x02 and tag2 == 0x30:  # PKCS#8 PrivateKeyInfo { version, AlgorithmIdentifier, OCTET STRING }
        oid_tag, oid, _next = _der_item(second, 0)
        if oid_tag != 0x06 or oid != _RSA_OID:
            raise ValueError('not an RSA key')
        tag, inner, _next = _der_item(body, after)
        if tag != 0x04:
            raise ValueError('no private key in the PKCS#8 structure')
        return _rsa_private_numbers(inner)
    numbers = []
    pos = 0
    while pos < len(body):
        tag, value, pos = _der_item(body, pos)
        if tag != 0x02:
            raise ValueError('unexpected DER element in an RSA private key')
        numbers.append(int.from_bytes(value, 'big'))
    if len(numbers) != 9 or numbers[0] != 0:
        raise ValueError('not a two-prime RSA private key')
    return numbers[1:]


def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def _rsa_public_key_checked(der, path):
    """The public key of an RSA private key in DER, after the checks that tie its numbers together (n = p*q,
    e*d = 1 mod lcm(p-1, q-1), the CRT values): what OpenSSL's check does, without its costly primality tests."""
    try:
        n, e, d, p, q, dp, dq, qinv = _rsa_private_numbers(der)
    except ValueError:
        return None
    lcm = (p - 1) * (q - 1) // _gcd(p - 1, q - 1) if p > 1 and q > 1 else 0
    consistent = lcm and n == p * q and (e * d) % lcm == 1
    consistent = consistent and dp == d % (p - 1) and dq == d % (q - 1) and (qinv * q) % p == 1
    if not consistent:
        raise KeyDataError('%s holds an RSA private key whose numbers do not fit together (damaged file)' % path)
    return rsa.RSAPublicNumbers(e, n).public_key()


def private_key_info(data, path='the key file'):
    """public_info() of the private key in ``data`` (PEM or DER), read as cheaply as it can be checked.

    cryptography >= 39 loads RSA keys without its slow consistency check (unsafe_skip_rsa_key_validation).
    Older releases (Debian 12 has 38) always run OpenSSL's full check, about 60 ms per RSA-2048 key: there the
    RSA numbers are read with the DER parser and checked against each other instead (a damaged or truncated file
    is still refused), so that reading back 500 keys costs milliseconds, not half a minute.
    """
    der = None
    pem = re.match(br'\s*-----BEGIN (RSA )?PRIVATE KEY-----\s+([A-Za-z0-9+/=\s]+?)-----END (RSA )?PRIVATE KEY-----\s*$',
                   data)
    if pem:
        try:
            der = base64.b64decode(b''.join(pem.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            der = None
    elif b'-----BEGIN' not in data:
        der = data
    if der is not None and not _SKIPS_RSA_CHECK:
        public = _rsa_public_key_checked(der, path)
        if public is not None:
            raw = dkim_public_bytes(public)
            return {'type': 'rsa', 'size': public.key_size, 'public_key': base64.b64encode(raw).decode('ascii'),
                    'fingerprint': fingerprint(raw)}
    return public_info(load_private_key(data, path))


def dkim_public_bytes(public_key):
    """The bytes that go base64-encoded into p=: DER SubjectPublicKeyInfo (RSA), raw 32 bytes (ed25519)."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(public_bytes):
    """SHA-256 over the p= bytes, as colon-separated lower-case hex."""
    digest = hashlib.sha256(public_bytes).hexdigest()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def public_info(private_key):
    """type, size, public_key (base64 p= data) and fingerprint of a private key object."""
    public = private_key.public_key()
    raw = dkim_public_bytes(public)
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        key_type, size = 'ed25519', 256
    else:
        key_type, size = 'rsa', private_key.key_size
    return {
        'type': key_type,
        'size': size,
        'public_key': base64.b64encode(raw).decode('ascii'),
        'fingerprint': fingerprint(raw),
    }


def _kind(key):
    """A readable algorithm name for a key object (EC, DSA, Ed448, X25519...)."""
    for cls in type(key).__mro__:
        name = cls.__name__
        for suffix in ('PrivateKey', 'PublicKey'):
            if name.endswith(suffix) and name != suffix:
                return name[:-len(suffix)].lstrip('_')
    return type(key).__name__


def _short(text):
    text = str(text)
    return text if len(text) <= 60 else text[:57] + '...'


def _holds_private_key(text):
    """Whether a value given as a public key is a private key: PEM, or base64 of the DER (PKCS#1 or PKCS#8)."""
    if 'PRIVATE KEY' in text:
        return True
    try:
        der = base64.b64decode(re.sub(r'\s+', '', text), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(der) <= 32:  # a raw ed25519 public key, or too short for any private key
        return False
    try:
        try:
            serialization.load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)
        except TypeError as exc:
            if 'unsafe_skip_rsa_key_validation' not in str(exc):
                raise
            serialization.load_der_private_key(der, password=None)  # cryptography < 39
    except TypeError:  # encrypted
        return True
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def parse_dkim_public_key(text, key_type=None):
    """Parse a public key given by a user: base64 p= data, base64 DER or PEM.

    Returns a dict with type, size, public_key (canonical base64 p= data) and fingerprint.
    Raises KeyDataError naming the value when it is not an RSA (>= 1024 bits) or ed25519 public key,
    or when it does not match ``key_type``.
    """
    if key_type is not None and key_type not in KEY_TYPES:
        raise KeyDataError('key_type must be one of %s, got %r' % (', '.join(KEY_TYPES), key_type))
    if not isinstance(text, str) or not text.strip():
        raise KeyDataError('public_key must be a non-empty string, got %r' % (text,))
    stripped = text.strip()
    if _holds_private_key(stripped):
        # Checked first: the messages below quote the value, and a private key must never be quoted.
        raise KeyDataError('public_key holds a PRIVATE key; give the public key only')
    public = None
    if stripped.startswith('-----BEGIN'):
        try:
            public = serialization.load_pem_public_key(stripped.encode('ascii'))
        except (ValueError, UnsupportedAlgorithm):
            raise KeyDataError('public_key %r is PEM but not a readable public key' % _short(stripped))
    else:
        compact = re.sub(r'\s+', '', stripped)
        try:
            der = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise KeyDataError('public_key %r is not base64 (nor PEM)' % _short(stripped))
        if len(der) == 32:
            if key_type == 'rsa':
                raise KeyDataError('public_key %r is a raw 32-byte ed25519 key but key_type is rsa' % _short(stripped))
            public = ed25519.Ed25519PublicKey.from_public_bytes(der)
        else:
            try:
                public = serialization.load_der_public_key(der)
            except (ValueError, UnsupportedAlgorithm):
                raise KeyDataError('public_key %r is not an RSA SubjectPublicKeyInfo nor a raw 32-byte ed25519 key'
                                   % _short(stripped))
    if isinstance(public, ed25519.Ed25519PublicKey):
        found = 'ed25519'
        size = 256
    elif isinstance(public, rsa.RSAPublicKey):
        found = 'rsa'
        size = rsa_modulus_bits(dkim_public_bytes(public))
        if size < MIN_RSA_SIZE:
            raise KeyDataError('public_key %r is a %d-bit RSA key; receivers reject keys under %d bits'
                               % (_short(stripped), size, MIN_RSA_SIZE))
    else:
        raise KeyDataError('public_key %r is a key of type %s; DKIM uses rsa or ed25519'
                           % (_short(stripped), _kind(public)))
    if key_type is not None and key_type != found:
        raise KeyDataError('public_key %r is an %s key but key_type is %s' % (_short(stripped), found, key_type))
    raw = dkim_public_bytes(public)
    return {'type': found, 'size': size, 'public_key': base64.b64encode(raw).decode('ascii'),
            'fingerprint': fingerprint(raw)}
