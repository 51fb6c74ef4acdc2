#!/usr/bin/env bash
# `peerdist get https://...` on loopback against tests/pccrtp/test_origin.py behind TLS
# (tests/cli/tls_origin.py) with a self-signed certificate made here, trusted through
# SSL_CERT_FILE:
#   - a plain download (--no-peerdist) and a peerdist one (CI over TLS, the blocks by range
#     requests over TLS) give the exact bytes; the second peerdist get takes them from the cache;
#   - an untrusted certificate, and a trusted one for another host name, fail the handshake
#     with a clear error, exit 1, and leave no FILE nor FILE.part.
#
#   get_https_test.sh PEERDISTD PEERDIST
set -euo pipefail
daemon=$(realpath "$1")
cli=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../support/peerdist.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 (the test origin) is missing"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl (the certificates) is missing"; exit 77; }

make_work get-https
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
certificate() {  # certificate NAME SUBJECT-ALT-NAME
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=peerdist test $1" \
    -addext "subjectAltName=$2" -keyout "$work/$1.key" -out "$work/$1.pem" 2>/dev/null
}
start_origin() {  # start_origin CERT-NAME: sets $base
  python3 "$here/tls_origin.py" "$work/www" --cert "$work/$1.pem" --key "$work/$1.key" \
    --log "$work/access.log" >"$work/origin-$1.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q listening "$work/origin-$1.out" 2>/dev/null && break; sleep 0.1; done
  base="https://$(sed -n 's/listening on //p' "$work/origin-$1.out")"
  [ "$base" != "https://" ] || fail "the TLS test origin did not start"
}

mkdir -p "$work/www" "$work/out"
certificate good "IP:127.0.0.1"
certificate other "DNS:other.example"
printf '[distributed]\nenabled = false\n' >"$work/peerdistd.toml"
peerdist_start_daemon "$daemon" "$work" || fail "peerdistd did not start"
export PEERDIST_SOCKET="$work/socket"

key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
size=$((6 * 1024 * 1024 + 4321))
head -c "$size" /dev/urandom >"$work/www/content.bin"
"$cli" hash --key-hex "$key" "$work/www/content.bin" -o "$work/www/content.bin.ci" 2>/dev/null
touch "$work/access.log"
start_origin good
good_base=$base

# 1. Plain download over TLS.
SSL_CERT_FILE="$work/good.pem" "$cli" get --no-peerdist "$good_base/content.bin" \
  -o "$work/out/plain.bin" 2>"$work/plain.err" || { cat "$work/plain.err"; fail "plain https get"; }
cmp "$work/www/content.bin" "$work/out/plain.bin" || fail "the plain https copy differs"
echo "plain get over TLS: $size bytes OK"

# 2. Peerdist over TLS: the CI, then every block by range requests; then from the cache.
SSL_CERT_FILE="$work/good.pem" "$cli" get "$good_base/content.bin" -o "$work/out/first.bin" \
  --json >"$work/first.json" 2>"$work/first.err" || { cat "$work/first.err"; fail "peerdist https get"; }
cmp "$work/www/content.bin" "$work/out/first.bin" || fail "the peerdist https copy differs"
[ "$(peerdist_json_field "$work/first.json" peerdist)" = true ] || fail "the https get was not peerdist"
[ "$(peerdist_json_field "$work/first.json" from_origin)" = "$size" ] || fail "not all from the origin"
grep -q ' 206 ' "$work/access.log" || fail "no range request reached the TLS origin"
SSL_CERT_FILE="$work/good.pem" "$cli" get "$good_base/content.bin" -o "$work/out/second.bin" \
  --json >"$work/second.json" 2>"$work/second.err" || { cat "$work/second.err"; fail "second https get"; }
cmp "$work/www/content.bin" "$work/out/second.bin" || fail "the second https copy differs"
[ "$(peerdist_json_field "$work/second.json" from_cache)" = "$size" ] || fail "the second get was not from the cache"
echo "peerdist get over TLS: CI and ranges over TLS, then all from the cache OK"

# 3. Refused certificates: a clear error, exit 1, nothing left behind.
refused() {  # refused NAME TRUSTED-PEM BASE
  local status=0
  SSL_CERT_FILE="$2" "$cli" get --no-peerdist "$3/content.bin" -o "$work/out/$1.bin" \
    2>"$work/$1.err" || status=$?
  [ "$status" = 1 ] || fail "$1: exit $status, expected 1"
  grep -q "TLS handshake failed" "$work/$1.err" || { cat "$work/$1.err"; fail "$1: no clear message"; }
  [ ! -e "$work/out/$1.bin" ] && [ ! -e "$work/out/$1.bin.part" ] || fail "$1: left a file"
  echo "$1: $(head -n 1 "$work/$1.err")"
}
refused untrusted "$work/other.pem" "$good_base"
start_origin other
refused wrong-name "$work/other.pem" "$base"
echo "PASS"
