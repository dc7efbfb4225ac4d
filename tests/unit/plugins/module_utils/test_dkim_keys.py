# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_dkim_keys: key generation, loading, public DKIM data and user-given public keys."""

from __future__ import absolute_import, division, print_function

import base64
import hashlib
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_keys as k
from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_keys import KeyDataError


@pytest.fixture(scope='module')
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope='module')
def ed_key():
    return ed25519.Ed25519PrivateKey.generate()


@pytest.mark.parametrize('key_type, size, header, public_len', [
    ('rsa', 1024, b'-----BEGIN RSA PRIVATE KEY-----', 162),
    ('rsa', None, b'-----BEGIN RSA PRIVATE KEY-----', 294),
    ('ed25519', None, b'-----BEGIN PRIVATE KEY-----', 32),
])
def test_generate_serialize_load_round_trip(key_type, size, header, public_len):
    key = k.generate_private_key(key_type, size)
    pem = k.private_key_to_pem(key)
    assert pem.startswith(header)
    info = k.public_info(k.load_private_key(pem))
    assert info == k.public_info(key)
    assert info['type'] == key_type
    assert info['size'] == (256 if key_type == 'ed25519' else (size or 2048))
    raw = base64.b64decode(info['public_key'])
    assert len(raw) == public_len
    assert info['fingerprint'] == ':'.join('%02x' % b for b in hashlib.sha256(raw).digest())


def test_rsa_public_key_is_spki_der(rsa_key):
    info = k.public_info(rsa_key)
    spki = rsa_key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    assert base64.b64decode(info['public_key']) == spki
    assert info['public_key'].startswith('MIGfMA0GCSqGSIb3DQEBAQUAA4GNAD')  # rsaEncryption SPKI header, 1024 bit


def test_ed25519_public_key_is_raw_32_bytes(ed_key):
    info = k.public_info(ed_key)
    raw = ed_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert base64.b64decode(info['public_key']) == raw


def test_load_pkcs8_rsa_and_der(rsa_key):
    pkcs8 = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    der = rsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    assert k.public_info(k.load_private_key(pkcs8)) == k.public_info(rsa_key)
    assert k.public_info(k.load_private_key(der)) == k.public_info(rsa_key)


# Reading a key back without OpenSSL's slow RSA check (cryptography < 39, as on Debian 12): the numbers are read
# with the DER parser and checked against each other. Both paths must give the same answer, and damage is refused.
@pytest.fixture(params=[True, False], ids=['cryptography>=39', 'cryptography<39'])
def skips_check(request, monkeypatch):
    monkeypatch.setattr(k, '_SKIPS_RSA_CHECK', request.param)
    return request.param


@pytest.mark.parametrize('fmt, encoding', [
    (serialization.PrivateFormat.TraditionalOpenSSL, serialization.Encoding.PEM),
    (serialization.PrivateFormat.PKCS8, serialization.Encoding.PEM),
    (serialization.PrivateFormat.TraditionalOpenSSL, serialization.Encoding.DER),
    (serialization.PrivateFormat.PKCS8, serialization.Encoding.DER),
], ids=['pkcs1-pem', 'pkcs8-pem', 'pkcs1-der', 'pkcs8-der'])
def test_private_key_info_matches_a_full_load(rsa_key, skips_check, fmt, encoding):
    data = rsa_key.private_bytes(encoding, fmt, serialization.NoEncryption())
    assert k.private_key_info(data, '/k') == k.public_info(rsa_key)


def test_private_key_info_of_ed25519(ed_key, skips_check):
    assert k.private_key_info(k.private_key_to_pem(ed_key), '/k') == k.public_info(ed_key)


