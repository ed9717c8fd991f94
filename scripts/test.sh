#!/usr/bin/env bash
# One command to run every test: installs what it needs, then `pnpm test`. Suites run on embedded
# PGlite, and again on real Postgres when DATABASE_URL points at a server (CI sets it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec pnpm test "$@"
