#!/usr/bin/env bash
# The ansible-core controller matrix: each core runs in a Debian 13 container (Python 3.13 from Debian's archive),
# as the unprivileged user `ansible` (no sudo), on a copy of this checkout.
#
#   scripts/controller.sh image CORE          build mailauth/controller:CORE (tests/controller/Containerfile)
#   scripts/controller.sh leg CORE            install from the built tarball (no warning), ansible-doc of every
#                                             module and of the role, ansible-test sanity, unit + functional tests
#   scripts/controller.sh molecule CORE [S]   `molecule test -s S` (default: default) with CORE as the controller
#   scripts/controller.sh site CORE           the collection installed from its tarball runs playbooks/site.yml and
#                                             an existing playbook (tags, serial, free, --limit) against Debian 12
#                                             mail servers over SSH with become (user deploy), then on another one
#                                             with connection: local (the ansible-pull pattern)
#   scripts/controller.sh freeze CORE         rewrite tests/controller/constraints-CORE.txt from the image
#   scripts/controller.sh shell CORE          an interactive shell in the controller
#
# CORE is 2.20 or 2.21 (tests/controller/requirements-CORE.txt). The image is built on the local
# mailauth/molecule-debian:13 (scripts/build-images.sh: pulled where a registry answers, debootstrapped otherwise);
# pip inside it trusts the host's CA bundle and uses the host's PIP_INDEX_URL if one is set.
# Molecule talks to the host's Docker daemon through its socket, so its containers are siblings of the controller.
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: $0 image|leg|molecule|freeze|shell CORE [scenario]}
core=${2:?CORE missing (2.20 or 2.21)}
[ -f "$root/tests/controller/requirements-$core.txt" ] \
  || { echo "unknown ansible-core '$core': no tests/controller/requirements-$core.txt" >&2; exit 2; }
image="mailauth/controller:$core"
# Container names carry this run's id, so that two runs on one Docker daemon do not meet.
run_id=${MAILAUTH_RUN_ID:-$$}
container="mailauth-controller-$core-$run_id"
site_targets=("mailauth-site-mail1-$run_id" "mailauth-site-mail2-$run_id")
pull_target="mailauth-site-local-$run_id"
coll='/home/ansible/ansible_collections/mailauth/dkim'

ca_bundle() {
  local f
  for f in "${PIP_CERT:-}" "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt; do
    [ -n "$f" ] && [ -s "$f" ] && { echo "$f"; return; }
  done
  python3 -c 'import ssl; print(ssl.get_default_verify_paths().openssl_cafile)'
}

build_image() {
  "$root/scripts/build-images.sh" 13 12
  local ctx
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  cp "$root"/tests/controller/{Containerfile,"requirements-$core.txt","constraints-$core.txt"} "$ctx/"
  cp "$(ca_bundle)" "$ctx/ca.crt"
  echo ">> building $image (ansible-core $core on Debian 13; cached layers are reused)"
  "$DOCKER" build -q -t "$image" --build-arg "CORE=$core" --build-arg "PIP_INDEX_URL=${PIP_INDEX_URL:-}" \
    -f "$ctx/Containerfile" "$ctx" >/dev/null
}

start() {
  # A fresh controller for each command; the checkout is mounted read-only and copied in, so nothing the
  # container does (tests/output, __pycache__, venvs) lands in the working tree.
  "$DOCKER" rm -f "$container" >/dev/null 2>&1 || true
  local sock=/var/run/docker.sock
  "$DOCKER" run -d --name "$container" --network host \
    -v "$root:/src:ro" -v "$sock:$sock" --group-add "$(stat -c %g "$sock")" \
    -v "mailauth-ansible-test-$core:/home/ansible/.ansible/test" \
    -e "PIP_INDEX_URL=${PIP_INDEX_URL:-}" \
    "$image" >/dev/null
  trap '"$DOCKER" rm -f "$container" >/dev/null 2>&1 || true' EXIT
  # ansible-test writes its venvs and caches into the named volume (kept between runs), which must be ansible's.
  "$DOCKER" exec -u root "$container" chown ansible: /home/ansible/.ansible /home/ansible/.ansible/test
  "$DOCKER" exec -u ansible "$container" bash -c "mkdir -p $coll && rsync -a --delete --exclude /.venv --exclude /.build --exclude /.git \
    --exclude /tests/output --exclude __pycache__ --exclude .pytest_cache --exclude '*.tar.gz' /src/ $coll/"
}

