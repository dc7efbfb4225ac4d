"""Behaviour of a host converged with mailauth.dkim.opendkim (see ../converge.yml and ../prepare.yml).

Mail is submitted inside the container (with sendmail, and over SMTP to port 25), delivered to the local mbox of
the user `rcpt`, fetched to the controller and verified there with dkimpy, an implementation independent of
OpenDKIM, against the TXT records of the zone snippet the role wrote (opendkim_zone_file).
"""
import email
import email.policy
import json
import os
import re
import subprocess
import sys
import time
import uuid

import dkim
import dns.rdata
import pytest

import testinfra
import testinfra.utils.ansible_runner
import yaml  # Molecule's own dependency

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


def test_opendkim_never_ran_with_the_package_defaults(host):
    """The first converge held the new package's own start back (deb_packages keep_stopped): in the journal the
    package's start was skipped before OpenDKIM ever started, and no hold is left behind."""
    lines = host.run_expect([0], "journalctl -u opendkim.service --no-pager -o cat").stdout.splitlines()
    # systemd 252 (Debian 12): "... was skipped because of an unmet condition check (ConditionPathExists=...)";
    # systemd 257 (Debian 13): "... skipped, unmet condition check ConditionPathExists=...".
    held = [n for n, line in enumerate(lines)
            if re.search(r"skipped.* unmet condition check \(?ConditionPathExists=/dev/null/held-by-mailauth", line)]
    started = [n for n, line in enumerate(lines) if line.startswith("OpenDKIM Filter v")]
    assert held and started and held[0] < started[0], "\n".join(lines)
    assert not host.file("/run/systemd/system/opendkim.service.d").exists


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


def run_converge(*args, play_vars=None):
    """Run converge.yml from the controller against the Molecule inventory, as a user would; return the result.

    ``play_vars`` replace variables of the converge play itself (a copy of it is run). A role variable that differs
    from host to host, such as opendkim_domains, belongs there: ``-e`` would give it to every host of the inventory,
    and the role's fleet check reads every host's opendkim_domains.
    """
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    playbook = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    if play_vars:
        with open(playbook, encoding="utf-8") as play:
            plays = yaml.safe_load(play)
        plays[0]["vars"].update(play_vars)
        playbook = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "converge-play-vars.yml")
        with open(playbook, "w", encoding="utf-8") as play:
            yaml.safe_dump(plays, play)
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], playbook] + list(args),
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
    # Looked at right away: testinfra runs all tests of one host before the next host's, and later fixtures
    # (the faults below) restart OpenDKIM on every host.
    after = {name: state_of(h) for name, h in hosts.items()}
    return result, before, after


def all_hosts():
    """Every host of the scenario as a testinfra host (for fixtures that change and restore all of them)."""
    return {name: testinfra.get_host("ansible://" + name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"],
                                     sudo=True)
            for name in testinfra_hosts}


def state_of(host):
    return {
        "conf": host.file("/etc/opendkim.conf").sha256sum,
        "pid": host.run_expect([0], "systemctl show -p MainPID --value opendkim.service").stdout.strip(),
        "milters": host.run_expect([0], "postconf -h smtpd_milters").stdout.strip(),
        # No backup copy or temporary file is left beside the files that were put back.
        "files": host.run_expect([0], "ls -A /etc /etc/opendkim").stdout.split(),
    }


def test_rejected_configuration_changes_nothing(host, broken_run):
    result, before, after = broken_run
    name = host.backend.get_hostname()
    assert result.returncode != 0, result.stdout
    assert 'unknown canonicalization algorithm \\"bogus\\"' in result.stdout or \
        'unknown canonicalization algorithm "bogus"' in result.stdout, result.stdout[-3000:]
    assert "OpenDKIM rejected the new configuration" in result.stdout
    # Same file, same process (not restarted), Postfix untouched, and mail still signed.
    assert after[name] == before[name]
    assert not host.file("/etc/opendkim.conf").contains("bogus")
    assert host.service("opendkim").is_running
    raw = send_and_fetch(host, "sendmail", "alice@example.org")
    assert email.message_from_bytes(raw).get_all("DKIM-Signature")


