#!/usr/bin/env bash
# The main job (`make demo`): bring up the mail lab (Molecule scenario `lab`: ns, mx, mail, mail2, client),
# configure both senders with playbooks/site.yml and the role mailauth.dkim.opendkim (keys shared by the two senders,
# OpenDKIM, Postfix, records published to ns by TSIG-signed dynamic update), send a test message from each sender to
# the receiver by MX lookup, and print what a scoring service would: the DNS records, the readiness report and the
# receiver's verdict for each message.
# The lab keeps running afterwards; the last lines say how to look inside and how to tear it down.
# Exit status: 0 when every record is published, the domain is ready and DKIM, SPF and DMARC pass for both messages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="$ROOT/.venv/bin:/usr/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg" ANSIBLE_FORCE_COLOR=0 NO_COLOR=1 PY_COLORS=0
LOGS=$ROOT/.build/demo
REPORT=$LOGS/report.json
mkdir -p "$LOGS"
T0=$(date +%s)

step() { printf '==> [%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

# Run a long command with its output in a log file, printing a progress line every 10 s with the Ansible task
# it is at. On failure the end of the log is shown.
run() {
  local name=$1 log=$LOGS/$1.log pid started last=""
  shift
  started=$(date +%s)
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (( ($(date +%s) - started) % 10 < 2 )); then
      last=$(grep -aoE '^(TASK|RUNNING HANDLER|PLAY) \[[^]]*\]' "$log" | tail -n1 || true)
      printf '      %4ss %s\n' "$(( $(date +%s) - started ))" "${last:-...}"
    fi
  done
  if ! wait "$pid"; then
    printf '!!! %s failed after %s s; last lines of %s:\n' "$name" "$(( $(date +%s) - started ))" "$log" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  printf '      done in %s s (log: %s)\n' "$(( $(date +%s) - started ))" "${log#"$ROOT"/}"
}

step "Checking the tools (virtual environment, collection link, Docker)"
[ -x "$ROOT/.venv/bin/molecule" ] || { echo "no virtual environment: run 'make venv' first" >&2; exit 1; }
mkdir -p .build/collections/ansible_collections/mailauth
[ -e .build/collections/ansible_collections/mailauth/dkim ] || ln -sfn "$ROOT" .build/collections/ansible_collections/mailauth/dkim
scripts/ensure-docker.sh

step "Base image mailauth/molecule-debian:12 (built once, about a minute without a registry)"
scripts/build-images.sh 12

step "Creating the lab (network mailauth-lab: 172.30.53.0/24, fd42:53::/64; containers lab-ns, lab-mx, lab-mail, lab-mail2, lab-client)"
printf "           then preparing ns (BIND 9, TSIG key), mx (Postfix, OpenDKIM, OpenDMARC, SPF policy service)\n"
printf "           and the senders' own Postfix (mail, mail2: submission on 587 with Dovecot SASL), before the role adds DKIM\n"
run create molecule create -s lab

step "Configuring both senders with playbooks/site.yml: shared DKIM keys, OpenDKIM, Postfix, records published to ns"
run converge molecule converge -s lab

step "Sending a test message from mail and from mail2 to inbox@lab.example, checking DNS (playbooks/lab/probe.yml)"
run probe ansible-playbook -i playbooks/lab/inventory playbooks/lab/probe.yml -e "lab_report=$REPORT"

step "Report ($(( $(date +%s) - T0 )) s in all)"
status=0
python3 - "$REPORT" <<'PYTHON' || status=$?
import json
import re
import sys

report = json.load(open(sys.argv[1]))
domain = report['domain']
ok_all = True


def short(value, width=68):
    """Shorten the key data (p=) of a DKIM record in the middle so the record fits on one line."""
    head, sep, key = value.partition('; p=')
    if not value.startswith('v=DKIM1') or not sep or len(value) <= width:
        return value
    keep = max(width - len(head) - len(sep) - 3, 16)
    return head + sep + key[:keep // 2] + '...' + key[-(keep - keep // 2):]


print()
print('=' * 78)
print(' mailauth lab: %s, sending from %s' % (domain, ', '.join(report['sending_ips'])))
print('=' * 78)

print('\nDNS records, as served by ns (%s)' % report['nameserver'])
for record in report['dns']['records']:
    published = record['status'] == 'published'
    ok_all &= published
    value = (record.get('served') or [record['value']])[0] if published else record['value']
    print('  [%s] %s %s' % ('ok' if published else record['status'].upper(), record['fqdn'], record['type']))
    print('         %s' % short(value))
    if not published:
        print('         served: %s' % record.get('served'))

for name, readiness in report['dns']['readiness'].items():
    ok_all &= readiness['ready']
    print('\nReadiness for bulk senders (%s): %s' % (name, 'READY' if readiness['ready'] else 'NOT READY'))
    for check in readiness['checks']:
        print('  [%s] %-5s %s' % ('ok' if check['ok'] else 'FAIL', check['check'].upper(), check['message']))

overall = {}
for message in report['messages']:
    print("\nReceiver's verdict (%s) for %s, from %s" % (message['authserv_id'], message['id'], message['sender']))
    received = message['headers']['Received'][0]
    hop = re.match(r'from (.*?\)) by (\S+)', received)
    print('  received: from %s by %s' % (hop.group(1), hop.group(2)) if hop else '  received: ' + received[:100])
    scores = {}
    for verdict in message['verdicts']:
        method, result, props = verdict['method'], verdict['result'], verdict['properties']
        if method not in ('dkim', 'spf', 'dmarc'):
            continue
        detail = ' '.join('%s=%s' % (k, v) for k, v in props.items()
                          if k in ('header.d', 'header.s', 'header.a', 'smtp.mailfrom', 'header.from'))
        if verdict['comment'] and method != 'spf':
            detail += ' (%s)' % verdict['comment']
        print('  %-6s %-5s %s' % (method.upper(), result.upper(), detail))
        scores.setdefault(method, []).append(result == 'pass')
    for method in ('dkim', 'spf', 'dmarc'):
        overall.setdefault(method, []).append(bool(scores.get(method)) and all(scores[method]))
passed = [m for m in ('dkim', 'spf', 'dmarc') if overall.get(m) and all(overall[m])]
ok_all &= len(passed) == 3 and len(report['messages']) > 0
print('\nScore: %s   DKIM %s, SPF %s, DMARC %s   (%d messages, one from each of %s)' % (
    'ALL PASS' if ok_all else 'NOT ALL PASS',
    *('pass' if m in passed else 'FAIL' for m in ('dkim', 'spf', 'dmarc')),
    len(report['messages']), ', '.join(m['sender'] for m in report['messages'])))
sys.exit(0 if ok_all else 3)
PYTHON
cat <<EOF

The lab keeps running. Look inside:
  docker exec -it lab-mx bash           (or: molecule login -s lab -h lab-mx)
  docker exec lab-mx ls /home/inbox/Maildir/new        the delivered messages
  docker exec lab-mail journalctl -u postfix@- -u opendkim -u opendkim-ed25519   (or lab-mail2)
  docker exec lab-mail2 sh -c 'sha256sum /etc/dkimkeys/lab.example.*'   the same key files as on lab-mail
  docker exec lab-mx dig rsa2026._domainkey.lab.example TXT   (mx resolves through ns)
  ${REPORT#"$ROOT"/}                      the whole report as JSON
Send another message and check again:  scripts/demo.sh  (it reuses the running lab)
Tear it down:  make demo-down   (= molecule destroy -s lab)
EOF
exit $status