in_controller() {
  "$DOCKER" exec -u ansible -w "$coll" "$container" bash -euo pipefail -c "$1"
}

timed() {
  # timed WHERE NAME COMMAND...: run COMMAND, print NAME before it and its result and time after it.
  local where=$1 name=$2 t0 rc=0
  shift 2
  t0=$(date +%s)
  echo ">> [$where] $name"
  "$@" || rc=$?
  echo ">> [$where] $name: $([ $rc -eq 0 ] && echo ok || echo FAILED) in $(( $(date +%s) - t0 )) s"
  return $rc
}

step() {
  # step NAME COMMAND: run COMMAND in the controller, timed.
  timed "ansible-core $core" "$1" in_controller "$2"
}

mail_server() {
  # mail_server NAME HOSTNAME: start a Debian 12 mail server (mailauth/managed-debian:12) with systemd as PID 1.
  "$DOCKER" rm -f "$1" >/dev/null 2>&1 || true
  "$DOCKER" run -d --name "$1" --hostname "$2" --cap-add SYS_ADMIN \
    --security-opt seccomp=unconfined --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
    mailauth/managed-debian:12 >/dev/null
}

leg() {
  start
  step "version" "ansible --version | sed -n 1,2p; python3 --version"
  step "the collection installed from its tarball (no warning, no --force); ansible-doc of modules and role" \
    "scripts/install-check.sh"
  step "ansible-test sanity (tests/sanity/ignore-$core.txt)" \
    "test ! -s tests/sanity/ignore-$core.txt && scripts/ansible-test-sanity.sh $coll"
  step "unit and functional tests" "PYTHONPATH=/home/ansible pytest -q -p no:cacheprovider tests/unit tests/functional"
}

molecule_test() {
  local scenario=${1:-default}
  start
  step "molecule test -s $scenario" "
    mkdir -p .build/collections/ansible_collections/mailauth
    ln -sfn $coll .build/collections/ansible_collections/mailauth/dkim
    export ANSIBLE_CONFIG=$coll/ansible.cfg
    ansible --version | head -n 1
    molecule test -s $scenario"
}

# Run on a mail server as `deploy`: send a message to deploy's local mailbox and require an RSA and an Ed25519
# DKIM signature on it (example.test, selectors mail2026 and ed2026, or mail2026-<host> and ed2026-<host>).
# shellcheck disable=SC2016 # expanded on the mail server
signed_check='
printf "From: ops@example.test\nTo: deploy@localhost\nSubject: signed?\n\nhello\n" | /usr/sbin/sendmail -t -f ops@example.test
for i in $(seq 1 20); do grep -q "^DKIM-Signature" /var/mail/deploy 2>/dev/null && break; sleep 1; done
grep -Eo "(a=(rsa|ed25519)-sha256|s=(mail|ed)2026)" /var/mail/deploy | sort | uniq -c
test "$(grep -c "^DKIM-Signature:" /var/mail/deploy)" = 2 || { cat /var/mail/deploy; echo "expected two DKIM signatures" >&2; exit 1; }'

