#!/usr/bin/env bash
# Installs what the end-to-end page tests need: Debian's headless Chromium (never a browser
# downloaded by Playwright itself). Idempotent and quiet when Chromium is already there.
# Prints the browser's path on success.
set -euo pipefail
BROWSER=/usr/bin/chromium
if [ ! -x "$BROWSER" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/browser.sh: chromium is missing and installing it needs root (apt-get install chromium)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale on a fresh machine: refresh them once, then install.
  if ! apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null
  fi
fi
# Chinese glyphs for screenshots: without a CJK font the pages render as boxes in the headless
# browser (a user's own browser brings its fonts; the app serves none).
if ! fc-list 2>/dev/null | grep -qi -e wqy -e noto.*cjk; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends fonts-wqy-microhei >/dev/null 2>&1 \
      || { apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends fonts-wqy-microhei >/dev/null; }
  fi
fi
echo "$BROWSER"
