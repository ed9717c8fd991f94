# STAND-IN for node:24-bookworm-slim, built by scripts/containers/base-images.sh where Docker Hub
# cannot be reached: the official Node 24 binary and npm on Debian bookworm, a `node` user with
# uid/gid 1000 like the official image. Local only; never pushed.
FROM debian:bookworm-slim
COPY rootfs/ /
RUN groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
# The building machine's CA bundle: its npm registry sits behind a TLS proxy.
ENV NODE_EXTRA_CA_CERTS=/etc/votelab-standin/ca-certificates.crt
CMD ["node"]