pull() {
  # The ansible-pull pattern (and image provisioning in CI): the mail server runs the role on itself with
  # `connection: local`, so "the controller" and the host are one machine. `deploy` installs ansible-core in a venv
  # (the host's pinned 2.19, the newest for Debian 12's Python 3.11) and the collection from the same tarball, then
  # runs mailauth.dkim.site with become: true through sudo. Same checks as over SSH.
  local target=$pull_target dist
  mail_server "$target" mail.example.test
  dist=$(mktemp -d)
  "$DOCKER" cp "$container:/home/ansible/dist/." "$dist/"
  "$DOCKER" exec "$target" mkdir -p /opt/dist
  "$DOCKER" cp "$dist/." "$target:/opt/dist/"
  rm -rf "$dist"
  "$DOCKER" cp "$(ca_bundle)" "$target:/etc/ssl/certs/ca-certificates.crt"
  "$DOCKER" cp "$root/constraints.txt" "$target:/opt/dist/constraints.txt"
  on_pull() {
    # on_pull NAME <<< SCRIPT: run SCRIPT on the mail server as deploy, timed.
    timed "connection: local on the mail server" "$1" \
      "$DOCKER" exec -i -u deploy -w /home/deploy -e PIP_INDEX_URL="${PIP_INDEX_URL:-}" "$target" bash -euo pipefail -s
  }
  on_pull "ansible-core and the collection from its tarball, in deploy's venv" <<'SNIPPET'
python3 -m venv ~/ansible
~/ansible/bin/pip install -q --cert /etc/ssl/certs/ca-certificates.crt -c /opt/dist/constraints.txt ansible-core dnspython cryptography
~/ansible/bin/ansible --version | sed -n 1p
~/ansible/bin/ansible-galaxy collection install /opt/dist/mailauth-dkim-*.tar.gz
mkdir -p ~/site
cat > ~/site/hosts.yml <<INVENTORY
mail_servers:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: /usr/bin/python3
  vars:
    opendkim_domains:
      - {domain: example.test, selector: mail2026}
      - {domain: example.test, selector: ed2026, key_type: ed25519}
    opendkim_zone_file: /home/deploy/site/example.test.zone
INVENTORY
SNIPPET
  local run='cd ~/site && ~/ansible/bin/ansible-playbook -i hosts.yml mailauth.dkim.site >run.log 2>&1 || { tail -40 run.log; exit 1; }
if grep -E "\[(WARNING|DEPRECATION WARNING)\]" run.log; then echo "the run printed a warning" >&2; exit 1; fi
grep -A2 "PLAY RECAP" run.log'
  on_pull "ansible-playbook -i hosts.yml mailauth.dkim.site (connection: local, become through sudo)" <<<"$run"
  on_pull "the same again: nothing changes" <<<"$run
grep -Eq 'changed=0 .*failed=0' run.log"
  on_pull "a message sent on the mail server is signed (RSA and Ed25519)" <<<"$signed_check
test -s ~/site/example.test.zone"
}

