#!/usr/bin/env bash
# Makes a private CA and the TLS certificates of a NATS deployment with openssl (ECDSA P-256, SHA-256):
#   ca.pem / ca-key.pem               the CA (keep ca-key.pem offline once done)
#   <server>.pem / <server>-key.pem   one per nats-server: serverAuth + clientAuth (it is a route client of its peers)
#   <client>.pem / <client>-key.pem   one per client identity (clientAuth); CN = the identity's name
# Usage: deploy/nats/make-certs.sh OUT_DIR
#   SERVERS="lbaas-nats-1 lbaas-nats-2 lbaas-nats-3"  server names (default; the configs name these files), each gets SANs from SANS plus DNS:<name>
#   SANS="DNS:localhost,IP:127.0.0.1" extra subjectAltNames of every server certificate (default)
#   CLIENTS="operator api scheduler failover-watcher auditor"  client certificates (default; add agent-<id> for each agent)
#   DAYS=825                           validity
# Existing files are kept (re-running adds what is missing); keys are mode 0600.
set -euo pipefail
out=${1:?usage: make-certs.sh OUT_DIR}
SERVERS=${SERVERS:-"lbaas-nats-1 lbaas-nats-2 lbaas-nats-3"}
SANS=${SANS:-"DNS:localhost,IP:127.0.0.1"}
CLIENTS=${CLIENTS:-"operator api scheduler failover-watcher auditor"}
DAYS=${DAYS:-825}
mkdir -p "$out"
chmod 700 "$out"
cd "$out"
umask 077

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }

if [[ ! -f ca.pem ]]; then
  key ca-key.pem
  openssl req -x509 -new -key ca-key.pem -sha256 -days "$DAYS" -subj "/CN=lbaas NATS CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
fi

issue() { # name usage sans
  local name=$1 usage=$2 sans=$3
  [[ -f "$name.pem" ]] && return 0
  key "$name-key.pem"
  openssl req -new -key "$name-key.pem" -subj "/CN=$name" -out "$name.csr"
  local ext
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n "$sans" ]] && echo "subjectAltName=$sans"
  } > "$ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -sha256 -days "$DAYS" \
    -extfile "$ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$ext"
}

for s in $SERVERS; do issue "$s" "serverAuth,clientAuth" "DNS:$s,$SANS"; done
for c in $CLIENTS; do issue "$c" "clientAuth" ""; done
chmod 644 ./*.pem
chmod 600 ./*-key.pem
echo "certificates in $(pwd): ca.pem, $(for s in $SERVERS; do printf '%s.pem ' "$s"; done)$(for c in $CLIENTS; do printf '%s.pem ' "$c"; done)"
