#!/usr/bin/env bash
# A Docker engine for the container tests (pnpm test:containers) on Debian: installs Debian's
# docker.io, docker-compose, mmdebstrap and docker-registry when missing, and starts dockerd
# when it is not running. Needs root for both (CI and the dev container run as root).
#
# Debian's own client, /usr/bin/docker (20.10), is the one to use: it builds with BuildKit
# (DOCKER_BUILDKIT=1) without the buildx plugin, which a newer client elsewhere on PATH refuses
# to do. Containers for tests run with --network host, so all traffic stays on 127.0.0.1.
set -euo pipefail

docker=/usr/bin/docker
missing=()
[ -x /usr/sbin/dockerd ] && [ -x "$docker" ] || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "engine: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$docker" info >/dev/null 2>&1; then
  echo "engine: starting dockerd (log: /var/log/votelab-dockerd.log)" >&2
  nohup /usr/sbin/dockerd >/var/log/votelab-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    "$docker" info >/dev/null 2>&1 && break
    sleep 1
  done
fi
"$docker" info --format 'engine: Docker {{.ServerVersion}}, storage {{.Driver}}' >&2
