# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: DKIM key generation, loading and files.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

The first half is pure functions over ``cryptography`` objects and bytes (generate, serialize, load,
public DKIM data, fingerprint, parse a public key given by a user). The second half, KeyBackend, is the
logic of the mailauth.dkim.dkim_key module: it plans every key first (validation, reading existing
keys) and only then writes, so bad input fails before anything on the host changes.
Private key bytes are never put into return values, warnings, diffs or error messages.
"""

from __future__ import absolute_import, division, print_function

import base64
import binascii
import grp
import hashlib
import os
import pwd
import re
import tempfile
import time
import traceback

from ansible_collections.mailauth.dkim.plugins.module_utils import _records

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
DEFAULT_RSA_SIZE = 2048
MIN_RSA_SIZE = 1024
# RFC 8301 section 3.2: verifiers must handle 1024 to 4096 bits; larger keys may not be verified at all.
MAX_RSA_SIZE = 4096


class KeyDataError(ValueError):
    """Key material that cannot be used; the message never contains private key bytes."""


# --------------------------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------------------------

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


def generate_private_key(key_type='rsa', size=None):
    if key_type == 'ed25519':
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=size or DEFAULT_RSA_SIZE)


def generate_pem(request):
    """Generate one key and return its PEM bytes. ``request`` is (type, size); used by generate_many()."""
    key_type, size = request
    return private_key_to_pem(generate_private_key(key_type, size))


def generate_many(requests, workers=1):
    """PEM bytes for each (type, size) request, in order.

    RSA generation is CPU-bound and holds the GIL, so with ``workers`` > 1 and enough RSA keys to be worth it,
    the keys are made in forked worker processes on this host (the key bytes come back over a local pipe and
    never leave the host). Where process pools are not available, it falls back to generating in-process.
    """
    requests = list(requests)
    costly = sum(1 for key_type, dummy in requests if key_type != 'ed25519')
    if workers > 1 and costly >= 4:
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            from concurrent.futures.process import BrokenProcessPool
            context = multiprocessing.get_context('fork')
            with ProcessPoolExecutor(max_workers=min(workers, costly), mp_context=context) as pool:
                return list(pool.map(generate_pem, requests))
        except (ImportError, OSError, ValueError, NotImplementedError, BrokenProcessPool):
            pass
    return [generate_pem(request) for request in requests]


def private_key_to_pem(key):
    """PEM bytes: PKCS#1 ('RSA PRIVATE KEY', as opendkim-genkey writes) for RSA, PKCS#8 for ed25519."""
    if isinstance(key, rsa.RSAPrivateKey):
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        fmt = serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


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
    public = None
    if stripped.startswith('-----BEGIN'):
        if 'PRIVATE KEY' in stripped.split('\n', 1)[0]:
            raise KeyDataError('public_key holds a PRIVATE key; give the public key only')
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
        size = public.key_size
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


