#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole stack on the embedded default (as root). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "lbaas: this needs root (it installs Debian packages and runs the stack: agents create network namespaces, veth pairs and a bridge). Run: sudo bash $0" >&2; exit 1; fi
bash scripts/install.sh
exec node apps/lbaasctl/dist/main.js up "$@"
