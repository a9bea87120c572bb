#!/usr/bin/env bash
# npm start: install what is missing, bring the local stack up, start every service and worker.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
bash deploy/local/setup.sh
bash deploy/local/stack.sh up
export KAFKAJS_NO_PARTITIONER_WARNING=1
# The local scripts name the environment; a process without YOUFU_ENV refuses to start.
export YOUFU_ENV=${YOUFU_ENV:-development}
exec npx tsx deploy/local/start.ts
