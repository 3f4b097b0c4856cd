#!/usr/bin/env bash
# Install (once) a real NetBox from PyPI and migrate its template database, cached under
# /var/cache/taizhang-ci/netbox-<version>/. Quiet and fast when cached.
#   scripts/netbox.sh            prepare the cache (venv + migrated template + pg_dump)
#   scripts/netbox.sh serve      run a throwaway NetBox until Ctrl-C (prints its URL and token)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" -m tests.netbox_harness "${1:-prepare}"
