#!/usr/bin/env bash
# Debian's Chromium (and a CJK font) for the console's browser tests (test/console), driven by playwright-core:
# installed with apt-get when missing (no browser download). Prints the executable's path.
set -euo pipefail
# A CJK font too: without one the console's Chinese renders as empty boxes in the screenshots.
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
[[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || need+=(fonts-wqy-microhei)
if ((${#need[@]})); then
  echo "[browser] apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2 || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${need[@]}" >&2; }
fi
echo /usr/bin/chromium
