#!/usr/bin/env bash
# Installs what the repo needs from npm (when missing or out of date) and generates the protobuf code.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node.js >= 20.19 is required, found "+process.versions.node); process.exit(1) }'

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "[setup] buf lint + generate (protos/ -> protos/gen)"
npx buf lint
npx buf generate