site() {
  # As users run it, from a fresh controller (ansible-core CORE, user `ansible`, no sudo): the collection installed
  # from its tarball, two Debian 12 mail servers reached over SSH as `deploy`, who becomes root with sudo.
  #  1. mailauth.dkim.site (become: true at play level) with --limit mail1: mail1 configured, mail2 untouched;
  #     again: nothing changes;
  #  2. an existing playbook (tests/controller/site/existing.yml: another role, import_role with serial: 1,
  #     include_role with strategy: free) with --tags opendkim: only the DKIM part runs, mail2 is configured,
  #     nothing changes on mail1; without tags: only the other role changes something;
  #  3. each server signs a message it sends with RSA and Ed25519; no run printed a warning;
  # then the ansible-pull pattern on a third server (pull).
  local ip1 ip2 t
  for t in "${site_targets[@]}"; do
    mail_server "$t" "$(echo "$t" | cut -d- -f3).example.test"
  done
  start
  trap '"$DOCKER" rm -f "$container" "${site_targets[@]}" "$pull_target" >/dev/null 2>&1 || true' EXIT
  ip1=$("$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${site_targets[0]}")
  ip2=$("$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${site_targets[1]}")
  in_controller "ssh-keygen -q -t ed25519 -N '' -f ~/.ssh/id_ed25519 <<<y >/dev/null"
  for t in "${site_targets[@]}"; do
    in_controller "cat ~/.ssh/id_ed25519.pub" | "$DOCKER" exec -i "$t" \
      sh -c 'cat > /home/deploy/.ssh/authorized_keys && chown deploy: /home/deploy/.ssh/authorized_keys'
  done
  step "wait for sshd on the mail servers ($ip1, $ip2)" "
    for ip in $ip1 $ip2; do
      for i in \$(seq 1 30); do
        ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new deploy@\$ip true 2>/dev/null && break
        [ \$i = 30 ] && exit 1; sleep 1
      done
    done"
  step "install the collection from its tarball" '
    ansible-galaxy collection build --output-path ~/dist . >/dev/null
    cd ~ && ansible-galaxy collection install ~/dist/mailauth-dkim-*.tar.gz'
  in_controller "mkdir -p ~/site && cp -r tests/controller/site/. ~/site/"
  "$DOCKER" exec -i -u ansible "$container" sh -c 'cat > ~/site/hosts.yml' <<INVENTORY
mail_servers:
  hosts:
    mail1:
      ansible_host: $ip1
    mail2:
      ansible_host: $ip2
  vars:
    ansible_user: deploy
    ansible_python_interpreter: /usr/bin/python3
    opendkim_domains:
      - {domain: example.test, selector: mail2026}
      - {domain: example.test, selector: ed2026, key_type: ed25519}
    opendkim_zone_file: "/home/ansible/site/{{ inventory_hostname }}.zone"
    # Two servers sign example.test: each with its own keys (mail2026-mail1, ed2026-mail2, ...).
    opendkim_fleet_keys: per_host
INVENTORY
  # run ARGS...: ansible-playbook in ~/site, no warning allowed; the log is run.log, the changed tasks changed.txt.
  # shellcheck disable=SC2016 # expanded in the controller
  local run='run() {
      ansible-playbook -i hosts.yml "$@" >run.log 2>&1 || { tail -40 run.log; exit 1; }
      if grep -E "\[(WARNING|DEPRECATION WARNING)\]" run.log; then echo "the run printed a warning" >&2; exit 1; fi
      sed -n "/PLAY RECAP/,\$p" run.log | grep -E "^mail"
      python3 changed_tasks.py run.log > changed.txt
    }
    cd ~/site'
  step "mailauth.dkim.site --limit mail1 (SSH, become at play level): mail1 configured, mail2 untouched" "$run
    run mailauth.dkim.site --limit mail1
    grep -Eq '^mail1 .*changed=[1-9].*failed=0' run.log
    ssh deploy@$ip2 '! dpkg -s opendkim >/dev/null 2>&1' || { echo 'mail2 was changed' >&2; exit 1; }"
  step "the same again: nothing changes" "$run
    run mailauth.dkim.site --limit mail1
    grep -Eq '^mail1 .*changed=0 .*failed=0' run.log"
  step "existing playbook, --tags opendkim (import_role + serial: 1, include_role + strategy: free)" "$run
    run existing.yml --tags opendkim
    grep -Eq '^mail2 .*changed=[1-9].*failed=0' run.log
    grep -Eq '^mail1 .*failed=0' run.log
    if grep -v '^mailauth.dkim.opendkim : ' changed.txt; then echo 'a task outside the DKIM role ran' >&2; exit 1; fi
    for ip in $ip1 $ip2; do ssh deploy@\$ip '! test -e /etc/motd || ! grep -q Managed /etc/motd'; done
    sed -n '/PLAY \[The same role/,\$p' run.log > free.log
    if grep -q '^changed: ' free.log; then echo 'the second play changed something' >&2; exit 1; fi"
  step "existing playbook without tags: only the other role changes anything" "$run
    run existing.yml
    diff <(echo 'motd : Write the message of the day') changed.txt"
  step "a message sent on each mail server is signed (RSA and Ed25519)" "
    for ip in $ip1 $ip2; do ssh deploy@\$ip bash -s <<'SNIPPET'
$signed_check
SNIPPET
    done
    grep -c _domainkey ~/site/mail1.zone ~/site/mail2.zone"
  # The same two servers switch to one shared key per selector (-e applies to both): nobody holds mail2026 or ed2026
  # yet, so mail1 (first in the play) makes them and mail2 copies them from mail1 over SSH with become; no key
  # material in the output; the rerun changes nothing; both sign with the shared selectors.
  step "opendkim_fleet_keys=shared: made on mail1, copied to mail2 host to host, never shown" "$run
    run mailauth.dkim.site -e opendkim_fleet_keys=shared
    grep -Eq '^mail2 .*changed=[1-9].*failed=0' run.log
    # A line of each private key (RSA: inside the private exponent; Ed25519: the whole key) must not be in the log.
    ssh deploy@$ip1 sudo sed -n 12p /etc/dkimkeys/example.test.mail2026.private > secrets.txt
    ssh deploy@$ip1 sudo sed -n 2p /etc/dkimkeys/example.test.ed2026.private >> secrets.txt
    test \$(grep -c . secrets.txt) = 2
    if grep -q 'PRIVATE KEY' run.log || grep -Fq -f secrets.txt run.log; then echo 'key material in the output' >&2; exit 1; fi
    for ip in $ip1 $ip2; do
      ssh deploy@\$ip sudo sha256sum /etc/dkimkeys/example.test.mail2026.private /etc/dkimkeys/example.test.ed2026.private
    done | awk '{print \$1}' | sort | uniq -c | tee sums.txt
    test \$(wc -l < sums.txt) = 2
    if grep -vq '^ *2 ' sums.txt; then echo 'the servers hold different keys' >&2; exit 1; fi
    run mailauth.dkim.site -e opendkim_fleet_keys=shared
    grep -Eq '^mail1 .*changed=0 .*failed=0' run.log
    grep -Eq '^mail2 .*changed=0 .*failed=0' run.log
    for ip in $ip1 $ip2; do ssh deploy@\$ip bash -s <<'SNIPPET'
