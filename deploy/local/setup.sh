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

# The descriptor image server reflection serves (services/lib/reflection.ts): our contracts plus the
# third-party protos our servers expose. buf includes imports; FileDescriptorSets concatenate into
# one set (the loader de-duplicates files by name).
echo "[setup] buf build (descriptor image -> protos/gen/image.binpb)"
parts=$(mktemp -d)
trap 'rm -rf "$parts"' EXIT
npx buf build -o "$parts/1.binpb"
npx buf build node_modules/google-proto-files -o "$parts/2.binpb" \
  --path node_modules/google-proto-files/google/rpc/status.proto \
  --path node_modules/google-proto-files/google/rpc/error_details.proto
npx buf build node_modules/grpc-health-check/proto -o "$parts/3.binpb" \
  --path node_modules/grpc-health-check/proto/health/v1/health.proto
npx buf build node_modules/@grpc/reflection/build/proto -o "$parts/4.binpb" \
  --path node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto \
  --path node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto
cat "$parts"/{1,2,3,4}.binpb > protos/gen/image.binpb

# The staff console (console/ → console/dist), served by the gateway under /console/.
echo "[setup] console build (console/ -> console/dist)"
npx vite build --config console/vite.config.ts --logLevel warn
