#!/usr/bin/env bash
# The lab's leg of `make molecule`: the main job itself (`make demo`, scripts/demo.sh: create the lab, converge,
# send from both senders and score the messages; its logs go to .build/demo), then the scenario's idempotence
# and verify on the lab the demo left, then destroy. So `make test` runs the demo as users run it, and
# molecule/lab/tests/test_no_secrets.py searches the demo's own logs for the TSIG secret and the private keys.
# It starts and ends with `destroy`, as `molecule test` does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.venv/bin:/usr/bin:$PATH"
molecule destroy -s lab
rm -rf .build/demo
trap 'molecule destroy -s lab >/dev/null 2>&1 || true' EXIT
scripts/demo.sh
export MAILAUTH_DEMO_RAN=1
molecule idempotence -s lab
molecule verify -s lab
