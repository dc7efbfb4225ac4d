#!/usr/bin/env bash
# Provide the Molecule base images: systemd as PID 1 and python3, Debian 12 and 13,
#   mailauth/molecule-debian:12 (bookworm)   mailauth/molecule-debian:13 (trixie)
# and on top of each a managed mail server as users have them (tests/controller/Managed.Containerfile: Postfix, sshd,
# the user deploy with sudo), reached over SSH by the Molecule `default` scenario and `make site`:
#   mailauth/managed-debian:12               mailauth/managed-debian:13
# An image that already exists locally is kept. Otherwise, where a registry answers, the image is built from the
# official debian:<suite> image; where none does (offline CI), it is debootstrapped from the Debian mirror that this
# machine's apt already uses, and imported. Usage: scripts/build-images.sh [12] [13]
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
PACKAGES=systemd,systemd-sysv,python3,iproute2,ca-certificates,procps
declare -A SUITE=([12]=bookworm [13]=trixie)
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(12 13)

apt_mirror() {
  # First Debian archive URI in the machine's apt sources (deb822 or one-line format), never hard-coded.
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | grep -v security | awk '{for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' | head -n1 || true)
  fi
  [ -n "$uri" ] || { echo "no Debian mirror found in the apt sources" >&2; return 1; }
  echo "$uri"
}

registry_reachable() {
  # A quick, bounded probe: pulling the small official image either starts at once or the registry is not there.
  timeout 20 "$DOCKER" pull -q "debian:$1" >/dev/null 2>&1
}

build_from_registry() {
  local ver=$1 suite=$2 name=$3
  "$DOCKER" build -q -t "$name" - >/dev/null <<DOCKERFILE
FROM debian:$suite
RUN apt-get update && apt-get install -y --no-install-recommends ${PACKAGES//,/ } && apt-get clean && rm -rf /var/lib/apt/lists/*
CMD ["/lib/systemd/systemd"]
DOCKERFILE
}

build_with_debootstrap() {
  local ver=$1 suite=$2 name=$3 dir mirror
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  mirror=$(apt_mirror)
  dir=$(mktemp -d "/tmp/mailauth-rootfs-$suite.XXXXXX")
  trap 'rm -rf "$dir"' RETURN
  echo ">> debootstrap $suite (minbase + $PACKAGES); this takes about a minute"
  debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$dir" "$mirror" >"$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; rm -f "$dir.log"; return 1; }
  rm -f "$dir.log"
  # Containers use the same archive as the host; the image keeps the sources debootstrap wrote.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | "$DOCKER" import --change 'CMD ["/lib/systemd/systemd"]' - "$name" >/dev/null
}

for ver in "${versions[@]}"; do
  suite=${SUITE[$ver]:-}
  [ -n "$suite" ] || { echo "unknown Debian version '$ver' (known: ${!SUITE[*]})" >&2; exit 2; }
  name="mailauth/molecule-debian:$ver"
  if "$DOCKER" image inspect "$name" >/dev/null 2>&1; then
    echo ">> $name present"
    continue
  fi
  start=$(date +%s)
  if registry_reachable "$suite"; then
    echo ">> building $name from debian:$suite"
    build_from_registry "$ver" "$suite" "$name"
  else
    echo ">> no registry reachable: building $name from Debian packages"
    build_with_debootstrap "$ver" "$suite" "$name"
  fi
  echo ">> $name ready in $(( $(date +%s) - start )) s"
done

root=$(cd "$(dirname "$0")/.." && pwd)
for ver in "${versions[@]}"; do
  # Docker's layer cache makes this a no-op when neither the base image nor the Containerfile changed.
  echo ">> mailauth/managed-debian:$ver (Postfix, sshd, user deploy with sudo)"
  "$DOCKER" build -q -t "mailauth/managed-debian:$ver" --build-arg "BASE=mailauth/molecule-debian:$ver" \
    -f "$root/tests/controller/Managed.Containerfile" "$root/tests/controller" >/dev/null
done
