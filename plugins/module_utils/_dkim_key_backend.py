# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""PRIVATE module_utils of mailauth.dkim: the backend of the mailauth.dkim.dkim_key module.

This file is not part of the collection's public API. Other collections must not import it;
its functions may change or disappear in any release.

KeyBackend plans every key first (validation, reading existing keys) and only then writes, so bad input
fails before anything on the host changes. Key generation and parsing are the pure functions of _dkim_keys;
files are written with _fileio. It takes the module's parameters, check mode, diff mode and file options as
plain values, raises KeyBackendError instead of failing the module, and collects warnings in ``warnings``.
Private key bytes are never put into return values, warnings, diffs or error messages.
"""

from __future__ import absolute_import, division, print_function

import grp
import os
import pwd

from ansible_collections.mailauth.dkim.plugins.module_utils import _dns_format
from ansible_collections.mailauth.dkim.plugins.module_utils._dkim_keys import (
    DEFAULT_RSA_SIZE,
    MIN_RSA_SIZE,
    KeyDataError,
    generate_many,
    private_key_info,
    validate_key_request,
)
from ansible_collections.mailauth.dkim.plugins.module_utils._errors import MailauthError
from ansible_collections.mailauth.dkim.plugins.module_utils._fileio import (
    FileAttributes,
    backup,
    backup_name,
    read_no_follow,
    write_atomic,
)


# The options of one key: the item keys of the module's ``keys`` list, and the same options at the top level.
ITEM_KEYS = ('path', 'domain', 'selector', 'key_type', 'key_size', 'testing', 'private_key')


class KeyBackendError(MailauthError):
    """Why mailauth.dkim.dkim_key fails; the message never holds private key bytes."""


class KeyBackend(object):
    """Plans and applies mailauth.dkim.dkim_key for one or many keys.

    ``params`` are the module's parameters; ``files`` a _fileio.FileAttributes (owner, group, mode of the key
    files); ``check_mode`` and ``diff`` as the module has them.
    """

    def __init__(self, params, check_mode=False, diff=False, files=None):
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.files = files or FileAttributes(default_mode='0600')
        self.warnings = []
        self.diffs = []

    # -- planning -----------------------------------------------------------------------------

    def items(self):
        p = self.params
        if p['keys'] is not None:
            raw = p['keys']
        else:
            raw = [dict((k, p.get(k)) for k in ITEM_KEYS)]
        items = []
        for index, entry in enumerate(raw):
            # Internally a key's type and size are 'type' and 'size', the names of the result and the diff.
            item = {'path': entry.get('path'), 'domain': entry.get('domain'), 'selector': entry.get('selector'),
                    'type': entry.get('key_type'), 'size': entry.get('key_size'), 'testing': entry.get('testing'),
                    'given': entry.get('private_key')}
            for key, option in (('type', 'key_type'), ('size', 'key_size'), ('testing', 'testing')):
                if item[key] is None:
                    item[key] = p[option]
            item['testing'] = bool(item['testing'])
            item['where'] = 'keys[%d]: ' % index if p['keys'] is not None else ''
            items.append(item)
        return items

    @staticmethod
    def fail(msg):
        raise KeyBackendError(msg)

    def validate(self, items):
        state = self.params['state']
        paths = {}
        names = {}
        try:
            _dns_format.validate_ttl(self.params['ttl'])
        except _dns_format.RecordError as exc:
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
            self.refuse_links(item)
            if state == 'absent':
                continue
            for required in ('domain', 'selector'):
                if not item.get(required):
                    self.fail('%s%s is required when state=present (key %s)' % (where, required, path))
            try:
                item['domain'] = _dns_format.validate_domain(item['domain'])
                item['selector'] = _dns_format.validate_selector(item['selector'], item['domain'])
                item['type'], item['size'] = validate_key_request(item['type'], item['size'])
            except (_dns_format.RecordError, KeyDataError) as exc:
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
            if item['given'] is not None:
                self.check_given(item)

    def check_given(self, item):
        """A private_key to install: parsed and compared with the request; its bytes never reach a message."""
        given = item['given']
        pem = given.encode('ascii', 'replace') if not isinstance(given, bytes) else given
        try:
            info = private_key_info(pem, 'the private_key given for %s' % item['path'])
        except KeyDataError as exc:
            self.fail('%s%s' % (item['where'], exc))
        mismatch = self.mismatch(item, info)
        if mismatch:
            self.fail('%sthe private_key given for %s does not match the request: %s'
                      % (item['where'], item['path'], mismatch.replace('existing key', 'given key')))
        item['given'] = pem
        item['given_info'] = info

    def refuse_links(self, item):
        """A symbolic link as the key file or as its directory is refused before anything changes.

        Through a link, dkim_key would read a key from, write a key to, or set the owner and mode of a file
        somewhere else (another directory, another user's file). The link and where it points are named.
        """
        path = item['path']
        directory = os.path.dirname(path)
        if os.path.islink(directory):
            self.fail('%sdirectory %s of key %s is a symbolic link to %s: dkim_key writes private keys only into a '
                      'real directory, never through a link; use the directory itself (%s) or replace the link. '
                      'Nothing was changed' % (item['where'], directory, path, os.readlink(directory),
                                               os.path.realpath(directory)))
        if os.path.islink(path):
            self.fail('%skey %s is a symbolic link to %s: dkim_key does not read, replace, remove or change the owner '
                      'or mode of a key through a link; give the path of the file itself or remove the link. '
                      'Nothing was changed' % (item['where'], path, os.readlink(path)))

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
                    item['existing'] = private_key_info(read_no_follow(path), path)
                except (IOError, OSError, KeyDataError):
                    item['existing'] = {'type': 'unknown', 'size': 0, 'fingerprint': 'unknown'}
            return
        if not os.path.lexists(path):
            item['action'] = 'create'
            return
        try:
            data = read_no_follow(path)
        except (IOError, OSError) as exc:
            self.fail('%scannot read existing key %s: %s' % (item['where'], path, exc.strerror or exc))
        try:
            item['existing'] = private_key_info(data, path)
        except KeyDataError as exc:
            if not force:
                self.fail('%s%s; it was left alone. Set force=true to replace it (the old file is kept as a backup)'
                          % (item['where'], exc))
            item['action'] = 'replace'
            item['mismatch'] = str(exc)
            return
        if item['given'] is not None:
            if item['existing']['fingerprint'] == item['given_info']['fingerprint']:
                item['action'] = 'keep'
                item['mismatch'] = None
                return
            if not force:
                self.fail('%s%s holds another key (fingerprint %s) than the private_key given (fingerprint %s); it '
                          'was left alone. Set force=true to replace it (the old file is kept as a backup)'
                          % (item['where'], path, item['existing']['fingerprint'], item['given_info']['fingerprint']))
            item['action'] = 'replace'
            item['mismatch'] = 'existing key differs from the private_key given'
            return
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

    def apply(self, item):
        path = item['path']
        action = item['action']
        changed = False
        result = {'path': path, 'changed': False}
        if action == 'remove':
            changed = True
            if self.params['backup']:
                result['backup_file'] = None if self.check_mode else self.backup(path)
            if not self.check_mode:
                os.unlink(path)
            self.add_diff(path, self.describe(item, item.get('existing')), None)
        if action in ('none', 'remove'):
            result.update(changed=changed, state='absent')
            return result

        result.update(domain=item['domain'], selector=item['selector'], mismatch=item.get('mismatch'), state='present')
        info = item.get('existing')
        if action in ('create', 'replace'):
            changed = True
            if self.check_mode:
                info = None
            else:
                if action == 'replace':
                    result['backup_file'] = self.backup(path)
                pem = item.pop('pem')
                info = private_key_info(pem, path)

                def prepare(tmp):
                    self.files.apply(tmp, False, target=path)

                try:
                    write_atomic(path, pem, prepare)
                except (IOError, OSError) as exc:
                    self.fail('cannot write key %s: %s' % (path, getattr(exc, 'strerror', None) or exc))
                del pem
            self.add_diff(path, self.describe(item, item.get('existing')), self.describe(item, info, pending=info is None))
        if os.path.islink(path):  # replaced by a link since it was planned: never set owner or mode through it
            self.fail('key %s became a symbolic link while dkim_key ran; its owner and mode were not set' % path)
        if os.path.lexists(path) or not self.check_mode:
            changed = self.files.apply(path, changed)
        result['changed'] = changed
        result['status'] = {'create': 'created', 'replace': 'replaced', 'keep': 'kept'}[action]
        if info is None:
            result.update(type=item['type'] or 'rsa', size=self.planned_size(item), public_key=None,
                          fingerprint=None, record=None)
        else:
            result.update(info)
            result['record'] = _dns_format.dkim_record(item['domain'], item['selector'], info['public_key'],
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
            return backup(path, name)
        except (IOError, OSError) as exc:
            self.fail('cannot back up %s to %s: %s; nothing was replaced' % (path, name, getattr(exc, 'strerror', None) or exc))

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
        if not self.diff:
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
        todo = []
        if not self.check_mode:
            todo = [item for item in items if item['action'] in ('create', 'replace') and item['given'] is None]
            for item in items:
                if item['action'] in ('create', 'replace') and item['given'] is not None:
                    item['pem'] = item['given']
        # The workers make the keys in order while each one made is written here (its file write and fsync overlap
        # the generation of the next ones).
        workers = self.params['workers'] or os.cpu_count() or 1
        pems = generate_many([(item['type'] or 'rsa', item['size']) for item in todo], workers)
        new = set(id(item) for item in todo)
        results = []
        for item in items:
            if id(item) in new:
                item['pem'] = next(pems)
            results.append(self.apply(item))
        next(pems, None)  # lets the pool shut down
        mismatched = [r for r in results if r.get('mismatch') and r.get('status') == 'kept']
        for r in mismatched[:10]:
            self.warnings.append('%s kept unchanged: %s; set force=true to replace it (a backup is kept)'
                                 % (r['path'], r['mismatch']))
        if len(mismatched) > 10:
            self.warnings.append('%d more keys differ from what was requested and were kept; see "mismatch" in the '
                                 'result' % (len(mismatched) - 10))
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
