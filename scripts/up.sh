#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole stack on the embedded default (as root). Ctrl-C stops it.
#   bash scripts/up.sh              noauth (every caller is admin: a laptop, never tenants)
#   bash scripts/up.sh --keystone   also a local Keystone, two demo projects and their openrc files (.lbaas/openrc-*)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "lbaas: this needs root (it installs Debian packages and runs the stack: agents create network namespaces, veth pairs and a bridge). Run: sudo bash $0" >&2; exit 1; fi
# --keystone (lbaasctl up --keystone) also needs Debian's Keystone and the openstack CLI: installed only when asked.
if [[ " $* " == *" --keystone "* ]]; then bash scripts/install.sh --keystone; else bash scripts/install.sh; fi
exec node apps/lbaasctl/dist/main.js up "$@"
