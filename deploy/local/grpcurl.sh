#!/usr/bin/env bash
# Prints the path of a grpcurl binary (a gRPC client we did not write, for tests), building it once
# with `go install` into $YOUFU_CACHE/bin. Progress goes to stderr; stdout is only the path.
#   YOUFU_CACHE            binaries (default ~/.cache/youfu; survives between runs)
#   YOUFU_GRPCURL_VERSION  grpcurl module version (default v1.9.3)
set -euo pipefail
CACHE=${YOUFU_CACHE:-$HOME/.cache/youfu}
VERSION=${YOUFU_GRPCURL_VERSION:-v1.9.3}
BIN=$CACHE/bin/grpcurl

if [[ ! -x $BIN ]]; then
  # Another build (e.g. the Temporal CLI) may be compiling: never run two `go install` on 2 cores.
  while pgrep -f "go install" >/dev/null || pgrep -f "go build" >/dev/null; do
    echo "[grpcurl] waiting for a running go install/build to finish" >&2
    sleep 10
  done
fi
if [[ ! -x $BIN ]]; then
  command -v go >/dev/null || { echo "[grpcurl] Go is not installed: cannot build grpcurl" >&2; exit 1; }
  mkdir -p "$CACHE/bin"
  echo "[grpcurl] building grpcurl $VERSION with go install (once; cached in $CACHE/bin)" >&2
  GOFLAGS=-mod=mod GOBIN="$CACHE/bin" go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$VERSION" >&2
fi
echo "$BIN"
