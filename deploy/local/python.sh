#!/usr/bin/env bash
# The partner quick-start's Python side (docs/partners.md): a virtualenv with PyPI's protobuf,
# confluent-kafka and grpcio-tools (its protoc), and Python code generated from protos/ into
# .local/partners/gen. Idempotent; the pip cache lives in ~/.cache/youfu/pip.
#   bash deploy/local/python.sh          → prints the venv's python
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="$ROOT/.local/partners/venv"
GEN="$ROOT/.local/partners/gen"
PINS="protobuf==7.36.2 confluent-kafka==2.16.1 grpcio-tools==1.85.1"
export PIP_CACHE_DIR="${HOME}/.cache/youfu/pip"
log() { echo "[python] $*" >&2; }
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ]; then
  log "virtualenv $VENV with $PINS"
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" >&2; then
    # Debian's python3 keeps venv in its own package.
    log "python3 -m venv failed: installing python3-venv with apt-get"
    rm -rf "$VENV"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >&2
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check $PINS >&2
  echo "$PINS" > "$VENV/.pins"
fi
# Generated code follows the .proto files.
stamp=$(cat "$ROOT"/protos/youfu/*/v1/*.proto "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
if [ "$(cat "$GEN/.stamp" 2>/dev/null)" != "$stamp" ]; then
  log "generating Python from protos/ into $GEN"
  rm -rf "$GEN" && mkdir -p "$GEN"
  (cd "$ROOT/protos" && "$VENV/bin/python" -m grpc_tools.protoc -I . --python_out="$GEN" $(ls youfu/*/v1/*.proto | grep -v devtest))
  echo "$stamp" > "$GEN/.stamp"
fi
echo "$VENV/bin/python"
