#!/usr/bin/env bash
# Fails when protos/ breaks the released contract recorded in protos/baseline.binpb.
# Refresh the baseline only on a deliberate release: `bash deploy/local/buf-breaking.sh --release`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
if [[ ${1:-} == --release ]]; then
  npx buf build -o protos/baseline.binpb
  echo "baseline refreshed: protos/baseline.binpb (commit it with the release)"
  exit 0
fi
npx buf breaking --against protos/baseline.binpb
echo "[buf] no breaking change against protos/baseline.binpb"
