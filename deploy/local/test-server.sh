#!/usr/bin/env bash
# Temporal's Java time-skipping test server (io.temporal:temporal-test-server, resolved with mvn from
# deploy/local/test-server/pom.xml into $YOUFU_CACHE, once). For tests of long timers only
# (@temporalio/testing TestWorkflowEnvironment.createTimeSkipping with this script as its
# `existing-path` executable); never the platform's server — that is the dev server of stack.sh.
#   bash deploy/local/test-server.sh install     resolve the jars (idempotent)
#   bash deploy/local/test-server.sh <port> …     run the server on <port> (what the SDK calls)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${YOUFU_CACHE:-$HOME/.cache/youfu}
VERSION=1.31.0
LIB=$CACHE/temporal-test-server-$VERSION/lib

install() {
  [[ -f $LIB/.complete ]] && return 0
  command -v java >/dev/null || { echo "test-server: java is required (stack.sh up installs it)" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "test-server: mvn is required (stack.sh up installs it)" >&2; exit 1; }
  local tmp=$LIB.tmp
  rm -rf "$tmp" && mkdir -p "$tmp" "$(dirname "$LIB")"
  if ! mvn -q -B -Dstyle.color=never -f "$HERE/test-server/pom.xml" dependency:copy-dependencies \
    -Dtemporal.version="$VERSION" -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    tail -n 20 "$tmp.log" >&2
    echo "test-server: mvn could not resolve io.temporal:temporal-test-server:$VERSION" >&2
    exit 1
  fi
  rm -rf "$LIB" && mv "$tmp" "$LIB" && touch "$LIB/.complete"
}

if [[ ${1:-} == install ]]; then
  install
  echo "$LIB"
  exit 0
fi
install
exec java -Xmx256m -XX:+ExitOnOutOfMemoryError -cp "$LIB/*" io.temporal.testserver.TestServer "$@"
