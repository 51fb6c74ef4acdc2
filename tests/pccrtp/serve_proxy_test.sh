#!/usr/bin/env bash
# `peerdist serve --upstream` on loopback, no root: a `peerdist serve DIR` as the upstream, the
# proxy in front of it, curl as the client:
#   - a plain GET and a HEAD are relayed with the upstream's validators and bytes;
#   - the first peerdist request gets the plain bytes with MakeHashRequest=true, the second the
#     CI that `peerdist hash` gives for the file with the same key, and the upstream's access
#     log shows that the hit cost it a HEAD and no body byte;
#   - a restarted proxy answers from its hash cache at once; a changed file gets a new CI;
#   - the command line: DIR and --upstream together, neither, or an https:// upstream: exit 2.
#
#   serve_proxy_test.sh PEERDIST
set -euo pipefail
cli=$(realpath "$1")
if ! command -v curl >/dev/null; then echo "SKIP: curl is missing"; exit 77; fi

. "$(cd "$(dirname "$0")" && pwd)/../support/peerdist.sh"
make_work proxy
fail() {
  echo "FAIL: $*" >&2
  for log in upstream.err proxy.err; do
    [ -f "$work/$log" ] && { echo "--- $log" >&2; tail -n 20 "$work/$log" >&2; }
  done
  exit 1
}
# start NAME ARGS...: runs `peerdist serve ARGS` and sets $port to the port it listens on.
start() {
  local name=$1
  shift
  "$cli" serve "$@" --listen 127.0.0.1:0 2>"$work/$name.err" &
  pids+=($!)
  last_pid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/$name.err")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  fail "$name did not start"
}
peerdist_get() {  # peerdist_get URL OUT HEADERS_OUT
  curl -sS -o "$2" -D "$3" -H 'Accept-Encoding: peerdist' -H 'X-P2P-PeerDist: Version=1.1' \
    -H 'X-P2P-PeerDistEx: MinContentInformation=1.0, MaxContentInformation=2.0' "$1"
}
header() {  # header FILE NAME: the value, without CR
  sed -n "s/^$2: //Ip" "$1" | tr -d '\r'
}

# --- The command line.
mkdir -p "$work/www"
set +e
"$cli" serve "$work/www" --upstream http://127.0.0.1:1 2>/dev/null; rc_both=$?
"$cli" serve 2>/dev/null; rc_none=$?
"$cli" serve --upstream https://127.0.0.1/ 2>"$work/https.err"; rc_https=$?
set -e
[ "$rc_both" = 2 ] || fail "DIR and --upstream together: exit $rc_both, expected 2"
[ "$rc_none" = 2 ] || fail "neither DIR nor --upstream: exit $rc_none, expected 2"
[ "$rc_https" = 2 ] || fail "an https upstream: exit $rc_https, expected 2"
grep -q 'https:// upstreams are not supported' "$work/https.err" || fail "no https message"

# --- Upstream and proxy.
head -c $((3 * 1024 * 1024 + 4321)) /dev/urandom >"$work/www/big.bin"
start upstream "$work/www" --state-dir "$work/upstream-state" --access-log "$work/upstream.log"
upstream_port=$port
start proxy --upstream "http://127.0.0.1:$upstream_port" --state-dir "$work/proxy-state" \
  --passphrase proxy-test --access-log "$work/proxy.log"
proxy_port=$port
proxy_pid=$last_pid
url="http://127.0.0.1:$proxy_port/big.bin"

curl -sS -o "$work/plain.bin" -D "$work/plain.h" "$url"
cmp -s "$work/plain.bin" "$work/www/big.bin" || fail "the plain relay changed the bytes"
curl -sS -o /dev/null -D "$work/direct.h" "http://127.0.0.1:$upstream_port/big.bin"
[ "$(header "$work/plain.h" ETag)" = "$(header "$work/direct.h" ETag)" ] || fail "ETag not relayed"
[ "$(header "$work/plain.h" Via)" = "1.1 peerdist" ] || fail "no Via"
curl -sS -I -o /dev/null -D "$work/head.h" "$url"
[ "$(header "$work/head.h" Content-Length)" = "$(stat -c %s "$work/www/big.bin")" ] ||
  fail "HEAD: wrong Content-Length"

peerdist_get "$url" "$work/first.bin" "$work/first.h"
[ "$(header "$work/first.h" X-P2P-PeerDistEx)" = "MakeHashRequest=true" ] ||
  fail "first peerdist request: no MakeHashRequest"
cmp -s "$work/first.bin" "$work/www/big.bin" || fail "first peerdist request: not the bytes"

"$cli" hash --ci-version 2 --passphrase proxy-test --no-progress -o "$work/expected.ci" \
  "$work/www/big.bin"
up_lines=$(wc -l <"$work/upstream.log")
peerdist_get "$url" "$work/second.ci" "$work/second.h"
[ "$(header "$work/second.h" Content-Encoding)" = "peerdist" ] || fail "second: not peerdist"
cmp -s "$work/second.ci" "$work/expected.ci" || fail "second: not the CI of peerdist hash"
sleep 0.2  # the upstream logs after its last send
hit=$(tail -n +"$((up_lines + 1))" "$work/upstream.log")
[ "$(echo "$hit" | wc -l)" = 1 ] || fail "a hit asked the upstream more than once: $hit"
echo "$hit" | awk '$3 != "HEAD" || $6 != 0 { exit 1 }' || fail "a hit cost body bytes: $hit"

# --- Restart: the CI is still there.
kill "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true
start proxy --upstream "http://127.0.0.1:$upstream_port" --state-dir "$work/proxy-state" \
  --passphrase proxy-test --access-log "$work/proxy.log"
url="http://127.0.0.1:$port/big.bin"
peerdist_get "$url" "$work/restart.ci" "$work/restart.h"
cmp -s "$work/restart.ci" "$work/expected.ci" || fail "after a restart: not the stored CI"

# --- A changed file: plain again, then its own CI.
head -c $((2 * 1024 * 1024)) /dev/urandom >"$work/new.bin"
mv "$work/new.bin" "$work/www/big.bin"
peerdist_get "$url" "$work/changed.bin" "$work/changed.h"
cmp -s "$work/changed.bin" "$work/www/big.bin" || fail "changed file: not the new bytes"
[ "$(header "$work/changed.h" X-P2P-PeerDistEx)" = "MakeHashRequest=true" ] ||
  fail "changed file: a stale answer"
"$cli" hash --ci-version 2 --passphrase proxy-test --no-progress -o "$work/new.ci" \
  "$work/www/big.bin"
peerdist_get "$url" "$work/new-answer.ci" "$work/new-answer.h"
cmp -s "$work/new-answer.ci" "$work/new.ci" || fail "changed file: not its new CI"

echo "PASS: serve --upstream (relay, MakeHashRequest then CI, a hit costs one HEAD, restart, change)"
