"""Behaviour of a host converged with mailauth.dkim.opendkim (see ../converge.yml and ../prepare.yml).

Mail is submitted inside the container (with sendmail, and over SMTP to port 25), delivered to the local mbox of
the user `rcpt`, fetched to the controller and verified there with dkimpy, an implementation independent of
OpenDKIM, against the TXT records of the zone snippet the role wrote (opendkim_zone_file).
"""
import email
import email.policy
import json
import os
import subprocess
import time
import uuid

import dkim
import dns.rdata
import pytest

import testinfra
import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]
).get_hosts("all")

KEY_DIR = "/etc/dkimkeys"
MAILBOX = "/var/mail/rcpt"
# What converge.yml asks for: domain -> selectors and their algorithms.
SIGNED = {
    "example.com": {"mail": "rsa-sha256", "ed": "ed25519-sha256"},
    "example.org": {"s2026": "rsa-sha256"},
}
UNSIGNED_DOMAIN = "unlisted.example.net"


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def sockets(hostvars):
    return (
        hostvars.get("opendkim_socket", "inet:8891@localhost"),
        hostvars.get("opendkim_ed25519_socket", "inet:8892@localhost"),
    )


@pytest.fixture(scope="module")
def zone_txt(hostvars):
    """TXT records of the zone snippet the role wrote on the controller: {fqdn without dot: value}."""
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], hostvars["inventory_hostname"] + ".zone")
    records = {}
    with open(path, encoding="utf-8") as zone:
        for line in zone:
            if not line.strip() or line.startswith(";"):
                continue
            name, _ttl, rdclass, rdtype, rdata = line.split(None, 4)
            if rdtype != "TXT":
                continue
            txt = dns.rdata.from_text(rdclass, rdtype, rdata)
            records[name.rstrip(".").lower()] = b"".join(txt.strings)
    return records


def dnsfunc_for(records):
    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        return records.get(name.rstrip(".").lower())

    return dnsfunc


def socket_spec(socket):
    """opendkim.conf socket -> testinfra socket URL."""
    kind, rest = socket.split(":", 1)
    if kind == "local":
        return "unix://" + rest
    port, address = (rest.split("@", 1) + [""])[:2]
    if address in ("", "localhost"):
        address = "127.0.0.1"
    return "tcp://%s:%s" % (address, port)


def message(sender, message_id, subject):
    return (
        "From: Sender <%s>\r\nTo: rcpt@localhost\r\nSubject: %s\r\nMessage-ID: <%s>\r\n"
        "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\nA test message for %s.\r\n"
    ) % (sender, subject, message_id, sender)


SUBMIT = {
    # Local submission: goes through non_smtpd_milters.
    "sendmail": (
        "import subprocess, sys\n"
        "subprocess.run(['/usr/sbin/sendmail', '-i', '-f', sys.argv[1], 'rcpt@localhost'],"
        " input=sys.argv[2].encode(), check=True)\n"
    ),
    # SMTP from inside the container to port 25: goes through smtpd_milters.
    "smtp": (
        "import smtplib, sys\n"
        "with smtplib.SMTP('localhost', 25) as s:\n"
        "    s.sendmail(sys.argv[1], ['rcpt@localhost'], sys.argv[2].encode())\n"
    ),
}


def send_and_fetch(host, how, sender):
    """Submit a message, wait until it is in the mailbox and return it as bytes (headers as delivered)."""
    message_id = "%s@molecule.test" % uuid.uuid4()
    host.run_expect([0], "python3 -c %s %s %s", SUBMIT[how], sender, message(sender, message_id, how))
    deadline = time.time() + 45
    while time.time() < deadline:
        if host.file(MAILBOX).exists and host.file(MAILBOX).contains("Message-ID: <%s>" % message_id):
            break
        time.sleep(1)
    else:
        log = host.run("journalctl -u postfix -u opendkim -u opendkim-ed25519 --no-pager -n 30").stdout
        pytest.fail("message %s from %s (%s) was not delivered:\n%s" % (message_id, sender, how, log))
    # mbox: messages start with "From " lines; take the one with our Message-ID, drop the envelope line.
    mbox = host.file(MAILBOX).content
    for chunk in mbox.split(b"\nFrom ")[::-1]:
        if ("<%s>" % message_id).encode() in chunk:
            return chunk.split(b"\n", 1)[1]
    pytest.fail("message %s not found in %s" % (message_id, MAILBOX))


