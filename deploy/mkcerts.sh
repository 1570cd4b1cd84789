#!/bin/sh
# Make the branch CA (once) and the broker's TLS certificate, with openssl.
#
#   deploy/mkcerts.sh OUTDIR NAME [NAME ...]
#
# NAME is every host name or IP address counters use to reach the kiosk Pi
# (branch.broker_host in the branch file, plus e.g. its IP). The CA key stays
# in OUTDIR (keep it on the kiosk, mode 600, and in the branch backup); run
# again with new names to reissue the server certificate under the same CA,
# so counters need no change. Prints nothing but errors; exits non-zero on any.
set -eu

if [ "$#" -lt 2 ]; then
    echo "usage: $0 OUTDIR NAME [NAME ...]" >&2
    exit 2
fi
out=$1
shift
cn=$1
mkdir -p "$out"
umask 077

if [ ! -f "$out/ca.key" ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key"
    openssl req -x509 -new -key "$out/ca.key" -sha256 -days 3650 \
        -subj "/O=lobbyq/CN=lobbyq branch CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" \
        -out "$out/ca.crt"
fi

san=""
for name in "$@"; do
    case "$name" in
        *:*) entry="IP:$name" ;;         # IPv6 address
        *[!0-9.]*) entry="DNS:$name" ;;  # anything else but digits and dots is a host name
        *) entry="IP:$name" ;;
    esac
    san="${san:+$san,}$entry"
done

ext="$out/server.ext"
cat > "$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment,keyAgreement
extendedKeyUsage=serverAuth
subjectAltName=$san
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
EXT

openssl ecparam -name prime256v1 -genkey -noout -out "$out/server.key"
openssl req -new -key "$out/server.key" -subj "/O=lobbyq/CN=$cn" -out "$out/server.csr"
openssl x509 -req -in "$out/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -CAcreateserial -days 825 -sha256 -extfile "$ext" -out "$out/server.crt" 2>/dev/null
rm -f "$out/server.csr" "$ext"
chmod 644 "$out/ca.crt" "$out/server.crt"
