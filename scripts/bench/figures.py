# -*- coding: utf-8 -*-
# Copyright: mailauth.dkim contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The figures of `make bench` (scripts/bench.sh): measured in the container, and the report made from them.

Standard library only (plus cryptography for `floor`), so the same file runs with the container's python3 and with
the controller's Python. Every subcommand prints `name=value` lines (bench.sh appends them to results.txt) except
`report`, which prints the report.

  python3 - machine < figures.py                   inside the container: cores, distribution, OpenSSL, cryptography
  python3 - floor COUNT [BITS] < figures.py        inside the container: one bare process making COUNT RSA keys
  python3 - floor-all COUNT [BITS] < figures.py    inside the container: one bare process per core, COUNT keys in all
                                                   (what the machine delivers with every core busy; a diagnostic)
  python3 figures.py report DIR                    on the controller: DIR/results.txt and the profile_tasks logs
                                                   -> the table, the goal ratios and the slowest tasks
"""

from __future__ import absolute_import, division, print_function

import os
import re
import sys
import time

# Task names of scripts/bench.sh's playbooks, found again in their profile_tasks summaries.
DKIM_KEY_TASK = 'bench: one dkim_key task'
GENKEY_TASK = 'bench: opendkim-genkey loop'
# profile_tasks' summary line: the task name, filled with dashes, then the seconds ("Name ------ 12.34s").
PROFILE_LINE = re.compile(r'^(?P<name>.*?) -*-? ?(?P<seconds>\d+\.\d+)s$')


def os_release(path='/etc/os-release'):
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith('PRETTY_NAME='):
                    return line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    return 'unknown'


def machine():
    """Facts of the machine the keys are made on, as this process sees it."""
    from cryptography import __version__ as cryptography_version
    from cryptography.hazmat.backends.openssl.backend import backend
    print('container.nproc=%d' % len(os.sched_getaffinity(0)))
    print('container.distribution=%s' % os_release())
    print('container.openssl=%s' % backend.openssl_version_text())
    print('container.cryptography=%s' % cryptography_version)
    print('container.python=%s' % sys.version.split()[0])


def floor(count, bits=2048):
    """The CPU floor: one process making COUNT RSA keys as dkim_key does (generate, then PEM), nothing else.

    dkim_key skips OpenSSL's consistency check of a key it has just made on cryptography < 39 (newer releases never
    run it on new keys), so the floor skips it too: a floor that paid for the check would credit dkim_key with work
    neither does. What the check would cost is measured beside it (floor.check_seconds), for comparison with runs
    before dkim_key skipped it.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
    except ImportError:
        backend = None
    checks = backend is not None and getattr(backend, '_rsa_skip_check_key', None) is False
    if checks:
        backend._rsa_skip_check_key = True
    keys = []
    start = time.perf_counter()
    for dummy in range(count):
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
        keys.append(key)
    seconds = time.perf_counter() - start
    check_seconds = 0.0
    if checks:
        start = time.perf_counter()
        for key in keys:
            if backend._lib.RSA_check_key(key._rsa_cdata) != 1:
                raise SystemExit('OpenSSL refused a key it had just generated')
        check_seconds = time.perf_counter() - start
    print('floor.keys=%d' % count)
    print('floor.bits=%d' % bits)
    print('floor.seconds=%.3f' % seconds)
    print('floor.check_seconds=%.3f' % check_seconds)


def _make_keys(count, bits):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
    except ImportError:
        backend = None
    if backend is not None and getattr(backend, '_rsa_skip_check_key', None) is False:
        backend._rsa_skip_check_key = True
    for dummy in range(count):
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())


def floor_all(count, bits=2048):
    """COUNT keys made as in floor(), split over one process per core, timed from the first start to the last end.

    The issue's floor is the single-process time divided by the cores, which assumes that two busy cores make keys
    twice as fast as one. On a virtual machine (shared caches, SMT siblings, steal time) they may not: this says
    what the machine delivers with every core busy, for reading goals 2 and 3; the goals keep the issue's formula.
    """
    import multiprocessing
    workers = os.cpu_count() or 1
    shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
    start = time.perf_counter()
    processes = [multiprocessing.Process(target=_make_keys, args=(share, bits)) for share in shares if share]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit('a key process failed (exit %s)' % process.exitcode)
    print('floor_all.keys=%d' % count)
    print('floor_all.workers=%d' % len(processes))
    print('floor_all.seconds=%.3f' % (time.perf_counter() - start))


