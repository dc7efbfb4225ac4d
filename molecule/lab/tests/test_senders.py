# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two senders, one domain (issue 8, item 4): mail and mail2 both sign lab.example with keys they share
(opendkim_fleet_keys: shared). ns serves one record per selector and one SPF record that covers both senders; both
hold the same key files; and when a shared key is copied from one sender to the other, the converge's output never
shows it.

The verdicts of the receiver for a message from each sender are in test_lab.py (the probe sends from both).
"""

from __future__ import annotations

import ipaddress
import re

import dns.message
import dns.query
import dns.rdatatype
import pytest

import lablib
from lablib import DOMAIN, HOSTS, SELECTORS

SENDERS = lablib.PLAN['lab_senders']
KEY_DIR = lablib.SENDER['opendkim_key_dir']
KEY_FILES = ['%s/%s.%s.private' % (KEY_DIR, DOMAIN, selector) for selector in sorted(SELECTORS)]


INSTALL_TASK = 'TASK [mailauth.dkim.opendkim : Install the shared keys read from the other mail servers]'


def served_txt(name):
    answer = dns.query.udp(dns.message.make_query(name, dns.rdatatype.TXT), lablib.NS_IP, timeout=5)
    return [b''.join(rdata.strings).decode() for rrset in answer.answer for rdata in rrset]


def key_digests(role):
    """{key file: sha256} of lab.example's private keys on a sender (read there, only the digest leaves)."""
    out = lablib.dexec(role, 'sha256sum', *KEY_FILES).stdout
    return dict((path, digest) for digest, path in (line.split() for line in out.splitlines()))


def key_secret_lines(role):
    """{key file: lines of its PEM body that hold secret data} on a sender. An RSA key's first lines are mostly its
    modulus, which the public record carries too, so the middle lines are taken (private exponent and primes);
    an Ed25519 key is one line, the whole key. Never printed."""
    out = {}
    for path in KEY_FILES:
        body = [line for line in lablib.dexec(role, 'cat', path).stdout.splitlines() if line and '-----' not in line]
        middle = len(body) // 2
        out[path] = body[middle:middle + 3] if len(body) > 5 else body
        assert out[path] and all(len(line) >= 40 for line in out[path]), path
    return out


def test_ns_serves_one_record_per_shared_selector():
    for selector, key_type in SELECTORS.items():
        records = served_txt('%s._domainkey.%s' % (selector, DOMAIN))
        assert len(records) == 1, (selector, records)
        assert records[0].startswith('v=DKIM1; k=%s; p=' % key_type)


def test_ns_serves_exactly_one_spf_record_covering_both_senders():
    spf = [value for value in served_txt(DOMAIN) if value.lower().startswith('v=spf1')]
    assert len(spf) == 1, spf
    terms = spf[0].split()
    covered = [ipaddress.ip_network(term.split(':', 1)[1]) for term in terms if term.startswith(('ip4:', 'ip6:'))]
    for role in SENDERS:
        for family in ('ipv4', 'ipv6'):
            address = ipaddress.ip_address(HOSTS[role][family])
            assert any(address in network for network in covered), (role, address, spf[0])
    assert terms[-1] == '-all'


def test_both_senders_hold_the_same_key_files():
    digests = dict((role, key_digests(role)) for role in SENDERS)
    assert sorted(digests[SENDERS[0]]) == KEY_FILES
    for role in SENDERS[1:]:
        assert digests[role] == digests[SENDERS[0]], 'the senders hold different keys for %s' % DOMAIN
    # and OpenDKIM may read them, nobody else (it refuses keys that others can read).
    for role in SENDERS:
        modes = lablib.dexec(role, 'stat', '-c', '%a %U', *KEY_FILES).stdout.split('\n')
        assert [m for m in modes if m] == ['600 opendkim'] * len(KEY_FILES), (role, modes)


@pytest.fixture()
def key_moved_aside():
    """Move mail2's copy of the shared Ed25519 key aside (kept, not deleted), so the next converge copies it again
    from mail; put it back afterwards if the converge did not."""
    role = SENDERS[1]
    [selector] = [s for s, t in SELECTORS.items() if t == 'ed25519']
    path = '%s/%s.%s.private' % (KEY_DIR, DOMAIN, selector)
    aside = '/root/%s.aside' % path.rsplit('/', 1)[1]
    lablib.dexec(role, 'mv', path, aside)
    yield role, path
    lablib.dexec(role, 'sh', '-c', 'test -e "$1" || mv "$2" "$1"; rm -f "$2"', 'sh', path, aside)


def test_a_shared_key_copied_between_senders_never_appears_in_the_converge_output(key_moved_aside):
    role, path = key_moved_aside
    # --diff as Molecule's converge runs it, -v for the task results: the key must not show up in either.
    rc, output = lablib.converge('--diff', '-v')
    assert rc == 0, output[-4000:]
    # The key was really copied in this run: the task that installs copied keys changed mail2.
    blocks = [b for b in re.split(r'^(?=TASK \[|RUNNING HANDLER \[|PLAY )', output, flags=re.M) if b.startswith(INSTALL_TASK)]
    assert len(blocks) == 1, output[-4000:]
    assert re.search(r'^changed: \[%s\]' % re.escape(HOSTS[role]['inventory_hostname']), blocks[0], re.M), blocks[0]
    assert key_digests(role) == key_digests(SENDERS[0])
    assert 'PRIVATE KEY' not in output
    # Which key's secret lines appear (by file name only: a failure must not print the key either).
    public = ''.join(''.join(served_txt('%s._domainkey.%s' % (selector, DOMAIN))) for selector in SELECTORS)
    secrets = key_secret_lines(SENDERS[0])
    assert [path for path, lines in secrets.items() if any(line in public for line in lines)] == [], \
        'the lines taken as secret are in the public records: the check would be wrong'
    leaked = sorted(path for path, lines in secrets.items() if any(line in output for line in lines))
    assert leaked == [], 'lines of these private keys are in the converge output: %s' % leaked
