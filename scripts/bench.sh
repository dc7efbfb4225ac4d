#!/usr/bin/env bash
# make bench: what the role and dkim_key cost at scale (issue 10), measured in one run so machine noise cancels.
# Asserts nothing and is not part of `make test`; prints the figures, and keeps everything under .build/bench/.
#
#   1. the images: mailauth/managed-debian:12 (Debian 12, systemd, Postfix) on mailauth/molecule-debian:12
#   2. a fresh container for the keys (python3-cryptography and opendkim-tools from Debian's archive, not timed), the
#      machine's facts, and the first part of the CPU floor: one bare python3 process making FLOOR_KEYS / 3 (200)
#      RSA-2048 keys
#   3. one mailauth.dkim.dkim_key task making KEYS (200) new RSA-2048 keys there, then the same task again
#   4. the second part of the floor, in the same way
#   5. the role, SMALL domains (5): a fresh container, first converge, then RERUNS (3) reruns (changed=0 expected):
#      the report takes the fastest rerun, as timeit takes the best of its repeats (the rest is noise of the machine)
#   6. the role, LARGE domains (500) on that same host, as issue 10 measured it: the first converge with 500
#      domains makes LARGE - SMALL (495) new keys; then RERUNS reruns
#   7. the third part of the floor
#   8. the role, LARGE domains on another fresh container: one first converge that also installs the packages,
#      changes Postfix and starts OpenDKIM (what a new host costs; reported beside the goals)
#   9. KEYS keys with one process per core at once, which says whether the cores really add up
#  10. the usual Ansible loop of `opendkim-genkey -b 2048` over KEYS domains in the keys container
#  11. dkim_key in-process and on the controller: scripts/bench_keys.py (also `make bench-keys`), output in
#      .build/bench/bench-keys.txt
#  12. the report (scripts/bench/figures.py): table, goal ratios, the slowest tasks of the LARGE runs
#
# The floor: RSA key generation searches for random primes, so one key's time varies by about 65 % (the mean of 200
# keys by about 4.6 %), and this machine has been seen to get 10 to 14 % slower in the course of one bench. Each goal
# is measured against the two parts of the floor made right before and after what it measures (goal 3: parts 1
# and 2 around dkim_key; goal 2: parts 2 and 3 around the role's runs), so that a drift cancels; all three parts
# are printed.
#
# The role: default variables, opendkim_domains = [{domain: dN.example.net}, ...], applied as root through the
# community.docker.docker connection. Every ansible-playbook run is timed from outside (wall clock) and runs with
# the ansible.posix.profile_tasks callback; its output is in .build/bench/<run>.log.
#
# Usage: scripts/bench.sh   (make bench: the venv and the collection link first)
#   BENCH_SMALL=5 BENCH_LARGE=500 BENCH_KEYS=200 BENCH_RERUNS=3 BENCH_FLOOR_KEYS=600 change the sizes (three parts of the floor);
#   BENCH_KEEP=1 keeps the containers;
#   BENCH_ROLE_ONLY=1 runs only the role (converges and reruns, no floor and no ratios: for trying a change of the role).
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.build/bench
small=${BENCH_SMALL:-5}
large=${BENCH_LARGE:-500}
keys=${BENCH_KEYS:-200}
reruns=${BENCH_RERUNS:-3}
floor_keys=${BENCH_FLOOR_KEYS:-600}
image=mailauth/managed-debian:12
run_id=${MAILAUTH_RUN_ID:-$$}
containers=()
export PATH="$root/.venv/bin:/usr/bin:$PATH"
export ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all

# shellcheck source=lib/steps.sh source-path=SCRIPTDIR
source "$root/scripts/lib/steps.sh"

