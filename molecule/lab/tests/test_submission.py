# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every submission path of mail is signed, and nobody else's mail is (issue 9, item 2).

`client` (playbooks/lab/inventory/group_vars/all.yml, lab_hosts.client) is a user's machine. From its IPv4
address it is nobody to mail: it must log in on port 587 (STARTTLS, Dovecot SASL) to send mail out, and then its
mail is signed; without login it cannot relay, and what it may send without login (mail for mail's own local
mailbox) is not signed even with a forged From: of the signing domain. Its IPv6 address is a trusted host
(opendkim_trusted_hosts and mynetworks): mail from there is relayed and signed without login.
"""

from __future__ import annotations

import json
import re
import textwrap
import time

import pytest

import lablib
from lablib import DOMAIN, HOSTS, RECIPIENT, SELECTORS

MAIL_V4, MAIL_V6 = HOSTS['mail']['ipv4'], HOSTS['mail']['ipv6']
LOCAL_RECIPIENT = '%s@%s' % (lablib.PLAN['lab_local_user'], HOSTS['mail']['name'])
LOCAL_MAILBOX = '/home/%s/Maildir/new' % lablib.PLAN['lab_local_user']

# Runs on client: one SMTP session, as the arguments say; prints what happened as JSON (never the password).
CLIENT = textwrap.dedent('''
    import json, os, smtplib, ssl, sys
    host, port, login, sender, rcpt, message = json.loads(sys.argv[1])
    out = {}
    try:
        smtp = smtplib.SMTP(host, port, timeout=30)
        out["source"] = smtp.sock.getsockname()[0]
        smtp.ehlo()
        if port == 587:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the lab's self-signed certificate
            smtp.starttls(context=context)
            smtp.ehlo()
            out["tls"] = True
        if login:
            out["login"] = smtp.login(login, os.environ["LAB_PASSWORD"])[0]
        out["mail"] = smtp.mail(sender)[0]
        out["rcpt"] = list(smtp.rcpt(rcpt))
        out["rcpt"][1] = out["rcpt"][1].decode()
        if out["rcpt"][0] == 250:
            out["data"] = smtp.data(message.encode())[0]
        smtp.quit()
    except smtplib.SMTPException as exc:
        out["error"] = repr(exc)
    print(json.dumps(out))
''')


def client_session(host, port, sender, rcpt, token, login=False, from_header=None):
    message_id = '<%s@client.%s>' % (token, DOMAIN)
    date = time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())
    message = ('From: <%s>\r\nTo: <%s>\r\nSubject: mailauth lab %s\r\nMessage-ID: %s\r\nDate: %s\r\n\r\n'
               'A message from the lab client.\r\n' % (from_header or sender, rcpt, token, message_id, date))
    env = {'LAB_PASSWORD': lablib.submission_password()} if login else None
    argument = json.dumps([host, port, lablib.SUBMISSION_USER if login else None, sender, rcpt, message])
    done = lablib.dexec('client', 'python3', '-c', CLIENT, argument, env=env)
    return json.loads(done.stdout), message_id


def token(name):
    return '%s.%d' % (name, time.time() * 1000)


def arrived_at_mx(message_id):
    found = lablib.wait_for_messages('Message-ID: %s' % message_id, 1, 60)
    assert len(found) == 1, 'expected %s once in the mailbox on mx, found %d' % (message_id, len(found))
    return next(iter(found.values()))


def assert_signed_and_passing(raw):
    """Both of mail's keys signed it, mx says dkim=pass for each and dmarc=pass, and dkimpy agrees."""
    assert sorted(s for d, s, a in lablib.signatures(raw) if d == DOMAIN) == sorted(SELECTORS)
    dkim_results = {v['properties'].get('header.s'): v['result'] for v in lablib.verdicts(raw, 'dkim')}
    assert dkim_results == dict((selector, 'pass') for selector in SELECTORS)
    assert [(v['result'], v['properties'].get('header.from')) for v in lablib.verdicts(raw, 'dmarc')] == [
        ('pass', DOMAIN)]
    assert lablib.DkimVerifier().verify_all(raw) == [(d, s, True) for d, s, a in lablib.signatures(raw)]


def test_authenticated_submission_on_587_is_signed_and_passes_dkim_and_dmarc():
    sender = 'user@%s' % DOMAIN
    out, message_id = client_session(MAIL_V4, 587, sender, RECIPIENT, token('submission'), login=True)
    assert out['source'] == HOSTS['client']['ipv4'] and out.get('tls') and out.get('login') == 235, out
    assert out['rcpt'][0] == 250 and out.get('data') == 250, out
    raw = arrived_at_mx(message_id)
    assert_signed_and_passing(raw)
    # It came from client's IPv4 address through mail's submission service, logged in.
    journal = lablib.dexec('mail', 'journalctl', '--no-pager', '-o', 'cat', '-t', 'postfix/submission/smtpd').stdout
    assert re.search(r'client=\S*\[%s\], sasl_method=PLAIN, sasl_username=%s$' % (
        re.escape(HOSTS['client']['ipv4']), re.escape(lablib.SUBMISSION_USER)), journal, re.M), journal[-2000:]


@pytest.mark.parametrize('port', [25, 587])
def test_the_client_cannot_relay_without_login(port):
    out = client_session(MAIL_V4, port, 'user@%s' % DOMAIN, RECIPIENT, token('relay%d' % port))[0]
    assert out['source'] == HOSTS['client']['ipv4'], out
    assert 500 <= out['rcpt'][0] < 600, out
    assert 'data' not in out


def test_a_wrong_password_is_refused():
    argument = json.dumps([MAIL_V4, 587, lablib.SUBMISSION_USER, 'user@%s' % DOMAIN, RECIPIENT, 'x'])
    done = lablib.dexec('client', 'python3', '-c', CLIENT, argument, env={'LAB_PASSWORD': 'not-the-password'})
    result = json.loads(done.stdout)
    assert 'SMTPAuthenticationError' in result.get('error', '') and 'rcpt' not in result, result


def test_no_signing_oracle_unauthenticated_mail_for_a_local_mailbox_is_delivered_unsigned():
    """Mail that anyone may send to mail (for its own local mailbox) with a forged From: of the signing domain
    is delivered there but not signed: otherwise anybody could have mail.lab.example sign anything."""
    message_token = token('forged')
    out, message_id = client_session(MAIL_V4, 25, 'ceo@%s' % DOMAIN, LOCAL_RECIPIENT, message_token)
    assert out['source'] == HOSTS['client']['ipv4'] and out['rcpt'][0] == 250 and out.get('data') == 250, out
    script = 'for i in $(seq 30); do f=$(grep -lF -e "$1" %s/* 2>/dev/null) && cat $f && exit 0; sleep 1; done; ' \
             'exit 1' % LOCAL_MAILBOX
    raw = lablib.dexec('mail', 'sh', '-c', script, 'sh', 'Message-ID: %s' % message_id).stdout.encode()
    message = lablib.parse(raw)
    assert message['From'] == '<ceo@%s>' % DOMAIN and message['Message-ID'] == message_id
    assert message.get_all('DKIM-Signature') is None, raw.decode()[:3000]


def test_a_trusted_host_is_signed_without_login():
    """The client's IPv6 address is in opendkim_trusted_hosts (and mynetworks): relayed and signed."""
    out, message_id = client_session(MAIL_V6, 25, 'printer@%s' % DOMAIN, RECIPIENT, token('trusted'))
    assert out['source'] == HOSTS['client']['ipv6'], out
    assert out['rcpt'][0] == 250 and out.get('data') == 250, out
    assert_signed_and_passing(arrived_at_mx(message_id))