def _damaged(rsa_key, which):
    """PKCS#1 DER of rsa_key with one number changed (index into n, e, d, p, q, dp, dq, qinv)."""
    nums = rsa_key.private_numbers()
    values = [nums.public_numbers.n, nums.public_numbers.e, nums.d, nums.p, nums.q, nums.dmp1, nums.dmq1, nums.iqmp]
    values[which] += 2

    def integer(v):
        body = v.to_bytes(v.bit_length() // 8 + 1, 'big')
        return b'\x02' + length(len(body)) + body

    def length(n):
        return bytes([n]) if n < 128 else bytes([0x80 | 2]) + n.to_bytes(2, 'big')

    body = b''.join(integer(v) for v in [0] + values)
    der = b'\x30' + length(len(body)) + body
    return (b'-----BEGIN RSA PRIVATE KEY-----\n' + base64.encodebytes(der) + b'-----END RSA PRIVATE KEY-----\n')


@pytest.mark.parametrize('which', range(8), ids=['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qinv'])
def test_a_damaged_rsa_key_is_refused_on_the_fast_path(rsa_key, monkeypatch, which):
    monkeypatch.setattr(k, '_SKIPS_RSA_CHECK', False)
    with pytest.raises(KeyDataError) as err:
        k.private_key_info(_damaged(rsa_key, which), '/etc/dkimkeys/x.mail.private')
    assert str(err.value) == ('/etc/dkimkeys/x.mail.private holds an RSA private key whose numbers do not fit '
                              'together (damaged file)')


@pytest.mark.parametrize('data', [b'', b'garbage', b'-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n'])
def test_unreadable_data_is_refused_on_both_paths(skips_check, data):
    with pytest.raises(KeyDataError):
        k.private_key_info(data, '/k')


def test_load_private_key_errors(rsa_key):
    encrypted = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(b'secret'))
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    cases = [
        (b'not a key', '/k does not hold a readable PEM private key'),
        (b'-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n',
         '/k does not hold a readable PEM private key'),
        (encrypted, '/k holds an encrypted private key; DKIM signers need an unencrypted one'),
        (ec_pem, '/k holds a private key of type EC; DKIM uses rsa or ed25519'),
    ]
    for data, message in cases:
        with pytest.raises(KeyDataError) as exc:
            k.load_private_key(data, '/k')
        assert str(exc.value) == message
        assert 'secret' not in str(exc.value)


@pytest.mark.parametrize('key_type, size, expected', [
    (None, None, (None, None)),
    ('rsa', 1024, ('rsa', 1024)),
    ('rsa', 4096, ('rsa', 4096)),
    ('ed25519', 512, ('ed25519', 512)),  # size is ignored for ed25519
])
def test_validate_key_request_ok(key_type, size, expected):
    assert k.validate_key_request(key_type, size) == expected


@pytest.mark.parametrize('key_type, size, message', [
    ('dsa', None, "type must be one of rsa, ed25519, got 'dsa'"),
    ('rsa', 512, 'size 512 is too small: RSA keys under 1024 bits are rejected by receivers (RFC 8301)'),
    (None, 1023, 'size 1023 is too small: RSA keys under 1024 bits are rejected by receivers (RFC 8301)'),
    ('rsa', 8192, 'size 8192 is too large: verifiers need only handle RSA keys up to 4096 bits (RFC 8301)'),
    ('rsa', 2047, 'size 2047 is not a multiple of 8'),
    ('rsa', '2048', "size must be an integer number of bits, got '2048'"),
    ('rsa', True, 'size must be an integer number of bits, got True'),
])
def test_validate_key_request_errors(key_type, size, message):
    with pytest.raises(KeyDataError) as exc:
        k.validate_key_request(key_type, size)
    assert str(exc.value) == message