# Faults the role must survive without taking the mail server down (issue 9, item 5). Each fixture damages every
# host, runs converge.yml, looks, and puts everything back before the next test.
OPENDKIM_FILES = ("/etc/opendkim.conf", "/etc/opendkim/KeyTable", "/etc/opendkim/SigningTable")
DAMAGED_KEY = KEY_DIR + "/example.org.s2026.private"


def opendkim_state(host):
    return dict({f: host.file(f).sha256sum for f in OPENDKIM_FILES},
                pid=host.run_expect([0], "systemctl show -p MainPID --value opendkim.service").stdout.strip(),
                active=host.service("opendkim").is_running)


@pytest.fixture(scope="session")
def corrupt_key_run():
    """Truncate one key on every host, rerun with a change that would restart OpenDKIM, send mail, put the key back.

    The key is cut in half, as a full disk or an interrupted copy leaves it. The rerun also asks for a new
    opendkim.conf setting, so that a role that went on past the damaged key would rewrite the configuration and
    restart OpenDKIM.
    """
    hosts = all_hosts()
    saved, seen = {}, {}
    for name, h in hosts.items():
        saved[name] = h.file(DAMAGED_KEY).content
        seen[name] = {"before": opendkim_state(h)}
        h.run_expect([0], "truncate -s %s %s", str(len(saved[name]) // 2), DAMAGED_KEY)
    try:
        seen["run"] = run_converge("-e", json.dumps({"opendkim_extra_config": {"MinimumKeyBits": 1024}}))
        for name, h in hosts.items():
            seen[name].update(after=opendkim_state(h), conf=h.file("/etc/opendkim.conf").content_string,
                              signed=send_and_fetch(h, "smtp", "alice@example.com"))
    finally:
        for name, h in hosts.items():
            h.run_expect([0], "python3 -c 'import sys; open(sys.argv[1], \"wb\").write(bytes.fromhex(sys.argv[2]))' "
                              "%s %s", DAMAGED_KEY, saved[name].hex())
    for name, h in hosts.items():
        seen[name]["restored"] = send_and_fetch(h, "sendmail", "alice@example.org")
    return seen


def signatures_verify(raw, zone, domain):
    """The (d, s) of every DKIM signature of ``raw`` after checking that each verifies against ``zone``."""
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    found = []
    for index, signature in enumerate(parsed.get_all("DKIM-Signature") or []):
        tags = dict(t.strip().split("=", 1) for t in "".join(signature.split()).split(";") if "=" in t)
        assert dkim.DKIM(raw).verify(idx=index, dnsfunc=dnsfunc_for(zone)), "signature %d of %s" % (index, domain)
        found.append((tags["d"], tags["s"]))
    return sorted(found)


def test_corrupt_key_is_named_before_any_restart(host, zone_txt, corrupt_key_run):
    result = corrupt_key_run["run"]
    mine = corrupt_key_run[host.backend.get_hostname()]
    assert result.returncode != 0, result.stdout[-3000:]
    # Found by dkim_key, which reads every existing key before it writes anything, and named.
    assert "%s does not hold a readable PEM private key; it was left alone" % DAMAGED_KEY in result.stdout, \
        result.stdout[-3000:]
    # Nothing after the keys ran: same configuration files, same OpenDKIM process, still running.
    assert mine["after"] == mine["before"] and mine["after"]["active"]
    assert "MinimumKeyBits" not in mine["conf"]
    # The running OpenDKIM still signs (the domains whose keys are intact) and the signatures verify.
    assert signatures_verify(mine["signed"], zone_txt, "example.com") == [("example.com", "ed"), ("example.com", "mail")]
    # With the key put back, its domain is signed again.
    assert signatures_verify(mine["restored"], zone_txt, "example.org") == [("example.org", "s2026")]


def postfix_master(host):
    return host.run_expect([0], "cat /var/spool/postfix/pid/master.pid").stdout.strip()


def postfix_reloads(host):
    """How many times Postfix's master has logged a reload (journal and the maillog_file the fixture sets)."""
    out = host.run("journalctl -t postfix/master --no-pager -o cat; cat /var/log/mailauth-test-postfix.log").stdout
    return out.count("reload -- version")


@pytest.fixture(scope="session")
def postfix_check_run():
    """A main.cf that `postfix check` rejects, and a milter setting for the role to change; then put back.

    The mistake is a common one: maillog_file set without the postlog service in master.cf ("missing 'postlog'
    service"). Postfix keeps running, because nobody reloaded it; the role's change (milter_default_action, which
    the fixture sets to tempfail) must be undone and Postfix must not be reloaded. The unrelated milter of
    prepare.yml (nothing listens there) leaves smtpd_milters first, or tempfail would defer all mail over SMTP.
    """
    hosts = all_hosts()
    saved, seen = {}, {}
    for name, h in hosts.items():
        saved[name] = {f: h.file("/etc/postfix/" + f).content for f in ("main.cf", "master.cf")}
        ours = [m.strip() for m in h.run_expect([0], "postconf -h smtpd_milters").stdout.split(",")
                if m.strip() and m.strip() != "inet:localhost:8893"]
        h.run_expect([0], "postconf -e %s milter_default_action=tempfail maillog_file=/var/log/mailauth-test-postfix.log",
                     "smtpd_milters=" + ", ".join(ours))
        h.run_expect([0], "postconf -MX postlog/unix-dgram")
        seen[name] = {"check": h.run("postfix check").rc, "files": postfix_files(h), "master": postfix_master(h),
                      "reloads": postfix_reloads(h), "listing": h.run_expect([0], "ls -A /etc/postfix").stdout.split()}
    try:
        seen["run"] = run_converge()
        for name, h in hosts.items():
            seen[name].update(
                files_after=postfix_files(h), master_after=postfix_master(h), reloads_after=postfix_reloads(h),
                action=h.run_expect([0], "postconf -h milter_default_action").stdout.strip(),
                leftovers=sorted(set(h.run_expect([0], "ls -A /etc/postfix").stdout.split())
                                 - set(seen[name]["listing"])),
                running=h.run("postfix status").rc,
                smtp=send_and_fetch(h, "smtp", "alice@example.com"),
                sendmail=send_and_fetch(h, "sendmail", "alice@example.org"))
    finally:
        for name, h in hosts.items():
            for f, content in saved[name].items():
                h.run_expect([0], "python3 -c 'import sys; open(sys.argv[1], \"wb\").write(bytes.fromhex(sys.argv[2]))' "
                                  "%s %s", "/etc/postfix/" + f, content.hex())
            h.run_expect([0], "postfix reload")
    return seen


def test_postfix_configuration_rejected_by_postfix_check_is_restored(host, zone_txt, postfix_check_run):
    result = postfix_check_run["run"]
    mine = postfix_check_run[host.backend.get_hostname()]
    assert mine["check"] != 0  # the fault is real: postfix check rejects this configuration
    assert result.returncode != 0, result.stdout[-3000:]
    assert "Postfix rejected the changed configuration; main.cf put back and Postfix was not reloaded" in result.stdout, \
        result.stdout[-3000:]
    # The role's change (milter_default_action=accept) is undone: both files exactly as before the run.
    assert mine["files_after"] == mine["files"]
    assert mine["action"] == "tempfail"
    # Put back from memory: no backup copy or temporary file is left in /etc/postfix.
    assert mine["leftovers"] == []
    # Postfix was neither restarted nor reloaded, runs, and its mail is still signed.
    assert mine["master_after"] == mine["master"] and mine["reloads_after"] == mine["reloads"]
    assert mine["running"] == 0
    assert signatures_verify(mine["smtp"], zone_txt, "example.com") == [("example.com", "ed"), ("example.com", "mail")]
    assert signatures_verify(mine["sendmail"], zone_txt, "example.org") == [("example.org", "s2026")]


def milter_for(socket):
    """The Postfix address of an opendkim.conf socket, worked out here rather than by the role."""
    kind, rest = socket.split(":", 1)
    if kind == "local":
        return "unix:" + rest[len("/var/spool/postfix/"):]
    port, address = rest.split("@", 1)
    return "inet:[%s]:%s" % (address, port) if kind == "inet6" else "inet:%s:%s" % (address, port)


UNMANAGED_DOMAIN = {"domain": "unmanaged.example", "selector": "u1", "key_size": 1024}


def converge_vars():
    with open(os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), encoding="utf-8") as play:
        return yaml.safe_load(play)[0]["vars"]


@pytest.fixture(scope="session")
def unmanaged_run():
    """opendkim_manage_postfix: false, with the milters set by this test; run with -vvv --diff; then put back.

    Postfix gets only our milters, in the test's own words, and milter_default_action=tempfail (the role would
    write accept if it managed Postfix). The run adds a domain, so OpenDKIM gets a new key and restarts; Postfix
    must be left exactly as the test set it. A second run without the domain, with Postfix managed again, restores
    the converged state. Both runs are -vvv --diff, for the search for private keys in their output.
    """
    hosts = all_hosts()
    saved, seen = {}, {}
    domains = converge_vars()["opendkim_domains"] + [UNMANAGED_DOMAIN]
    for name, h in hosts.items():
        v = h.ansible.get_variables()
        sockets = (("opendkim_socket", "inet:8891@localhost"), ("opendkim_ed25519_socket", "inet:8892@localhost"))
        ours = ", ".join(milter_for(v.get(k, d)) for k, d in sockets)
        saved[name] = h.file("/etc/postfix/main.cf").content
        h.run_expect([0], "postconf -e 'smtpd_milters=%s' 'non_smtpd_milters=%s' milter_default_action=tempfail"
                     % (ours, ours))
        h.run_expect([0], "postfix reload")
        seen[name] = {"ours": ours, "main": h.file("/etc/postfix/main.cf").sha256sum, "reloads": postfix_reloads(h),
                      "pid": opendkim_state(h)["pid"]}
    try:
        seen["run"] = run_converge("-vvv", "--diff", "-e", json.dumps({"opendkim_manage_postfix": False}),
                                   play_vars={"opendkim_domains": domains})
        for name, h in hosts.items():
            seen[name].update(
                main_after=h.file("/etc/postfix/main.cf").sha256sum, reloads_after=postfix_reloads(h),
                pid_after=opendkim_state(h)["pid"],
                smtpd_milters=h.run_expect([0], "postconf -h smtpd_milters").stdout.strip(),
                zone=zone_records(h.backend.get_hostname()),
                unmanaged=send_and_fetch(h, "smtp", "bob@unmanaged.example"),
                dual=send_and_fetch(h, "sendmail", "alice@example.com"))
    finally:
        for name, h in hosts.items():
            h.run_expect([0], "python3 -c 'import sys; open(sys.argv[1], \"wb\").write(bytes.fromhex(sys.argv[2]))' "
                              "%s %s", "/etc/postfix/main.cf", saved[name].hex())
            h.run_expect([0], "postfix reload")
        seen["restore"] = run_converge("-vvv", "--diff")
    for name, h in hosts.items():
        seen[name]["keys"] = private_keys(h)
        h.run_expect([0], "rm -f %s/unmanaged.example.u1.private" % KEY_DIR)
    return seen


def zone_records(inventory_hostname):
    records = {}
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], inventory_hostname + ".zone")
    with open(path, encoding="utf-8") as zone:
        for line in zone:
            if line.strip() and not line.startswith(";") and line.split()[3] == "TXT":
                name, _ttl, rdclass, rdtype, rdata = line.split(None, 4)
                records[name.rstrip(".").lower()] = b"".join(dns.rdata.from_text(rdclass, rdtype, rdata).strings)
    return records