cleanup() {
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    [[ ${#containers[@]} -eq 0 ]] || echo "kept: ${containers[*]}"
  elif [[ ${#containers[@]} -gt 0 ]]; then
    "$DOCKER" rm -f "${containers[@]}" >/dev/null 2>&1 || true
  fi
}

# record NAME VALUE: one figure for the report
record() {
  echo "$1=$2" >>"$out/results.txt"
}

# start_container KIND: a fresh systemd container of $image named mailauth-bench-KIND-<run id>, running
start_container() {
  local name="mailauth-bench-$1-$run_id" state=""
  "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
  "$DOCKER" run -d --name "$name" --hostname "bench-$1" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro "$image" /lib/systemd/systemd >/dev/null
  containers+=("$name")
  for _ in $(seq 1 60); do
    state=$("$DOCKER" exec "$name" systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
    sleep 1
  done
  [[ $state == running || $state == degraded ]] || die "systemd in $name did not come up (state: '$state')"
  printf '%s\n' all: '  hosts:' "    $name:" '      ansible_connection: community.docker.docker' \
    "      ansible_host: $name" '      ansible_user: root' '      ansible_python_interpreter: /usr/bin/python3' \
    >"$out/inventory-$1.yml"
  echo "container $name ($image) up: systemd $state"
}

# play RUN KIND PLAYBOOK [ARGS...]: ansible-playbook against container KIND, timed from outside, output in RUN.log;
# records RUN.wall and RUN.changed
play() {
  local run=$1 kind=$2 t0 us rc=0 changed
  shift 2
  t0=${EPOCHREALTIME//[!0-9]/}
  ansible-playbook -i "$out/inventory-$kind.yml" "$@" >"$out/$run.log" 2>&1 || rc=$?
  us=$((${EPOCHREALTIME//[!0-9]/} - t0))
  if [[ $rc -ne 0 ]]; then
    tail -n 30 "$out/$run.log" >&2
    die "ansible-playbook ($run) failed with exit $rc; full output: ${out#"$root"/}/$run.log"
  fi
  changed=$(sed -n 's/^.* : ok=[0-9]* *changed=\([0-9]*\) .*$/\1/p' "$out/$run.log" | head -n 1)
  record "$run.wall" "$(printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000)))"
  record "$run.changed" "${changed:-?}"
  printf '%-26s %4d.%d s wall, changed=%s (%s)\n' "$run" $((us / 1000000)) $((us % 1000000 / 100000)) \
    "${changed:-?}" "${out#"$root"/}/$run.log"
}

# in_container KIND COMMAND: a shell command in container KIND
in_container() {
  "$DOCKER" exec -i "mailauth-bench-$1-$run_id" bash -euo pipefail -c "$2"
}

step_prepare() {
  rm -rf "$out"
  mkdir -p "$out"
  [[ -x $root/.venv/bin/ansible-playbook ]] || die "no .venv: run make bench (or make venv collection) first"
  [[ -e $root/.build/collections/ansible_collections/mailauth/dkim ]] || die "no collection link: run make collection"
  "$root/scripts/build-images.sh" 12
  record small "$small"
  record large "$large"
  record keys.count "$keys"
  record reruns "$reruns"
  record host.nproc "$(nproc)"
  record host.distribution "$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)"
  record host.cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  record controller.ansible_core "$(python -c 'from ansible.release import __version__ as v; print(v)')"
  record controller.ansible "$(python -c 'import importlib.metadata as m; print(m.version("ansible"))')"
  record checkout "$(git -C "$root" describe --always --dirty)"
  record controller.python "$(python -c 'import sys; print(sys.version.split()[0])')"
  cat >"$out/role.yml" <<'YAML'
---
- name: The role as users apply it (default variables, bench domains)
  hosts: all
  gather_facts: true
  roles:
    - role: mailauth.dkim.opendkim
YAML
}

# domains_file N: opendkim_domains with N bench domains, written once; prints its path
domains_file() {
  local n=$1 i file=$out/domains-$1.yml
  if [[ ! -e $file ]]; then
    {
      echo "opendkim_domains:"
      for ((i = 1; i <= n; i++)); do echo "  - {domain: d$i.example.net}"; done
    } >"$file"
  fi
  echo "$file"
}

# key_count KIND: how many private keys the role's key directory holds in container KIND (0 before it exists)
key_count() {
  in_container "$1" "if [ -d /etc/dkimkeys ]; then find /etc/dkimkeys -name '*.private' | wc -l; else echo 0; fi"
}

# converge_and_rerun KIND N: the role with N domains on container KIND: first converge (ROLE-N-converge, with the
# number of keys it made), then RERUNS idempotent reruns
converge_and_rerun() {
  local kind=$1 n=$2 i before domains
  domains=$(domains_file "$n")
  before=$(key_count "$kind")
  play "role-$n-converge" "$kind" "$out/role.yml" -e "@$domains"
  record "role-$n-converge.new_keys" "$(($(key_count "$kind") - before))"
  play "role-$n-rerun" "$kind" "$out/role.yml" -e "@$domains"
  for ((i = 2; i <= reruns; i++)); do
    play "role-$n-rerun-$i" "$kind" "$out/role.yml" -e "@$domains"
  done
}

# step_role_small: SMALL domains on a fresh container
step_role_small() {
  start_container "$small"
  converge_and_rerun "$small" "$small"
}

# step_role_large: LARGE domains on the host that has the SMALL ones (issue 10's first converge with 500 domains:
# 495 new keys; what else a first converge does, installing and starting, that host has done already)
step_role_large() {
  converge_and_rerun "$small" "$large"
}

# step_role_fresh: LARGE domains on a fresh container, one first converge (role-LARGE-fresh)
step_role_fresh() {
  local domains
  domains=$(domains_file "$large")
  start_container "$large"
  play "role-$large-fresh" "$large" "$out/role.yml" -e "@$domains"
  record "role-$large-fresh.new_keys" "$(key_count "$large")"
}

# floor_part N COUNT: COUNT RSA-2048 keys in one bare python3 process in the keys container (figures floorN.*)
floor_part() {
  echo "CPU floor, part $1: $2 RSA-2048 keys in one python3 process"
  in_container keys "python3 - floor $2 2048" <"$root/scripts/bench/figures.py" | sed "s/^floor\./floor$1./" \
    >>"$out/results.txt"
}

step_floor_first() {
  start_container keys
  echo "installing python3-cryptography and opendkim-tools (not timed)"
  in_container keys "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends python3-cryptography opendkim-tools >/dev/null"
  in_container keys "python3 - machine" <"$root/scripts/bench/figures.py" >>"$out/results.txt"
  record floor.parts "floor1 floor2 floor3"
  record floor1.when "before dkim_key"
  record floor2.when "between dkim_key and the role runs"
  record floor3.when "after the role runs on the ${small}-domain host"
  record goal3.floor "floor1 floor2"
  record goal2.floor "floor2 floor3"
  floor_part 1 $((floor_keys / 3))
}

step_floor_all() {
  echo "$keys keys with every core busy (one process per core; a diagnostic)"
  in_container keys "python3 - floor-all $keys 2048" <"$root/scripts/bench/figures.py" >>"$out/results.txt"
  grep -E '^(container|floor[0-9]*|floor_all)\.' "$out/results.txt"
}

step_dkim_key() {
  local i
  {
    echo "bench_keys:"
    for ((i = 1; i <= keys; i++)); do
      echo "  - {path: /root/bench-dkim-key/d$i.example.net.mail.private, domain: d$i.example.net, selector: mail," \
        "key_type: rsa, key_size: 2048}"
    done
  } >"$out/dkim-key-items.yml"
  cat >"$out/dkim-key.yml" <<'YAML'
---
- name: One mailauth.dkim.dkim_key task, list form
  hosts: all
  gather_facts: false
  tasks:
    - name: Create the key directory
      ansible.builtin.file:
        path: /root/bench-dkim-key
        state: directory
        mode: "0700"
    - name: "bench: one dkim_key task"
      mailauth.dkim.dkim_key:
        keys: "{{ bench_keys }}"
YAML
  play dkim-key keys "$out/dkim-key.yml" -e "@$out/dkim-key-items.yml"
  record dkim-key.files "$(in_container keys "find /root/bench-dkim-key -name '*.private' | wc -l")"
  play dkim-key-again keys "$out/dkim-key.yml" -e "@$out/dkim-key-items.yml"
}

step_genkey() {
  local i
  {
    echo "bench_domains:"
    for ((i = 1; i <= keys; i++)); do echo "  - d$i.example.net"; done
  } >"$out/genkey-items.yml"
  cat >"$out/genkey-loop.yml" <<'YAML'
---
- name: The usual way, an Ansible loop of opendkim-genkey
  hosts: all
  gather_facts: false
  tasks:
    - name: Create one directory per domain
      ansible.builtin.command:
        argv: "{{ ['mkdir', '-p'] + (bench_domains | map('regex_replace', '^', '/root/bench-genkey/') | list) }}"
      changed_when: true
    - name: "bench: opendkim-genkey loop"
      ansible.builtin.command:
        argv: [opendkim-genkey, -b, "2048", -d, "{{ item }}", -s, mail, -D, "/root/bench-genkey/{{ item }}"]
      loop: "{{ bench_domains }}"
      changed_when: true
YAML
  play genkey-loop keys "$out/genkey-loop.yml" -e "@$out/genkey-items.yml"
  record genkey-loop.files "$(in_container keys "find /root/bench-genkey -name 'mail.private' | wc -l")"
}

step_bench_keys() {
  # its playbooks print JSON for it to read: no profile_tasks there
  env -u ANSIBLE_CALLBACKS_ENABLED python "$root/scripts/bench_keys.py" | tee "$out/bench-keys.txt"
}

step_report() {
  (cd "$root" && python scripts/bench/figures.py report "${out#"$root"/}") >"$out/report.txt"
  echo "written: ${out#"$root"/}/report.txt"
}

role_only=${BENCH_ROLE_ONLY:-0}
if [[ $role_only == 1 ]]; then
  steps_begin bench 4
else
  steps_begin bench 12
fi
# steps_finish first: it reads the exit status
trap 'steps_finish; cleanup' EXIT
run_step "prepare, images" step_prepare
if [[ $role_only != 1 ]]; then
  run_step "keys: CPU floor, part 1" step_floor_first
  run_step "keys: dkim_key" step_dkim_key
  run_step "keys: CPU floor, part 2" floor_part 2 $((floor_keys / 3))
fi
run_step "role, $small domains" step_role_small
run_step "role, $large domains, same host" step_role_large
[[ $role_only == 1 ]] || run_step "keys: CPU floor, part 3" floor_part 3 $((floor_keys - 2 * (floor_keys / 3)))
run_step "role, $large domains, new host" step_role_fresh
if [[ $role_only == 1 ]]; then
  grep '^role-' "$out/results.txt"
  exit 0
fi
run_step "keys: every core busy" step_floor_all
run_step "keys: genkey loop" step_genkey
run_step "keys: in-process" step_bench_keys
run_step "report" step_report
# shellcheck disable=SC2034 # read by steps_done
steps_note="figures in ${out#"$root"/}/report.txt"
steps_done
echo
cat "$out/report.txt"
