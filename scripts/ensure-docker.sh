#!/usr/bin/env bash
# Make sure a Docker daemon answers: install Debian's docker.io and start dockerd when none runs.
# Used by .ci/run and `make` targets that need containers. Safe to run repeatedly.
set -euo pipefail
DOCKER=/usr/bin/docker
if [ -x "$DOCKER" ] && "$DOCKER" info >/dev/null 2>&1; then
  exit 0
fi
if [ ! -x "$DOCKER" ] || ! command -v dockerd >/dev/null 2>&1; then
  echo ">> installing docker.io from Debian's archive"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
if ! "$DOCKER" info >/dev/null 2>&1; then
  echo ">> starting dockerd in the background (log: /var/log/dockerd.log)"
  setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    "$DOCKER" info >/dev/null 2>&1 && break
    sleep 1
  done
fi
"$DOCKER" info >/dev/null 2>&1 || { echo "dockerd did not come up; see /var/log/dockerd.log" >&2; exit 1; }
echo ">> docker is running"