def private_keys(host):
    """The bytes of every private key file on the host."""
    names = host.run_expect([0], "find %s -name '*.private' -type f", KEY_DIR).stdout.split()
    return [host.file(name).content for name in names]


def test_unmanaged_postfix_is_left_alone_and_mail_is_signed(host, unmanaged_run):
    result = unmanaged_run["run"]
    mine = unmanaged_run[host.backend.get_hostname()]
    assert result.returncode == 0, result.stdout[-3000:]
    # Postfix exactly as the test set it: not one byte of main.cf changed, no reload.
    assert mine["main_after"] == mine["main"] and mine["reloads_after"] == mine["reloads"]
    assert mine["smtpd_milters"] == mine["ours"]
    # OpenDKIM took the new key by a reload (SIGUSR1), not a restart: same process, no moment without a milter;
    # and it signs the new domain through the test's milter settings.
    assert mine["pid_after"] == mine["pid"]
    reload_section = result.stdout.split("RUNNING HANDLER [mailauth.dkim.opendkim : Reload OpenDKIM services")[1]
    reload_section = reload_section.split("RUNNING HANDLER")[0]
    assert "changed: [%s]" % host.backend.get_hostname() in reload_section, reload_section[-2000:]
    assert "u1._domainkey.unmanaged.example" in mine["zone"]
    assert signatures_verify(mine["unmanaged"], mine["zone"], "unmanaged.example") == [("unmanaged.example", "u1")]
    # Both instances sign, on every socket kind this host uses (Debian 13: UNIX for RSA, inet6 on ::1 for Ed25519).
    assert signatures_verify(mine["dual"], mine["zone"], "example.com") == [("example.com", "ed"), ("example.com", "mail")]
    assert unmanaged_run["restore"].returncode == 0, unmanaged_run["restore"].stdout[-3000:]


