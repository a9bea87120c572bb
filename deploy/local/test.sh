#!/usr/bin/env bash
# npm test: installs what is missing, brings the local stack up if needed, then checks and tests
# everything: types, lint, protobuf contract, unit and integration tests against the real servers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export KAFKAJS_NO_PARTITIONER_WARNING=1
# The local scripts name the environment; a process without YOUFU_ENV refuses to start.
export YOUFU_ENV=${YOUFU_ENV:-test}
t() { local s=$SECONDS; "$@"; echo "[test] $* — $((SECONDS - s))s"; }
t bash deploy/local/setup.sh
t bash deploy/local/stack.sh up
# Temporal's time-skipping test server (Java, from Maven) for tests of long timers.
t bash deploy/local/test-server.sh install
# Debian's Chromium for the console's tests in a real browser.
t bash deploy/local/browser.sh
t npx tsc -p .
t npx tsc -p console
t npx eslint .
t bash deploy/local/buf-breaking.sh
mkdir -p .local
s=$SECONDS
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.local/vitest.json "$@"
rc=$?
set -e
echo "[test] vitest — $((SECONDS - s))s"
node -e '
  const r = JSON.parse(require("fs").readFileSync(".local/vitest.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $rc