def read_results(path):
    results = {}
    with open(path) as handle:
        for line in handle:
            if '=' in line:
                name, value = line.rstrip('\n').split('=', 1)
                results[name] = value
    return results


def profile(path):
    """The tasks of a profile_tasks summary in a log, slowest first: [(seconds, name)]."""
    tasks = []
    in_summary = False
    with open(path) as handle:
        for line in handle:
            line = line.rstrip('\n')
            if line.startswith('TASKS RECAP'):
                in_summary = True
                continue
            if not in_summary:
                continue
            match = PROFILE_LINE.match(line)
            if match:
                tasks.append((float(match.group('seconds')), match.group('name').strip()))
    return sorted(tasks, reverse=True)


def task_seconds(path, name):
    for seconds, task in profile(path):
        if task == name or task.endswith(' : ' + name):
            return seconds
    raise SystemExit('task %r not found in the profile of %s' % (name, path))


def verdict(value, goal, at_most=True):
    met = value <= goal if at_most else value >= goal
    return '(goal %s %s: %s)' % ('<=' if at_most else '>=', goal, 'met' if met else 'NOT met')


def best_rerun(num, size):
    """(seconds, run name, [seconds of every rerun]) of the fastest idempotent rerun with ``size`` domains: like
    timeit's best of its repeats, the rest is what else the machine was doing (every rerun does the same work).
    bench.sh records how many reruns it made (one before BENCH_RERUNS)."""
    runs = ['role-%s-rerun' % size] + ['role-%s-rerun-%d' % (size, i) for i in range(2, int(num.get('reruns', 1)) + 1)]
    walls = [(num[run + '.wall'], run) for run in runs]
    best = min(walls)
    return best[0], best[1], [wall for wall, run in walls]


# The two halves of the floor in runs at bda41fa to a889dfd, which did not record where each was made.
SPLIT_FLOOR_WHEN = {'floor1': 'before the role runs', 'floor2': 'after the role runs'}


def floor_figures(num, r, names=None):
    """The floor from the parts NAMES (default: every part of the run, as bench.sh lists them in floor.parts; a run
    from before the floor was split has the single part `floor`): {keys, seconds, per_key, check_seconds, bits,
    parts: [(when, keys, seconds)]}."""
    if names is None:
        names = r.get('floor.parts', '').split() or [
            name for name in ('floor1', 'floor2') if name + '.seconds' in num] or ['floor']
    return {
        'keys': sum(int(num[name + '.keys']) for name in names),
        'seconds': sum(num[name + '.seconds'] for name in names),
        'per_key': sum(num[name + '.seconds'] for name in names) / sum(num[name + '.keys'] for name in names),
        'check_seconds': sum(num.get(name + '.check_seconds', 0.0) for name in names),
        'bits': int(num[names[0] + '.bits']),
        'parts': [(r.get(name + '.when', SPLIT_FLOOR_WHEN.get(name, '')), int(num[name + '.keys']),
                   num[name + '.seconds']) for name in names],
    }


def goal_floor(num, r, goal):
    """The floor goal GOAL is measured against: the parts made right before and after what it measures (bench.sh
    records them as goalN.floor), so that the machine's drift during the bench cancels; else the whole floor."""
    names = r.get('goal%d.floor' % goal)
    return floor_figures(num, r, names.split() if names else None)


