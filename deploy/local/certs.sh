#!/usr/bin/env bash
# Makes the local TLS material (EC P-256 keys, SHA-256 signatures) under ${1:-<repo>/.local/certs}:
#   ca.key/ca.pem                 local CA
#   server.key/server.pem         server certificate for 127.0.0.1 and localhost, signed by the CA
#   client-H001.key/.pem          client certificate for hospital H001 (CN=H001, clientAuth), signed by the CA
#   other-ca.key/other-ca.pem     a second, unrelated CA
#   client-other.key/.pem         a client certificate signed by the other CA (also CN=H001, so only its issuer
#                                 can be the reason it is refused)
# Idempotent: a pair that exists, matches its key and verifies against its CA is kept; a new CA remakes the
# certificates it signs. Progress goes to stderr; stdout gets one line per certificate with its SHA-256
# fingerprint as Node's tls `fingerprint256` writes it, e.g. `client-H001 sha256 AB:CD:...`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${1:-$ROOT/.local/certs}
DAYS=825 # the longest validity Apple platforms accept for TLS server certificates

command -v openssl >/dev/null || { echo "[certs] openssl is required" >&2; exit 1; }
mkdir -p "$DIR"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat >"$TMP/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

serial() { echo "0x$(openssl rand -hex 16)"; }

newkey() { # newkey FILE: an EC P-256 private key (PKCS#8), readable by the owner only
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$1")
}

# keep NAME [CA]: true when NAME.key/NAME.pem exist, belong together and (for a leaf) verify against CA.pem.
keep() {
  local name=$1 ca=${2:-}
  [[ -s $DIR/$name.key && -s $DIR/$name.pem ]] || return 1
  [[ $(openssl x509 -in "$DIR/$name.pem" -noout -pubkey) == $(openssl pkey -in "$DIR/$name.key" -pubout) ]] || return 1
  openssl x509 -in "$DIR/$name.pem" -noout -checkend 86400 >/dev/null || return 1
  [[ -z $ca ]] || openssl verify -CAfile "$DIR/$ca.pem" "$DIR/$name.pem" >/dev/null 2>&1
}

make_ca() { # make_ca NAME SUBJECT
  local name=$1 subject=$2
  if keep "$name"; then echo "[certs] $name: kept" >&2; return; fi
  echo "[certs] $name: new CA $subject" >&2
  newkey "$DIR/$name.key"
  openssl req -x509 -new -key "$DIR/$name.key" -subj "$subject" -config "$TMP/openssl.cnf" -extensions ca \
    -sha256 -days "$DAYS" -set_serial "$(serial)" -out "$DIR/$name.pem"
}

make_leaf() { # make_leaf NAME SUBJECT PROFILE CA
  local name=$1 subject=$2 profile=$3 ca=$4
  if keep "$name" "$ca"; then echo "[certs] $name: kept" >&2; return; fi
  echo "[certs] $name: new $profile certificate $subject, signed by $ca" >&2
  newkey "$DIR/$name.key"
  openssl req -new -key "$DIR/$name.key" -subj "$subject" -config "$TMP/openssl.cnf" -out "$TMP/$name.csr"
  openssl x509 -req -in "$TMP/$name.csr" -CA "$DIR/$ca.pem" -CAkey "$DIR/$ca.key" -set_serial "$(serial)" \
    -sha256 -days "$DAYS" -extfile "$TMP/openssl.cnf" -extensions "$profile" -out "$DIR/$name.pem" 2>/dev/null
}

make_ca ca "/O=Youfu local/CN=Youfu Local CA"
make_leaf server "/O=Youfu local/CN=localhost" server ca
make_leaf client-H001 "/CN=H001" client ca
make_ca other-ca "/O=Unrelated/CN=Unrelated CA"
make_leaf client-other "/CN=H001" client other-ca

for name in ca server client-H001 other-ca client-other; do
  fp=$(openssl x509 -in "$DIR/$name.pem" -noout -fingerprint -sha256)
  fp=${fp#*=}
  echo "$name sha256 $(tr a-f A-F <<<"$fp")"
done
