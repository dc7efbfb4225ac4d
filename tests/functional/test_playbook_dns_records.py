# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/dns_records.yml (`make records DOMAIN=...`) as a user runs it, with its output in a temp dir."""

from __future__ import absolute_import, division, print_function

import base64
import os
import stat
import subprocess
import sys

import dkim
import dns.zone
import pytest
from cryptography.hazmat.primitives import serialization


@pytest.fixture
def run(ansible_env, checkout_root):
    playbook_bin, base_env = ansible_env
    env = dict(base_env, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default')
    playbook = os.path.join(checkout_root, 'playbooks', 'dns_records.yml')

    def runner(tmp_path, *extra):
        return _run(playbook_bin, env, playbook, tmp_path, *extra)

    return runner


def _run(playbook_bin, env, playbook, tmp_path, *extra):
    cmd = [playbook_bin, playbook, '-e', 'ansible_python_interpreter=%s' % sys.executable,
           '-e', 'dkim_key_dir=%s/keys' % tmp_path, '-e', 'dkim_zone_dest=%s/dns/zone.txt' % tmp_path] + list(extra)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=600, cwd=str(tmp_path))


def test_records_playbook_generates_keys_and_prints_records(tmp_path, run):
    first = run(tmp_path, '-e', 'dkim_domain=example.com', '-e', 'dkim_ed25519_selector=ed')
    assert first.returncode == 0, first.stdout + first.stderr
    rsa_key = tmp_path / 'keys' / 'example.com.mail.private'
    ed_key = tmp_path / 'keys' / 'example.com.ed.private'
    assert stat.S_IMODE(os.stat(str(rsa_key)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(tmp_path / 'keys')).st_mode) == 0o700
    zone_text = (tmp_path / 'dns' / 'zone.txt').read_text()
    zone = dns.zone.from_text(zone_text, origin='.', relativize=False, check_origin=False)
    assert 'Publish these records in the DNS zone of example.com:' in first.stdout
    for line in zone_text.splitlines():
        if not line.startswith(';'):
            assert line.replace('"', '\\"') in first.stdout  # every zone line is printed
    spf = list(zone.find_rdataset('example.com.', 'TXT'))[0]
    assert spf.strings == (b'v=spf1 mx -all',)
    dmarc = list(zone.find_rdataset('_dmarc.example.com.', 'TXT'))[0]
    assert dmarc.strings == (b'v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com',)

    # The published record verifies a signature made with the generated key.
    def dnsfunc(name, timeout=5):
        node = zone.get_node(name.decode())
        return b''.join(list(node.get_rdataset(1, 16))[0].strings) if node else None

    message = b'From: a@example.com\r\nTo: b@example.net\r\nSubject: t\r\n\r\nbody\r\n'
    signed = dkim.sign(message, b'mail', b'example.com', rsa_key.read_bytes()) + message
    assert dkim.verify(signed, dnsfunc=dnsfunc)
    seed = serialization.load_pem_private_key(ed_key.read_bytes(), None).private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    signed = dkim.sign(message, b'ed', b'example.com', base64.b64encode(seed),
                       signature_algorithm=b'ed25519-sha256') + message
    assert dkim.verify(signed, dnsfunc=dnsfunc)

    keys_before = rsa_key.read_bytes(), ed_key.read_bytes()
    second = run(tmp_path, '-e', 'dkim_domain=example.com', '-e', 'dkim_ed25519_selector=ed')
    assert second.returncode == 0, second.stdout + second.stderr
    assert 'changed=0' in second.stdout
    assert (rsa_key.read_bytes(), ed_key.read_bytes()) == keys_before


def test_records_playbook_bad_domain_changes_nothing(tmp_path, run):
    bad = run(tmp_path, '-e', 'dkim_domain=exa_mple.com')
    assert bad.returncode != 0
    assert "domain 'exa_mple.com' has an invalid label 'exa_mple'" in bad.stdout + bad.stderr
    assert sorted(os.listdir(str(tmp_path))) == []


def test_records_playbook_needs_a_domain(tmp_path, run):
    missing = run(tmp_path)
    assert missing.returncode != 0
    assert 'Give the mail domain' in missing.stdout + missing.stderr
