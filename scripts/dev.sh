#!/usr/bin/env bash
# One command to run votelab on a laptop: installs what it needs, then `pnpm dev`
# (embedded PGlite under .data/, the local token issuer, demo polls, http://localhost:3000).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec pnpm dev "$@"
