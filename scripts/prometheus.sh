#!/usr/bin/env bash
# Installs Debian's prometheus (prometheus + promtool) for the tests, without starting its service.
# Idempotent and quiet when already installed.
set -euo pipefail
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  # Tell dpkg not to start services: the tests start their own Prometheus on a free loopback port.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends prometheus >/dev/null
if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
# Debian's package may still have launched the service through its init script; stop it.
pkill -x prometheus >/dev/null 2>&1 || true
command -v promtool >/dev/null
