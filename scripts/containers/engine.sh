#!/usr/bin/env bash
# A Docker engine for the container tests (pnpm test:containers). Where one already runs (a
# laptop, a GitHub runner) it is used as it is; on Debian without one, this installs docker.io
# and starts dockerd. Either way it adds what the tests need besides the engine: a compose
# (Debian's docker-compose when there is no `docker compose`), mmdebstrap for stand-in base
# images, and docker-registry (a local OCI registry). Installing needs root or sudo.
#
# The tests call /usr/bin/docker: Debian's own client (20.10) builds with BuildKit
# (DOCKER_BUILDKIT=1) without the buildx plugin, which a newer client elsewhere on PATH (28.x in
# /usr/local/bin on these machines) refuses to do.
set -euo pipefail

docker=/usr/bin/docker
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

engine_runs() { [ -x "$docker" ] && "$docker" info >/dev/null 2>&1; }

missing=()
if ! engine_runs && ! [ -x /usr/sbin/dockerd ]; then missing+=(docker.io); fi
if ! command -v docker-compose >/dev/null 2>&1 && ! "$docker" compose version >/dev/null 2>&1; then
  missing+=(docker-compose)
fi
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "engine: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! engine_runs; then
  echo "engine: starting dockerd (log: /var/log/votelab-dockerd.log)" >&2
  $sudo sh -c 'nohup /usr/sbin/dockerd >/var/log/votelab-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    engine_runs && break
    sleep 1
  done
fi
"$docker" info --format 'engine: Docker {{.ServerVersion}}, storage {{.Driver}}' >&2
