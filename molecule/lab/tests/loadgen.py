# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's load generator (run inside a lab container by test_load.py with `python3 -c "$(cat loadgen.py)" ARGS`).

One submission path per process: `smtp` (SMTP, one connection per message), `submission` (port 587, STARTTLS and
SASL login with the password in $LAB_PASSWORD, one connection per message) or `sendmail` (/usr/sbin/sendmail).
Sends one message every INTERVAL seconds until it has sent MAX messages, or MAX_SECONDS have passed, or it has
sent at least MIN messages and STOP_FILE exists. Each message has a unique Message-ID and the headers X-Load-Run
and X-Load-Submitted (the time just before submission). Prints one JSON line per message: n, message_id,
submitted, seconds (how long the submission took), and ok or error (SMTP code and text, or sendmail's status).
Only the Python standard library; never prints the password.
"""

import json
import os
import smtplib
import ssl
import subprocess
import sys
import time

PATH, HOST, PORT, RUN, SENDER, RCPT, MIN, MAX, MAX_SECONDS, INTERVAL, STOP_FILE = sys.argv[1:12]
PORT, MIN, MAX = int(PORT), int(MIN), int(MAX)
MAX_SECONDS, INTERVAL = float(MAX_SECONDS), float(INTERVAL)
DOMAIN = SENDER.split('@', 1)[1]


def message(n, message_id, submitted):
    return ('From: <%s>\r\nTo: <%s>\r\nSubject: load %s %s %d\r\nDate: %s\r\nMessage-ID: %s\r\n'
            'X-Load-Run: %s\r\nX-Load-Submitted: %.6f\r\nMIME-Version: 1.0\r\n'
            'Content-Type: text/plain; charset=us-ascii\r\n\r\n'
            'Message %d of the %s path of load run %s.\r\n' % (
                SENDER, RCPT, RUN, PATH, n, time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(submitted)),
                message_id, RUN, submitted, n, PATH, RUN))


def send_smtp(text):
    smtp = smtplib.SMTP(HOST, PORT, timeout=60)
    try:
        smtp.ehlo()
        if PATH == 'submission':
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the lab's self-signed certificate
            smtp.starttls(context=context)
            smtp.ehlo()
            smtp.login(os.environ['LAB_PASSWORD_USER'], os.environ['LAB_PASSWORD'])
        smtp.sendmail(SENDER, [RCPT], text.encode())
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            smtp.close()


def send_sendmail(text):
    done = subprocess.run(['/usr/sbin/sendmail', '-oi', '-f', SENDER, RCPT], input=text.encode(),
                          capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError('sendmail exit %d: %s' % (done.returncode, done.stderr.decode()[-300:]))


def main():
    started = time.time()
    n = 0
    while n < MAX and time.time() - started < MAX_SECONDS and not (n >= MIN and os.path.exists(STOP_FILE)):
        n += 1
        message_id = '<load.%s.%s.%d@%s>' % (RUN, PATH, n, DOMAIN)
        submitted = time.time()
        record = {'n': n, 'message_id': message_id, 'submitted': submitted}
        try:
            (send_sendmail if PATH == 'sendmail' else send_smtp)(message(n, message_id, submitted))
            record['ok'] = True
        except smtplib.SMTPResponseException as exc:
            record['error'] = '%d %s' % (exc.smtp_code, exc.smtp_error.decode(errors='replace'))
        except (smtplib.SMTPException, OSError, RuntimeError, subprocess.SubprocessError) as exc:
            record['error'] = repr(exc)
        record['seconds'] = round(time.time() - submitted, 3)
        print(json.dumps(record), flush=True)
        time.sleep(max(0.0, INTERVAL - (time.time() - submitted)))


main()