def test_services_enabled_and_running(host):
    for service in ("opendkim", "opendkim-ed25519", "postfix"):
        assert host.service(service).is_enabled, service
        assert host.service(service).is_running, service


def test_opendkim_listens_where_configured(host, sockets):
    for socket in sockets:
        assert host.socket(socket_spec(socket)).is_listening, socket
        if socket.startswith("local:"):
            # Postfix (group postfix, no other groups in its processes) must be able to connect.
            path = socket.split(":", 1)[1]
            assert host.file(path).is_socket
            assert host.file(path).group == "postfix"
            assert host.file(path).mode & 0o060 == 0o060
            assert host.file(os.path.dirname(path)).group == "postfix"


def test_socket_comes_from_the_configuration_not_etc_default(host, sockets):
    # The unit runs opendkim with the role's configuration file and no -p that could override its Socket.
    unit = host.run_expect([0], "systemctl show -p ExecStart opendkim.service").stdout
    assert "-x /etc/opendkim.conf" in unit and " -p " not in unit
    assert host.file("/etc/opendkim.conf").contains("^Socket  *%s$" % sockets[0])


def test_key_files_are_private(host):
    assert host.file(KEY_DIR).user == "opendkim"
    assert host.file(KEY_DIR).mode & 0o077 == 0
    for domain, selectors in SIGNED.items():
        for selector in selectors:
            key = host.file("%s/%s.%s.private" % (KEY_DIR, domain, selector))
            assert key.exists, key.path
            assert key.user == "opendkim", key.path
            assert key.mode & 0o077 == 0, "%s is mode %o" % (key.path, key.mode)


def test_existing_milter_and_settings_are_kept(host, sockets):
    smtpd = host.run_expect([0], "postconf -h smtpd_milters").stdout.strip()
    non_smtpd = host.run_expect([0], "postconf -h non_smtpd_milters").stdout.strip()
    entries = [e.strip() for e in smtpd.split(",")]
    assert entries[0] == "inet:localhost:8893", smtpd
    assert len(entries) == 3 and len(set(entries)) == 3, smtpd
    assert len([e.strip() for e in non_smtpd.split(",")]) == 2, non_smtpd
    assert host.run_expect([0], "postconf -h smtpd_banner").stdout.strip() == "$myhostname ESMTP prepared-by-molecule"
    assert host.run_expect([0], "postconf -h message_size_limit").stdout.strip() == "20480000"
    assert host.run_expect([0], "postconf -h milter_default_action").stdout.strip() == "accept"
    host.run_expect([0], "postfix check")


@pytest.mark.parametrize("how", ["sendmail", "smtp"])
@pytest.mark.parametrize("domain", sorted(SIGNED))
def test_mail_is_signed_and_verifies(host, zone_txt, how, domain):
    raw = send_and_fetch(host, how, "alice@" + domain)
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    signatures = parsed.get_all("DKIM-Signature") or []
    tags = [dict(t.strip().split("=", 1) for t in "".join(s.split()).split(";") if "=" in t) for s in signatures]
    # One signature per key of the domain, each for the right d= and s=, with the key's own algorithm.
    assert sorted((t["d"], t["s"], t["a"]) for t in tags) == sorted(
        (domain, selector, algorithm) for selector, algorithm in SIGNED[domain].items()
    ), signatures
    verifier = dkim.DKIM(raw)
    for index in range(len(signatures)):
        assert verifier.verify(idx=index, dnsfunc=dnsfunc_for(zone_txt)), "signature %d of %s does not verify" % (
            index,
            domain,
        )