def report(directory):
    r = read_results(os.path.join(directory, 'results.txt'))
    small, large = r['small'], r['large']
    num = dict((name, float(value)) for name, value in r.items() if re.match(r'^-?\d+(\.\d+)?$', value))
    cores = int(num['container.nproc'])
    floor_parts = floor_figures(num, r)
    per_key = floor_parts['per_key']
    floor2, floor3 = goal_floor(num, r, 2), goal_floor(num, r, 3)
    keys = int(num['keys.count'])
    dkim_key = task_seconds(os.path.join(directory, 'dkim-key.log'), DKIM_KEY_TASK)
    genkey = task_seconds(os.path.join(directory, 'genkey-loop.log'), GENKEY_TASK)
    c_small, c_large = num['role-%s-converge.wall' % small], num['role-%s-converge.wall' % large]
    (r_small, run_small, all_small), (r_large, run_large, all_large) = best_rerun(num, small), best_rerun(num, large)
    new_keys = int(num['role-%s-converge.new_keys' % large])

    goal1 = r_large / r_small
    floor_large = floor2['per_key'] * new_keys / cores
    goal2 = (c_large - r_small) / floor_large
    floor_keys = floor3['per_key'] * keys / cores
    goal3 = dkim_key / floor_keys
    loop_ratio = genkey / dkim_key

    out = []
    out.append('make bench: mailauth.dkim.opendkim with default variables, applied as root through '
               'community.docker.docker to %s systemd containers with Postfix (%s domains on a fresh one, then %s '
               'on the same one)' % (r['container.distribution'], small, large))
    out.append('machine: %d cores (nproc in the container; the host has %s CPUs, %s); container %s, '
               'python3-cryptography %s, Python %s; controller ansible-core %s (ansible %s), Python %s'
               % (cores, r['host.nproc'], r['host.distribution'], r['container.openssl'],
                  r['container.cryptography'], r['container.python'], r['controller.ansible_core'],
                  r['controller.ansible'], r['controller.python']))
    out.append('cpu: %s; checkout %s' % (r['host.cpu'], r['checkout']))
    out.append('')
    out.append('| run | %s domains | %s domains |' % (small, large))
    out.append('| --- | --- | --- |')
    out.append('| first converge | %.1f s (%s new keys, changed=%s) | %.1f s (%s new keys, changed=%s) |'
               % (c_small, r['role-%s-converge.new_keys' % small], r['role-%s-converge.changed' % small],
                  c_large, new_keys, r['role-%s-converge.changed' % large]))
    fresh = 'role-%s-fresh' % large
    if fresh + '.wall' in num:
        out.append('| first converge on a new host (installs, changes Postfix, starts OpenDKIM) | | %.1f s (%s new keys, '
                   'changed=%s) |' % (num[fresh + '.wall'], r[fresh + '.new_keys'], r[fresh + '.changed']))
    out.append('| idempotent rerun, the fastest of %d | %.1f s (changed=%s; all: %s) | %.1f s (changed=%s; all: %s) |'
               % (len(all_small), r_small, r['%s.changed' % run_small], ', '.join('%.1f' % w for w in all_small),
                  r_large, r['%s.changed' % run_large], ', '.join('%.1f' % w for w in all_large)))
    out.append('')
    out.append('CPU floor: one python3 process in the container made %d RSA-%d keys in %.1f s = %.0f ms/key; cores = %d'
               % (floor_parts['keys'], floor_parts['bits'], floor_parts['seconds'], 1000 * per_key, cores))
    if len(floor_parts['parts']) > 1:
        out.append('  (%s)' % '; '.join('%d keys %s: %.0f ms/key' % (keys_, when, 1000 * seconds / keys_)
                                        for when, keys_, seconds in floor_parts['parts']))
        for goal, part in ((2, floor2), (3, floor3)) if 'goal2.floor' in r else ():
            out.append('  goal %d against the %d keys made right before and after what it measures: %.0f ms/key'
                       % (goal, part['keys'], 1000 * part['per_key']))
    check_per_key = floor_parts['check_seconds'] / floor_parts['keys']
    if check_per_key:
        out.append('  (without OpenSSL\'s check of each new key, as dkim_key makes them; the check, which cryptography < 39 '
                   'runs by default, would add %.0f ms/key: %.0f ms/key)' % (1000 * check_per_key,
                                                                             1000 * (per_key + check_per_key)))
    out.append('%d new RSA-2048 keys: one dkim_key task %.1f s (playbook %.1f s wall); the same task again, all present: '
               '%.1f s (changed=%s); the usual opendkim-genkey loop %.1f s (playbook %.1f s wall)'
               % (keys, dkim_key, num['dkim-key.wall'], task_seconds(os.path.join(directory, 'dkim-key-again.log'),
                                                                     DKIM_KEY_TASK),
                  r['dkim-key-again.changed'], genkey, num['genkey-loop.wall']))
    out.append('')
    out.append('goal 1  rerun(%s) / rerun(%s) = %.1f / %.1f = %.2f  %s'
               % (large, small, r_large, r_small, goal1, verdict(goal1, 1.3)))
    out.append('goal 2  (converge(%s) - rerun(%s)) / (floor x new keys / cores) = (%.1f - %.1f) / (%.0f ms x %d / %d)'
               ' = %.1f / %.1f = %.2f  %s' % (large, small, c_large, r_small, 1000 * floor2['per_key'], new_keys,
                                              cores, c_large - r_small, floor_large, goal2, verdict(goal2, 1.2)))
    out.append('goal 3  dkim_key(%d new keys) / (floor x %d / cores) = %.1f / %.1f = %.2f  %s'
               % (keys, keys, dkim_key, floor_keys, goal3, verdict(goal3, 1.15)))
    if fresh + '.wall' in num:
        # The protocol of make bench before 2026-11-30: the LARGE converge on a fresh host, so the first-run work that
        # does not grow with the keys (installing the packages, changing Postfix, starting OpenDKIM) counts as key cost.
        fresh_keys = int(num[fresh + '.new_keys'])
        out.append('        on a new host: (converge(%s, new host) - rerun(%s)) / (floor x %d / cores) = (%.1f - %.1f) / %.1f'
                   ' = %.2f (not the goal: it also counts installing, changing Postfix and starting OpenDKIM)'
                   % (large, small, fresh_keys, num[fresh + '.wall'], r_small, per_key * fresh_keys / cores,
                      (num[fresh + '.wall'] - r_small) / (per_key * fresh_keys / cores)))
    if check_per_key:
        out.append('        against the floor with the check (as measured before dkim_key skipped it): goal 2 %.2f, goal 3 %.2f'
                   % ((c_large - r_small) / ((floor2['per_key'] + check_per_key) * new_keys / cores),
                      dkim_key / ((floor3['per_key'] + check_per_key) * keys / cores)))
    if 'floor_all.seconds' in num:
        # Wall time per key with every core busy: what floor x keys / cores assumes, measured.
        all_per_key = num['floor_all.seconds'] / num['floor_all.keys']
        out.append('        with every core busy (%d processes at once, %d keys in %.1f s = %.0f ms/key of wall time, '
                   '%.2fx the floor / cores): goal 2 %.2f, goal 3 %.2f (a diagnostic, not the goals\' formula)'
                   % (num['floor_all.workers'], num['floor_all.keys'], num['floor_all.seconds'], 1000 * all_per_key,
                      all_per_key / (per_key / cores), (c_large - r_small) / (all_per_key * new_keys),
                      dkim_key / (all_per_key * keys)))
    out.append('        opendkim-genkey loop(%d) / dkim_key(%d) = %.1f / %.1f = %.1f  %s'
               % (keys, keys, genkey, dkim_key, loop_ratio, verdict(loop_ratio, 7, at_most=False)))
    out.append('        (dkim_key and the loop: the task\'s own time from profile_tasks; the role runs: '
               'ansible-playbook wall clock)')
    slowest = [('%s-domain rerun' % large, '%s.log' % run_large),
               ('%s-domain converge' % large, 'role-%s-converge.log' % large)]
    if fresh + '.wall' in num:
        slowest.append(('%s-domain converge on a new host' % large, fresh + '.log'))
    for label, log in slowest:
        out.append('')
        out.append('slowest tasks, %s (profile_tasks in %s):' % (label, log))
        for seconds, name in profile(os.path.join(directory, log))[:5]:
            out.append('  %7.2f s  %s' % (seconds, name))
    out.append('')
    out.append('dkim_key in-process and on the controller (scripts/bench_keys.py): bench-keys.txt; all output: %s'
               % directory)
    print('\n'.join(out))


def main(argv):
    if len(argv) >= 1 and argv[0] == 'machine':
        machine()
    elif len(argv) >= 2 and argv[0] == 'floor-all':
        floor_all(int(argv[1]), int(argv[2]) if len(argv) > 2 else 2048)
    elif len(argv) >= 2 and argv[0] == 'floor':
        floor(int(argv[1]), int(argv[2]) if len(argv) > 2 else 2048)
    elif len(argv) == 2 and argv[0] == 'report':
        report(argv[1])
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