def write_atomic(path, data, prepare=None):
    """Write ``data`` to ``path`` through a 0600 temporary file in the same directory and a rename.

    ``prepare(tmp_path)`` runs before the rename (to set owner/group/mode), so the final name never
    exists with the wrong permissions. A crash leaves either the old file or the new one.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if prepare is not None:
            prepare(tmp)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def backup_name(path, now=None):
    """``<path>.<UTC timestamp>.bak``; a counter is added if that name is taken."""
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))
    candidate = '%s.%s.bak' % (path, stamp)
    counter = 1
    while os.path.lexists(candidate):
        counter += 1
        candidate = '%s.%s.%d.bak' % (path, stamp, counter)
    return candidate


# --------------------------------------------------------------------------------------------
# Module backend
# --------------------------------------------------------------------------------------------

ITEM_KEYS = ('path', 'domain', 'selector', 'type', 'size', 'testing')


class KeyBackend(object):
    """Plans and applies mailauth.dkim.dkim_key for one or many keys."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.warnings = []
        self.diffs = []

    # -- planning -----------------------------------------------------------------------------

    def items(self):
        p = self.params
        if p['keys'] is not None:
            raw = p['keys']
        else:
            raw = [dict((k, p[k]) for k in ITEM_KEYS)]
        items = []
        for index, entry in enumerate(raw):
            item = dict(entry)
            for key in ('type', 'size', 'testing'):
                if item.get(key) is None:
                    item[key] = p[key]
            item['testing'] = bool(item.get('testing'))
            item['where'] = 'keys[%d]: ' % index if p['keys'] is not None else ''
            items.append(item)
        return items

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def validate(self, items):
        state = self.params['state']
        paths = {}
        names = {}
        try:
            _records.validate_ttl(self.params['ttl'])
        except _records.RecordError as exc:
            self.fail(str(exc))
        self.validate_owner()
        if self.params['workers'] < 0:
            self.fail('workers must be 0 (one per CPU) or a positive number, got %d' % self.params['workers'])
        for item in items:
            where = item['where']
            path = item.get('path')
            if not path:
                self.fail('%spath is required' % where)
            path = item['path'] = os.path.abspath(os.path.expanduser(path))
            if path in paths:
                self.fail('%spath %s is also used by keys[%d]' % (where, path, paths[path]))
            paths[path] = len(paths)
            if state == 'absent':
                continue
            for required in ('domain', 'selector'):
                if not item.get(required):
                    self.fail('%s%s is required when state=present (key %s)' % (where, required, path))
            try:
                item['domain'] = _records.validate_domain(item['domain'])
                item['selector'] = _records.validate_selector(item['selector'], item['domain'])
                item['type'], item['size'] = validate_key_request(item['type'], item['size'])
            except (_records.RecordError, KeyDataError) as exc:
                self.fail('%s%s' % (where, exc))
            name = (item['selector'], item['domain'])
            if name in names:
                self.fail('%sselector %r of domain %s is also used by %s: one DNS name can publish only one key'
                          % (where, item['selector'], item['domain'], names[name]))
            names[name] = path
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                self.fail('%sdirectory %s for key %s does not exist' % (where, directory, path))
            if os.path.isdir(path):
                self.fail('%spath %s is a directory, not a key file' % (where, path))

    def validate_owner(self):
        """A missing user or group fails before any key is written, not halfway through a list."""
        for option, lookup in (('owner', pwd.getpwnam), ('group', grp.getgrnam)):
            name = self.params.get(option)
            if name is None or str(name).isdigit():
                continue
            try:
                lookup(name)
            except KeyError:
                self.fail('%s %r does not exist on this host' % (option, name))

    def inspect(self, item):
        """Decide what to do with one key; reads the existing file. Never writes."""
        path = item['path']
        force = self.params['force']
        if self.params['state'] == 'absent':
            item['action'] = 'remove' if os.path.lexists(path) else 'none'
            if item['action'] == 'remove':
                try:  # only for the diff; a file that is not a key is removed all the same
                    with open(path, 'rb') as handle:
                        item['existing'] = public_info(load_private_key(handle.read(), path))
                except (IOError, OSError, KeyDataError):
                    item['existing'] = {'type': 'unknown', 'size': 0, 'fingerprint': 'unknown'}
            return
        if not os.path.lexists(path):
            item['action'] = 'create'
            return
        try:
            with open(path, 'rb') as handle:
                data = handle.read()
        except (IOError, OSError) as exc:
            self.fail('%scannot read existing key %s: %s' % (item['where'], path, exc.strerror or exc))
        try:
            key = load_private_key(data, path)
        except KeyDataError as exc:
            if not force:
                self.fail('%s%s; it was left alone. Set force=true to replace it (the old file is kept as a backup)'
                          % (item['where'], exc))
            item['action'] = 'replace'
            item['mismatch'] = str(exc)
            return
        item['existing'] = public_info(key)
        mismatch = self.mismatch(item, item['existing'])
        item['mismatch'] = mismatch
        item['action'] = 'replace' if (mismatch and force) else 'keep'

    @staticmethod
    def mismatch(item, info):
        wanted_type = item['type'] or info['type']
        if wanted_type != info['type']:
            return 'existing key is %s %d, requested %s' % (info['type'], info['size'], wanted_type)
        if info['type'] == 'rsa':
            if item['size'] is not None and item['size'] != info['size']:
                return 'existing key is rsa %d, requested rsa %d' % (info['size'], item['size'])
            if info['size'] < MIN_RSA_SIZE:
                return 'existing key is rsa %d, under the %d-bit minimum' % (info['size'], MIN_RSA_SIZE)
        return None

    # -- applying -----------------------------------------------------------------------------

    def file_args(self, path):
        args = self.module.load_file_common_arguments(self.params, path=path)
        if args.get('mode') is None:
            args['mode'] = '0600'
        return args

    def apply(self, item):
        module = self.module
        path = item['path']
        action = item['action']
        changed = False
        result = {'path': path, 'changed': False}
        if action == 'remove':
            changed = True
            if self.params['backup']:
                result['backup_file'] = None if module.check_mode else self.backup(path)
            if not module.check_mode:
                os.unlink(path)
            self.add_diff(path, self.describe(item, item.get('existing')), None)
        if action in ('none', 'remove'):
            result.update(changed=changed, state='absent')
            return result

        result.update(domain=item['domain'], selector=item['selector'], mismatch=item.get('mismatch'), state='present')
        info = item.get('existing')
        if action in ('create', 'replace'):
            changed = True
            if module.check_mode:
                info = None
            else:
                if action == 'replace':
                    result['backup_file'] = self.backup(path)
                pem = item.pop('pem')
                info = public_info(load_private_key(pem, path))
                args = self.file_args(path)

                def prepare(tmp):
                    tmp_args = dict(args, path=tmp)
                    module.set_fs_attributes_if_different(tmp_args, False)

                try:
                    write_atomic(path, pem, prepare)
                except (IOError, OSError) as exc:
                    self.fail('cannot write key %s: %s' % (path, getattr(exc, 'strerror', None) or exc))
                del pem
            self.add_diff(path, self.describe(item, item.get('existing')), self.describe(item, info, pending=info is None))
        if os.path.lexists(path) or not module.check_mode:
            changed = module.set_fs_attributes_if_different(self.file_args(path), changed)
        result['changed'] = changed
        result['status'] = {'create': 'created', 'replace': 'replaced', 'keep': 'kept'}[action]
        if info is None:
            result.update(type=item['type'] or 'rsa', size=self.planned_size(item), public_key=None,
                          fingerprint=None, record=None)
        else:
            result.update(info)
            result['record'] = _records.dkim_record(item['domain'], item['selector'], info['public_key'],
                                                    info['type'], item['testing'], self.params['ttl'])
        return result

    @staticmethod
    def planned_size(item):
        if (item['type'] or 'rsa') == 'ed25519':
            return 256
        return item['size'] or DEFAULT_RSA_SIZE

    def backup(self, path):
        name = backup_name(path)
        try:
            with open(path, 'rb') as handle:
                data = handle.read()
            st = os.stat(path)

            def prepare(tmp):
                os.chmod(tmp, st.st_mode & 0o7777)
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except OSError:
                    pass

            write_atomic(name, data, prepare)
        except (IOError, OSError) as exc:
            self.fail('cannot back up %s to %s: %s; nothing was replaced' % (path, name, getattr(exc, 'strerror', None) or exc))
        return name

    def describe(self, item, info, pending=False):
        if info is None and not pending:
            return None
        out = {'path': item['path']}
        if item.get('domain'):
            out.update(domain=item['domain'], selector=item['selector'])
        if info is not None:
            out.update(type=info['type'], size=info['size'], fingerprint=info['fingerprint'])
        else:
            out.update(type=item['type'] or 'rsa', size=self.planned_size(item), fingerprint='(new key)')
        return out

    def add_diff(self, path, before, after):
        if not self.module._diff:
            return

        def render(d):
            if d is None:
                return ''
            fields = ('path', 'domain', 'selector', 'type', 'size', 'fingerprint')
            return ''.join('%s: %s\n' % (k, d[k]) for k in fields if k in d)

        self.diffs.append({'before_header': path, 'after_header': path,
                           'before': render(before), 'after': render(after)})

    def run(self):
        items = self.items()
        self.validate(items)
        for item in items:
            self.inspect(item)
        if not self.module.check_mode:
            # Every new key is generated before any file is written.
            todo = [item for item in items if item['action'] in ('create', 'replace')]
            workers = self.params['workers'] or os.cpu_count() or 1
            pems = generate_many([(item['type'] or 'rsa', item['size']) for item in todo], workers)
            for item, pem in zip(todo, pems):
                item['pem'] = pem
        results = [self.apply(item) for item in items]
        mismatched = [r for r in results if r.get('mismatch') and r.get('status') == 'kept']
        for r in mismatched[:10]:
            self.module.warn('%s kept unchanged: %s; set force=true to replace it (a backup is kept)'
                             % (r['path'], r['mismatch']))
        if len(mismatched) > 10:
            self.module.warn('%d more keys differ from what was requested and were kept; see "mismatch" in the result'
                             % (len(mismatched) - 10))
        out = {'changed': any(r['changed'] for r in results)}
        if self.params['keys'] is not None:
            out['key_results'] = results
        else:
            # AnsibleModule.exit_json() would add file facts (size, mode, state...) over ours for a 'path' key.
            single = dict(results[0])
            single['filename'] = single.pop('path')
            single.pop('state', None)
            out.update(single)
        if self.diffs:
            out['diff'] = self.diffs if len(self.diffs) > 1 else self.diffs[0]
        return out