def test_signature_does_not_verify_against_another_key(host, zone_txt):
    # The check above could pass with any record: swap example.com's RSA record for example.org's and it must fail.
    raw = send_and_fetch(host, "sendmail", "alice@example.com")
    wrong = dict(zone_txt)
    wrong["mail._domainkey.example.com"] = zone_txt["s2026._domainkey.example.org"].replace(b"t=y; ", b"")
    rsa_index = [i for i, s in enumerate(email.message_from_bytes(raw).get_all("DKIM-Signature")) if "rsa" in s][0]
    assert not dkim.DKIM(raw).verify(idx=rsa_index, dnsfunc=dnsfunc_for(wrong))


@pytest.mark.parametrize("how", ["sendmail", "smtp"])
def test_unlisted_domain_is_not_signed(host, how):
    raw = send_and_fetch(host, how, "carol@" + UNSIGNED_DOMAIN)
    assert email.message_from_bytes(raw).get_all("DKIM-Signature") is None


def run_converge(*args):
    """Run converge.yml from the controller against the Molecule inventory, as a user would; return the result."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")] + list(args),
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.fixture(scope="session")
def check_run():
    """converge.yml again in check mode with diff on the converged hosts."""
    return run_converge("--check", "--diff")


def test_check_mode_on_converged_host_reports_no_change(host, check_run):
    name = host.backend.get_hostname()
    assert check_run.returncode == 0, check_run.stdout[-3000:]
    recap = [line for line in check_run.stdout.splitlines() if line.startswith(name + " ") and "changed=" in line]
    assert recap and " changed=0 " in recap[-1], recap or check_run.stdout[-3000:]
    # --diff shows no key material.
    assert "PRIVATE KEY" not in check_run.stdout


@pytest.fixture(scope="session")
def broken_run():
    """Run converge.yml again on every host with a setting OpenDKIM rejects; return its output and the state before.

    A configuration that fails `opendkim -n` must not reach the disk nor the running service, and the run must
    fail with OpenDKIM's own message.
    """
    hosts = {name: testinfra.get_host("ansible://" + name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"],
                                      sudo=True)
             for name in testinfra_hosts}
    before = {name: state_of(h) for name, h in hosts.items()}
    result = run_converge(
        "-e", json.dumps({"opendkim_extra_config": {"Canonicalization": "bogus"}, "opendkim_print_records": False}))
    return result, before


def state_of(host):
    return {
        "conf": host.file("/etc/opendkim.conf").sha256sum,
        "pid": host.run_expect([0], "systemctl show -p MainPID --value opendkim.service").stdout.strip(),
        "milters": host.run_expect([0], "postconf -h smtpd_milters").stdout.strip(),
    }


def test_rejected_configuration_changes_nothing(host, broken_run):
    result, before = broken_run
    name = host.backend.get_hostname()
    assert result.returncode != 0, result.stdout
    assert 'unknown canonicalization algorithm \\"bogus\\"' in result.stdout or \
        'unknown canonicalization algorithm "bogus"' in result.stdout, result.stdout[-3000:]
    assert "OpenDKIM rejected the new configuration" in result.stdout
    # Same file, same process (not restarted), Postfix untouched, and mail still signed.
    assert state_of(host) == before[name]
    assert not host.file("/etc/opendkim.conf").contains("bogus")
    assert host.service("opendkim").is_running
    raw = send_and_fetch(host, "sendmail", "alice@example.org")
    assert email.message_from_bytes(raw).get_all("DKIM-Signature")


# The paths around the milter that master.cf can open (the usual "OpenDKIM does not sign" reports): a submission
# service with its own smtpd_milters, pickup (sendmail) with receive_override_options=no_milters, and
# milter_mail_macros without {auth_type}. Runs last: it changes master.cf, and puts it back at the end.
BYPASS_SETUP = [
    "postconf -M submission/inet='submission inet n - y - - smtpd'",
    "postconf -P submission/inet/smtpd_milters=inet:localhost:11332",
    "postconf -P pickup/unix/receive_override_options=no_milters",
    "postconf -e 'milter_mail_macros=i {mail_addr} {mail_host}'",
    "postfix reload",
]
BYPASS_MESSAGES = [
    "master.cf service submission/inet: smtpd_milters = inet:localhost:11332 overrides main.cf without",
    "master.cf service pickup/unix: receive_override_options = no_milters switches every milter off",
    "main.cf: milter_mail_macros = i {mail_addr} {mail_host} lacks {auth_type}",
]


def postfix_files(host):
    return {name: host.file("/etc/postfix/" + name).sha256sum for name in ("main.cf", "master.cf")}


@pytest.fixture(scope="session")
def bypass_runs():
    """Open the three bypasses on every host, converge with the default (fail), then with fix, and put master.cf
    and main.cf back before any other test runs; return what was seen on each host."""
    hosts = {name: testinfra.get_host("ansible://" + name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"],
                                      sudo=True)
             for name in testinfra_hosts}
    saved, seen = {}, {}
    for name, h in hosts.items():
        saved[name] = {f: h.file("/etc/postfix/" + f).content for f in ("main.cf", "master.cf")}
        for command in BYPASS_SETUP:
            h.run_expect([0], command)
        seen[name] = {"before": postfix_files(h), "unsigned": send_and_fetch(h, "sendmail", "alice@example.org")}
    try:
        seen["refused"] = run_converge()
        for name, h in hosts.items():
            seen[name]["after_refusal"] = postfix_files(h)
        seen["fixed"] = run_converge("-e", json.dumps({"opendkim_postfix_bypass": "fix"}))
        for name, h in hosts.items():
            seen[name].update(
                ours=h.run_expect([0], "postconf -h smtpd_milters").stdout.strip(),
                submission=h.run_expect([0], "postconf -Ph submission/inet/smtpd_milters").stdout.strip(),
                overrides=h.run_expect([0], "postconf -P").stdout,
                macros=h.run_expect([0], "postconf -h milter_mail_macros").stdout,
                signed=send_and_fetch(h, "sendmail", "alice@example.org"))
    finally:
        for name, h in hosts.items():
            for f, content in saved[name].items():
                h.run_expect([0], "python3 -c 'import sys; open(sys.argv[1], \"wb\").write(bytes.fromhex(sys.argv[2]))' "
                                  "%s %s", "/etc/postfix/" + f, content.hex())
            h.run_expect([0], "postfix reload")
    return seen


def test_bypass_is_real_then_refused_without_any_change(host, bypass_runs):
    mine = bypass_runs[host.backend.get_hostname()]
    # The bypass is real: sendmail's mail leaves unsigned while pickup has no_milters.
    assert not email.message_from_bytes(mine["unsigned"]).get_all("DKIM-Signature")
    refused = bypass_runs["refused"]
    assert refused.returncode != 0, refused.stdout[-3000:]
    for text in BYPASS_MESSAGES:
        assert text in refused.stdout, (text, refused.stdout[-3000:])
    assert "Nothing was changed" in refused.stdout
    assert mine["after_refusal"] == mine["before"]


def test_bypass_fix_adds_the_milter_and_mail_is_signed(host, bypass_runs):
    fixed = bypass_runs["fixed"]
    assert fixed.returncode == 0, fixed.stdout[-3000:]
    mine = bypass_runs[host.backend.get_hostname()]
    assert mine["submission"].startswith("inet:localhost:11332,")
    # main.cf's milters minus the one prepare.yml put there before the role: ours.
    ours = [m.strip() for m in mine["ours"].split(",") if m.strip() != "inet:localhost:8893"]
    assert ours and all(m in mine["submission"].split(",") for m in ours), (ours, mine["submission"])
    assert "no_milters" not in mine["overrides"]
    assert "{auth_type}" in mine["macros"]
    assert email.message_from_bytes(mine["signed"]).get_all("DKIM-Signature")