: > /var/mail/deploy
$signed_check
grep -Eq 's=mail2026;' /var/mail/deploy
SNIPPET
    done"
  # Key rotation on the shared keys (docs/role.md "Key rotation"): each server adopts mail2026/ed2026 (they keep
  # signing) and pre-publishes the generation of the month given as opendkim_rotation_now; mail1 makes its keys and
  # mail2 copies them, so both hold the same new keys and state; nothing signs with them (no DNS serves them here);
  # the rerun at the same moment changes nothing.
  local rotate='run mailauth.dkim.site -e opendkim_fleet_keys=shared -e opendkim_rotation=true -e opendkim_rotation_now=2027-01-15T00:00:00Z'
  step "opendkim_rotation with shared keys: one new generation on both servers, the old keys keep signing" "$run
    $rotate
    grep -Eq '^mail1 .*changed=[1-9].*failed=0' run.log
    grep -Eq '^mail2 .*changed=[1-9].*failed=0' run.log
    grep -q 'example.test: signs with ed2026, mail2026; next: activate 202701 (once its records are served); this run: adopt ed2026, mail2026, pre-publish 202701' run.log
    for ip in $ip1 $ip2; do
      ssh deploy@\$ip sudo sha256sum /etc/dkimkeys/example.test.mail2026-202701.private /etc/dkimkeys/example.test.ed2026-202701.private
    done | awk '{print \$1}' | sort | uniq -c | tee sums.txt
    test \$(wc -l < sums.txt) = 2
    if grep -vq '^ *2 ' sums.txt; then echo 'the servers hold different keys' >&2; exit 1; fi
    for ip in $ip1 $ip2; do
      ssh deploy@\$ip sudo cat /etc/dkimkeys/example.test.rotation.json | python3 -c 'import json, sys; print(\" \".join(g[\"name\"] + \":\" + g[\"phase\"] for g in json.load(sys.stdin)[\"generations\"]))'
    done | sort | uniq -c | tee phases.txt
    grep -Eq '^ *2 adopted:active 202701:published$' phases.txt
    ssh deploy@$ip1 sudo cat /etc/opendkim/SigningTable | grep -q '^\\*@example.test mail2026._domainkey.example.test$'
    if ssh deploy@$ip1 sudo grep -q 202701 /etc/opendkim/SigningTable /etc/opendkim/KeyTable; then
      echo 'a table names the new generation before its records are served' >&2; exit 1
    fi
    $rotate
    grep -Eq '^mail1 .*changed=0 .*failed=0' run.log
    grep -Eq '^mail2 .*changed=0 .*failed=0' run.log"
  pull
}

case $cmd in
  image) build_image ;;
  leg) build_image; leg ;;
  site) build_image; site ;;
  molecule) build_image; molecule_test "${3:-default}" ;;
  freeze)
    build_image
    { echo "# Full resolved set for tests/controller/requirements-$core.txt (scripts/controller.sh freeze $core)."
      "$DOCKER" run --rm "$image" pip freeze --all | grep -v '^pip=='; } > "$root/tests/controller/constraints-$core.txt"
    echo ">> wrote tests/controller/constraints-$core.txt" ;;
  shell) build_image; start; "$DOCKER" exec -it -u ansible -w "$coll" "$container" bash ;;
  *) echo "unknown command '$cmd'" >&2; exit 2 ;;
esac
