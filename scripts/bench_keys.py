#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measure mailauth.dkim.dkim_key's costs and print the numbers (nothing is asserted).

(a) N existing keys read back by the list form: in-process (load + public data + record per key) and
    end to end (one `ansible-playbook` task with `keys:` of N items, run twice: check mode and apply).
(b) Generation rates per key type/size, in-process, and one end-to-end list-form task creating keys.

Run from the checkout with the venv:  .venv/bin/python scripts/bench_keys.py [--existing 2000] [--no-playbook]
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def collection_path(tmp):
    base = os.path.join(tmp, 'collections')
    os.makedirs(os.path.join(base, 'ansible_collections', 'mailauth'))
    os.symlink(ROOT, os.path.join(base, 'ansible_collections', 'mailauth', 'dkim'))
    sys.path.insert(0, base)
    return base


def run_playbook(tmp, collections, items, check=False, workers=0):
    items_file = os.path.join(tmp, 'items.json')
    with open(items_file, 'w') as handle:
        json.dump({'bench_keys': items}, handle)
    playbook = os.path.join(tmp, 'bench.yml')
    with open(playbook, 'w') as handle:
        handle.write('- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n'
                     '    - mailauth.dkim.dkim_key:\n        keys: "{{ bench_keys }}"\n'
                     '        workers: %d\n' % workers)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH=collections,
               ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
           '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', '@' + items_file, playbook]
    if check:
        cmd.append('--check')
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit('ansible-playbook failed:\n%s\n%s' % (proc.stdout[-3000:], proc.stderr[-3000:]))
    result = json.loads(proc.stdout[proc.stdout.find('{'):])['plays'][0]['tasks'][0]['hosts']['localhost']
    return elapsed, result


def line(label, count, seconds):
    rate = count / seconds if seconds else float('inf')
    per_key = 1000.0 * seconds / max(count, 1)
    print('  %-52s %6d keys %9.3f s %10.1f keys/s %8.2f ms/key' % (label, count, seconds, rate, per_key))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--existing', type=int, default=2000, help='number of existing keys to read back')
    parser.add_argument('--create', type=int, default=100, help='keys (rsa 2048) created by one list-form task')
    parser.add_argument('--no-playbook', action='store_true', help='in-process numbers only')
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix='bench-keys-')
    try:
        collections = collection_path(tmp)
        from ansible_collections.mailauth.dkim.plugins.module_utils import _dkim_keys, _dns_format

        print('mailauth.dkim.dkim_key benchmark (python %s, %d CPUs)' % (sys.version.split()[0], os.cpu_count()))
        print('(b) generation, in-process:')
        for key_type, size, count in (('rsa', 1024, 20), ('rsa', 2048, 20), ('rsa', 4096, 3), ('ed25519', None, 500)):
            start = time.perf_counter()
            for dummy in range(count):
                _dkim_keys.private_key_to_pem(_dkim_keys.generate_private_key(key_type, size))
            line('%s %s' % (key_type, size or ''), count, time.perf_counter() - start)

        print('(a) reading back %d existing keys:' % args.existing)
        keydir = os.path.join(tmp, 'keys')
        os.mkdir(keydir)
        templates = [_dkim_keys.private_key_to_pem(_dkim_keys.generate_private_key('rsa', 2048)) for dummy in range(4)]
        templates.append(_dkim_keys.private_key_to_pem(_dkim_keys.generate_private_key('ed25519')))
        items = []
        for i in range(args.existing):
            path = os.path.join(keydir, 'd%05d.example.mail.private' % i)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, 'wb') as handle:
                handle.write(templates[i % len(templates)])
            items.append({'path': path, 'domain': 'd%05d.example' % i, 'selector': 'mail'})

        start = time.perf_counter()
        for item in items:
            with open(item['path'], 'rb') as handle:
                info = _dkim_keys.public_info(_dkim_keys.load_private_key(handle.read()))
            _dns_format.dkim_record(item['domain'], item['selector'], info['public_key'], info['type'])
        line('in-process: read + public key + record', len(items), time.perf_counter() - start)

        if not args.no_playbook:
            for check in (True, False):
                elapsed, result = run_playbook(tmp, collections, items, check=check)
                assert result['changed'] is False and len(result['key_results']) == len(items)
                line('ansible-playbook, one task, keys: [%d items]%s' % (len(items), ' --check' if check else ''),
                     len(items), elapsed)
            elapsed, dummy = run_playbook(tmp, collections, items[:1], check=True)
            line('ansible-playbook, one task, 1 item (fixed overhead)', 1, elapsed)

            for workers, label in ((1, 'workers: 1'), (0, 'workers: 0 = one per CPU')):
                newdir = os.path.join(tmp, 'new%d' % workers)
                os.mkdir(newdir)
                new = [{'path': os.path.join(newdir, 'n%05d.private' % i), 'domain': 'n%05d.example' % i,
                        'selector': 'mail'} for i in range(args.create)]
                elapsed, result = run_playbook(tmp, collections, new, workers=workers)
                assert result['changed'] is True
                line('ansible-playbook, creating rsa 2048, %s' % label, len(new), elapsed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