def test_no_private_key_in_any_output(host, check_run, broken_run, corrupt_key_run, postfix_check_run, unmanaged_run):
    """Private keys never appear in -vvv output, --diff output, return values or failure messages.

    Every private key on the host (including the one the -vvv --diff run created) is searched for, as PEM lines,
    as base64 at every byte alignment and as hex of its secret numbers (tests/unit/keyleak.py), in the output of
    every run of this file.
    """
    sys.path.insert(0, os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "tests", "unit"))
    from keyleak import leaks, secret_strings  # pylint: disable=import-outside-toplevel

    pems = unmanaged_run[host.backend.get_hostname()]["keys"]
    assert len(pems) == 4, "expected the three keys of converge.yml and the new one"
    runs = {"check --diff": check_run, "rejected configuration": broken_run[0], "corrupt key": corrupt_key_run["run"],
            "postfix check": postfix_check_run["run"], "-vvv --diff, unmanaged": unmanaged_run["run"],
            "-vvv --diff, restore": unmanaged_run["restore"]}
    # It is verbose output (the default callback prints the PLAYBOOK banner only above -v) of a run that made a key.
    assert "PLAYBOOK: converge" in unmanaged_run["run"].stdout
    assert "Create the DKIM keys" in unmanaged_run["run"].stdout
    for what, run in runs.items():
        found = leaks(pems, run.stdout, run.stderr)
        assert not found, "%s: %d secret strings of the keys in the output, e.g. %r" % (what, len(found), found[:1])
    # The search has teeth: a key's PEM or base64 of its DER in the output would be found.
    assert leaks(pems[:1], pems[0].decode()) and secret_strings(pems[0])


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
