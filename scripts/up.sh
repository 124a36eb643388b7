#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole stack on the embedded default (as root). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec node apps/lbaasctl/dist/main.js up "$@"