def test_parse_public_key_forms(rsa_key, ed_key):
    rsa_info = k.public_info(rsa_key)
    ed_info = k.public_info(ed_key)
    rsa_pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    rsa_pkcs1_pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.PKCS1).decode()
    ed_pem = ed_key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    ed_spki_b64 = base64.b64encode(ed_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    wrapped = '\n'.join(rsa_info['public_key'][i:i + 64] for i in range(0, len(rsa_info['public_key']), 64))
    for text, key_type, expected in [
        (rsa_info['public_key'], None, rsa_info),
        (rsa_info['public_key'], 'rsa', rsa_info),
        (wrapped, None, rsa_info),
        (rsa_pem, None, rsa_info),
        (rsa_pkcs1_pem, 'rsa', rsa_info),
        (ed_info['public_key'], None, ed_info),
        (ed_info['public_key'], 'ed25519', ed_info),
        (ed_pem, None, ed_info),
        (ed_spki_b64, 'ed25519', ed_info),
    ]:
        assert k.parse_dkim_public_key(text, key_type) == expected, text


def test_parse_public_key_errors(rsa_key, ed_key):
    small = rsa.RSAPublicNumbers(65537, (1 << 511) + 1).public_key()
    small_b64 = base64.b64encode(small.public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    ec_b64 = base64.b64encode(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    rsa_b64 = k.public_info(rsa_key)['public_key']
    ed_b64 = k.public_info(ed_key)['public_key']
    private_pem = k.private_key_to_pem(ed_key).decode()

    def short(text):
        return text if len(text) <= 60 else text[:57] + '...'

    cases = [
        ('', None, "public_key must be a non-empty string, got ''"),
        ('not base64!', None, "public_key 'not base64!' is not base64 (nor PEM)"),
        ('QUJDRA==', None, "public_key 'QUJDRA==' is not an RSA SubjectPublicKeyInfo nor a raw 32-byte ed25519 key"),
        (small_b64, None, 'public_key %r is a 512-bit RSA key; receivers reject keys under 1024 bits' % short(small_b64)),
        (ec_b64, None, 'public_key %r is a key of type EC; DKIM uses rsa or ed25519' % short(ec_b64)),
        (rsa_b64, 'ed25519', 'public_key %r is an rsa key but key_type is ed25519' % short(rsa_b64)),
        (ed_b64, 'rsa', 'public_key %r is a raw 32-byte ed25519 key but key_type is rsa' % short(ed_b64)),
        (private_pem, None, 'public_key holds a PRIVATE key; give the public key only'),
        ('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', None,
         "public_key %r is PEM but not a readable public key" % short('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')),
        (rsa_b64, 'dsa', "key_type must be one of rsa, ed25519, got 'dsa'"),
    ]
    for text, key_type, message in cases:
        with pytest.raises(KeyDataError) as exc:
            k.parse_dkim_public_key(text, key_type)
        assert str(exc.value) == message


@pytest.mark.parametrize('which, fmt', [
    ('rsa', serialization.PrivateFormat.PKCS8),
    ('rsa', serialization.PrivateFormat.TraditionalOpenSSL),
    ('ed25519', serialization.PrivateFormat.PKCS8),
])
def test_private_key_given_as_public_key_is_refused_and_not_quoted(rsa_key, ed_key, which, fmt):
    """PEM, base64 DER, a PEM body without its lines, or encrypted: refused without quoting the value."""
    key = rsa_key if which == 'rsa' else ed_key
    der = key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()
    body = ''.join(pem.splitlines()[1:-1])
    encrypted = base64.b64encode(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                   serialization.BestAvailableEncryption(b'pw'))).decode()
    for text in (pem, base64.b64encode(der).decode(), body, '\n'.join(pem.splitlines()[1:-1]), encrypted):
        for key_type in (None, 'rsa', 'ed25519'):
            with pytest.raises(KeyDataError) as exc:
                k.parse_dkim_public_key(text, key_type)
            assert str(exc.value) == 'public_key holds a PRIVATE key; give the public key only'


def _der(tag, body):
    n = len(body)
    head = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, 'big')
    return bytes([tag]) + head + body


@pytest.mark.parametrize('bits', [512, 1024, 1032, 2048, 4096])
def test_rsa_modulus_bits_from_spki_and_pkcs1(bits):
    modulus = ((1 << (bits - 1)) | 1).to_bytes(bits // 8, 'big')
    pkcs1 = _der(0x30, _der(0x02, b'\x00' + modulus) + _der(0x02, b'\x01\x00\x01'))
    algo = _der(0x30, _der(0x06, bytes.fromhex('2a864886f70d010101')) + b'\x05\x00')
    spki = _der(0x30, algo + _der(0x03, b'\x00' + pkcs1))
    assert k.rsa_modulus_bits(pkcs1) == bits
    assert k.rsa_modulus_bits(spki) == bits


def test_rsa_modulus_bits_agrees_with_cryptography(rsa_key):
    for fmt in (serialization.PublicFormat.SubjectPublicKeyInfo, serialization.PublicFormat.PKCS1):
        der = rsa_key.public_key().public_bytes(serialization.Encoding.DER, fmt)
        assert k.rsa_modulus_bits(der) == rsa_key.key_size == 1024
    assert k.parse_dkim_public_key(k.public_info(rsa_key)['public_key'])['size'] == 1024


@pytest.mark.parametrize('der, message', [
    (b'', 'truncated DER'),
    (b'\x30', 'truncated DER'),
    (b'\x30\x05\x02\x01', 'truncated DER'),
    (b'\x30\x80', 'bad DER length'),
    (b'\x30\x85\x01\x02\x03\x04\x05', 'bad DER length'),
    (b'\x02\x01\x01', 'not a DER SEQUENCE'),
    (b'\x30\x03\x04\x01\x00', 'unexpected DER element'),
    (_der(0x30, _der(0x30, _der(0x06, bytes.fromhex('2a8648ce3d0201'))) + _der(0x03, b'\x00\x04')),
     'the key is not an RSA key'),
    (_der(0x30, _der(0x30, _der(0x06, bytes.fromhex('2a864886f70d010101'))) + _der(0x04, b'\x00')),
     'no BIT STRING with the key'),
    (_der(0x30, _der(0x30, _der(0x06, bytes.fromhex('2a864886f70d010101'))) + _der(0x03, b'\x00\x02\x01\x01')),
     'no RSAPublicKey in the BIT STRING'),
    (_der(0x30, _der(0x30, _der(0x06, bytes.fromhex('2a864886f70d010101')))
          + _der(0x03, b'\x00' + _der(0x30, _der(0x04, b'\x01')))),
     'no modulus in the RSAPublicKey'),
])
def test_rsa_modulus_bits_errors(der, message):
    with pytest.raises(ValueError) as exc:
        k.rsa_modulus_bits(der)
    assert str(exc.value) == message


def test_validation_and_der_parser_import_without_cryptography():
    """The role's validation (controller) and dns_check use these where cryptography may be absent."""
    code = (
        'import sys\n'
        'class Block(object):\n'
        '    def find_spec(self, name, path=None, target=None):\n'
        '        if name.split(".")[0] == "cryptography":\n'
        '            raise ImportError("blocked: " + name)\n'
        'sys.meta_path.insert(0, Block())\n'
        'from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_keys import (\n'
        '    HAS_CRYPTOGRAPHY, KeyDataError, rsa_modulus_bits, validate_key_request)\n'
        'from ansible_collections.mailauth.dkim.plugins.module_utils import _dns_check_backend\n'
        'assert HAS_CRYPTOGRAPHY is False\n'
        'assert validate_key_request("rsa", 2048) == ("rsa", 2048)\n'
        'try:\n'
        '    validate_key_request("rsa", 512)\n'
        'except KeyDataError as exc:\n'
        '    print(exc)\n'
    )
    import ansible_collections
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(p) for p in ansible_collections.__path__] + [os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == 'size 512 is too small: RSA keys under 1024 bits are rejected by receivers (RFC 8301)\n'


@pytest.mark.parametrize('workers', [1, 2])
def test_generate_many_keeps_order_and_types(workers):
    requests = [('rsa', 1024), ('ed25519', None), ('rsa', 1024), ('rsa', 1024), ('rsa', 1032), ('ed25519', None)]
    pems = k.generate_many(requests, workers)
    infos = [k.public_info(k.load_private_key(pem)) for pem in pems]
    assert [(i['type'], i['size']) for i in infos] == [('rsa', 1024), ('ed25519', 256), ('rsa', 1024),
                                                       ('rsa', 1024), ('rsa', 1032), ('ed25519', 256)]
    assert len(set(i['public_key'] for i in infos)) == len(requests)


_PARENT = os.getpid()
_MADE = k.generate_pem


def _dies_in_a_worker_at_the_third_key(request):
    if os.getpid() != _PARENT and request[1] == 1032:
        os._exit(1)
    return _MADE(request)


def test_generate_many_makes_every_key_in_order_when_the_pool_breaks_midway(monkeypatch):
    """A worker that dies (OOM killer, say) breaks the pool: the keys not yet received are made in-process."""
    monkeypatch.setattr(k, 'generate_pem', _dies_in_a_worker_at_the_third_key)
    requests = [('rsa', 1024), ('rsa', 1024), ('rsa', 1032), ('rsa', 1040), ('ed25519', None)]
    infos = [k.public_info(k.load_private_key(pem)) for pem in k.generate_many(requests, 2)]
    assert [(i['type'], i['size']) for i in infos] == [('rsa', 1024), ('rsa', 1024), ('rsa', 1032), ('rsa', 1040),
                                                       ('ed25519', 256)]


def test_generate_many_yields_keys_while_the_others_are_made():
    """The first key comes back before the last one is asked for (the caller writes it meanwhile)."""
    keys = k.generate_many([('rsa', 1024)] * 6, 2)
    first = next(keys)
    assert k.public_info(k.load_private_key(first))['size'] == 1024
    assert len(list(keys)) == 5


# New RSA keys are not put through OpenSSL's consistency check on cryptography < 39 (cryptography >= 39 never checks
# a key it has just generated); the backend's flag is set only for the generation and always put back.
class _FakeBackend(object):
    _rsa_skip_check_key = False


@pytest.mark.parametrize('fails', [False, True], ids=['generated', 'generation-failed'])
def test_generation_skips_the_rsa_check_only_while_generating(monkeypatch, fails):
    backend = _FakeBackend()
    seen = []

    def generate(public_exponent, key_size):
        seen.append((backend._rsa_skip_check_key, public_exponent, key_size))
        if fails:
            raise ValueError('no entropy')
        return 'key'

    monkeypatch.setattr(k, '_unchecked_rsa_backend', lambda: backend)
    monkeypatch.setattr(k.rsa, 'generate_private_key', generate)
    if fails:
        with pytest.raises(ValueError):
            k.generate_private_key('rsa', 1024)
    else:
        assert k.generate_private_key('rsa', 1024) == 'key'
    assert seen == [(True, 65537, 1024)]
    assert backend._rsa_skip_check_key is False


def test_generation_checks_nothing_else_where_cryptography_does_not_check(monkeypatch):
    monkeypatch.setattr(k, '_SKIPS_RSA_CHECK', True)
    assert k._unchecked_rsa_backend() is None
    key = k.generate_private_key('rsa', 1024)
    assert k.private_key_info(k.private_key_to_pem(key), '/k') == k.public_info(key)


SYSTEM_PYTHON = '/usr/bin/python3'


def _system_cryptography_version():
    if not os.path.exists(SYSTEM_PYTHON):
        return None
    proc = subprocess.run([SYSTEM_PYTHON, '-c', 'import cryptography; print(cryptography.__version__)'],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def test_generation_on_cryptography_before_39_skips_the_check_and_makes_sound_keys():
    """With the system's python3-cryptography (Debian 12: 38), where the skip matters: RSA_check_key is not run on
    the new key, the flag is back afterwards, and the key passes a full load with OpenSSL's check."""
    version = _system_cryptography_version()
    if version is None or int(version.split('.')[0]) >= 39:
        pytest.skip('needs %s with cryptography < 39 (found: %s)' % (SYSTEM_PYTHON, version))
    code = (
        'from cryptography.hazmat.backends.openssl import rsa as ossl_rsa\n'
        'from cryptography.hazmat.backends.openssl.backend import backend\n'
        'from cryptography.hazmat.primitives import serialization\n'
        'from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_keys as k\n'
        'skips = []\n'
        'init = ossl_rsa._RSAPrivateKey.__init__\n'
        'def spy(self, backend_, rsa_cdata, evp_pkey, skip):\n'
        '    skips.append(skip)\n'
        '    init(self, backend_, rsa_cdata, evp_pkey, skip)\n'
        'ossl_rsa._RSAPrivateKey.__init__ = spy\n'
        'pem = k.generate_pem(("rsa", 1024))\n'
        'assert skips == [True], skips\n'
        'assert backend._rsa_skip_check_key is False\n'
        'del skips[:]\n'
        'key = serialization.load_pem_private_key(pem, password=None)\n'
        'assert skips == [False], skips\n'
        'assert k.private_key_info(pem, "/k") == k.public_info(key)\n'
        'print(k.private_key_info(pem, "/k")["size"])\n'
    )
    # Only the collection on the path: the venv's site-packages (ansible's own ansible_collections) must not be.
    collections = os.path.abspath(os.path.join(os.path.dirname(k.__file__), *['..'] * 5))
    env = dict(os.environ, PYTHONPATH=collections)
    proc = subprocess.run([SYSTEM_PYTHON, '-c', code], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == '1024\n'
