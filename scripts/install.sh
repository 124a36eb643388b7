#!/usr/bin/env bash
# Installs what is missing on a Debian machine (run as root) and builds the workspace.
#   bash scripts/install.sh            runtime: nats-server, haproxy, keepalived (ACTIVE_STANDBY pairs), iproute2, nftables (planned moves, UDP), conntrack (UDP), ...; npm ci; build
#   bash scripts/install.sh --tests    also the real OpenStack clients the tests drive and Debian's Keystone
#                                      (the tests start their own), promtool (prometheus), faketime, systemd-analyze
#                                      and tcpdump (the IPv6 VIP test watches neighbour advertisements)
#   bash scripts/install.sh --keystone also Debian's Keystone and the openstack CLI with its loadbalancer commands, for
#                                      `lbaasctl up --keystone` (scripts/up.sh --keystone asks for it); not by default:
#                                      the embedded stack runs noauth without them
#   bash scripts/install.sh --bench    also stress-ng (bench/scale.ts --stress N keeps N CPU-bound workers running)
set -euo pipefail
cd "$(dirname "$0")/.."

want=(nats-server haproxy keepalived iproute2 iputils-arping iputils-ping nftables conntrack procps curl ca-certificates)
for arg in "$@"; do
  case "$arg" in
    --tests) want+=(openssl python3-openstackclient python3-octaviaclient python3-neutronclient python3-openstacksdk keystone prometheus faketime systemd tcpdump) ;;
    --keystone) want+=(keystone python3-openstackclient python3-octaviaclient) ;;
    --bench) want+=(stress-ng) ;;
    *) echo "lbaas: unknown option $arg (--tests, --keystone, --bench)" >&2; exit 2 ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "lbaas: this needs root (it installs Debian packages and creates network namespaces). Run: sudo bash $0 $*" >&2
  exit 1
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "lbaas: installing Debian packages: ${missing[*]}"
  # Packages must not start their services (keystone's would listen on *:5000): a policy-rc.d saying no, unless one exists.
  own_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    own_policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\n# lbaas install.sh: no service starts during this install\nexit 101\n' > "$own_policy"
    chmod 755 "$own_policy"
    trap 'rm -f "$own_policy"' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's keystone service (uWSGI on *:5000, its own database) is not used: the tests and lbaasctl run their own.
if dpkg-query -W -f='${Status}' keystone 2>/dev/null | grep -q "install ok installed"; then
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl disable --now keystone >/dev/null 2>&1 || true
  else
    service keystone stop >/dev/null 2>&1 || true
    update-rc.d keystone disable >/dev/null 2>&1 || true
  fi
fi
# haproxy's package starts its own service with /etc/haproxy/haproxy.cfg; lbaas runs its own instances only.
if command -v systemctl >/dev/null && systemctl is-active --quiet haproxy 2>/dev/null; then systemctl stop haproxy || true; fi
# keepalived likewise: the agent runs one per ACTIVE_STANDBY load balancer inside its namespace, never the system one.
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then systemctl disable --now keepalived >/dev/null 2>&1 || true; fi
# Neighbour tables sized for hundreds of LB namespaces (deploy/sysctl/90-lbaas-agent.conf): raised, never lowered.
while read -r key _ value; do
  [[ $key == net.* ]] || continue
  current=$(sysctl -n "$key" 2>/dev/null) || continue
  if (( current < value )); then sysctl -q -w "$key=$value" && echo "lbaas: sysctl $key $current -> $value"; fi
done < deploy/sysctl/90-lbaas-agent.conf
id haproxy >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin haproxy

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("lbaas: Node.js >= 20.19 is required, found "+process.versions.node); process.exit(1) }'

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "lbaas: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "lbaas: building"
NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=${NX_SKIP_NX_CACHE:-false} npx nx run-many -t build --outputStyle=static >/tmp/lbaas-build.log 2>&1 || { cat /tmp/lbaas-build.log; exit 1; }
echo "lbaas: ready"
