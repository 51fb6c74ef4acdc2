#!/usr/bin/env bash
# `peerdist get` on loopback against a test origin (tests/pccrtp/test_origin.py) and one
# peerdistd without peers ([distributed] enabled = false: missing data is reported at once):
#   - a peerdist answer: everything from the origin by range requests, then everything from the
#     cache (the origin sees only the CI request); V1 and V2 content information;
#   - an interrupted get resumes from the blocks already verified (from the cache, not the
#     origin);
#   - redirects followed up to the limit; 404, connection refused, a truncated body, invalid
#     content information, a peerdist answer without ContentLength: a clear error, exit 1, no
#     FILE and no FILE.part left;
#   - peerdistd unreachable or disabled by policy: a message, then a plain download; -o
#     defaults to the URL's name.
#
#   get_test.sh PEERDISTD PEERDIST
set -euo pipefail
daemon=$(realpath "$1")
cli=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../support/peerdist.sh"
if ! command -v python3 >/dev/null; then echo "SKIP: python3 (the test origin) is missing"; exit 77; fi

make_work get
fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/daemon.log" ] && { echo "--- daemon.log" >&2; tail -n 20 "$work/daemon.log" >&2; }
  exit 1
}
# origin_bytes FROM_LINE: the bytes of range (206) answers in the access log from that line on.
origin_range_bytes() {
  tail -n +"$1" "$work/access.log" | awk '$5 == 206 { n += $6 } END { print n + 0 }'
}
log_lines() { wc -l <"$work/access.log"; }

mkdir -p "$work/www" "$work/out"
printf '[distributed]\nenabled = false\n' >"$work/peerdistd.toml"
peerdist_start_daemon "$daemon" "$work" || fail "peerdistd did not start"
export PEERDIST_SOCKET="$work/socket"

start_origin() {  # start_origin [ARGS...]: sets $base
  python3 "$here/test_origin.py" "$work/www" --listen 127.0.0.1:0 --log "$work/access.log" "$@" \
    >"$work/origin.out" 2>&1 &
  origin_pid=$!
  pids+=("$origin_pid")
  for _ in $(seq 1 100); do grep -q listening "$work/origin.out" 2>/dev/null && break; sleep 0.1; done
  base="http://$(sed -n 's/listening on //p' "$work/origin.out")"
  [ "$base" != "http://" ] || fail "the test origin did not start"
}
key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
size=$((24 * 1024 * 1024 + 12345))
head -c "$size" /dev/urandom >"$work/www/content.bin"
"$cli" hash --key-hex "$key" "$work/www/content.bin" -o "$work/www/content.bin.ci" 2>/dev/null
"$cli" hash --key-hex "$key" --ci-version 2 "$work/www/content.bin" -o "$work/www/content.bin.ci2" 2>/dev/null
touch "$work/access.log"
start_origin

# 1. First get: a peerdist answer, every byte from the origin by range requests.
from=$(($(log_lines) + 1))
"$cli" get "$base/content.bin" -o "$work/out/first.bin" --json >"$work/first.json" 2>"$work/first.err" ||
  { cat "$work/first.err"; fail "first get"; }
cmp "$work/www/content.bin" "$work/out/first.bin" || fail "first copy differs"
[ "$(peerdist_json_field "$work/first.json" peerdist)" = true ] || fail "first get was not peerdist"
[ "$(peerdist_json_field "$work/first.json" from_origin)" = "$size" ] || fail "first get: not all from the origin"
[ "$(origin_range_bytes "$from")" = "$size" ] || fail "origin sent $(origin_range_bytes "$from") range bytes"
grep -q ' peerdist$' "$work/access.log" || fail "no peerdist answer in the access log"
echo "first get: $size bytes from the origin by range requests OK"

# 2. Again: everything from the cache; the origin sees only the CI request.
from=$(($(log_lines) + 1))
"$cli" get "$base/content.bin" -o "$work/out/second.bin" --json >"$work/second.json" 2>/dev/null || fail "second get"
cmp "$work/www/content.bin" "$work/out/second.bin" || fail "second copy differs"
[ "$(peerdist_json_field "$work/second.json" from_cache)" = "$size" ] || fail "second get not from the cache"
[ "$(tail -n +"$from" "$work/access.log" | wc -l)" = 1 ] || fail "second get: more than the CI request"
echo "second get: all from the cache, one request to the origin OK"

# 3. The default request accepts V1 and V2 and this origin prefers V2 (what the first gets
#    used); V1 forced is other content information (other segment IDs): all from the origin.
"$cli" get "$base/content.bin" -o "$work/out/v1.bin" --ci-version 1 --json >"$work/v1.json" 2>/dev/null ||
  fail "V1 get"
cmp "$work/www/content.bin" "$work/out/v1.bin" || fail "V1 copy differs"
[ "$(peerdist_json_field "$work/v1.json" from_origin)" = "$size" ] || fail "V1 get: not all from the origin"
"$cli" get "$base/content.bin" -o "$work/out/v2.bin" --ci-version 2 --json >"$work/v2.json" 2>/dev/null ||
  fail "V2 get"
cmp "$work/www/content.bin" "$work/out/v2.bin" || fail "V2 copy differs"
[ "$(peerdist_json_field "$work/v2.json" from_cache)" = "$size" ] || fail "V2 get: not all from the cache"
echo "V1 and V2 content information OK"

# 4. Resume: a slow origin, the first get killed once some blocks are in the cache; the re-run
#    takes those from the cache and asks the origin only for the rest.
kill "$origin_pid"; wait "$origin_pid" 2>/dev/null || true
start_origin --range-delay 0.4
head -c $((64 * 1024 * 1024)) /dev/urandom >"$work/www/big.bin"
"$cli" hash --key-hex "$key" "$work/www/big.bin" -o "$work/www/big.bin.ci" 2>/dev/null
origin_before=$("$cli" status --json | tr -d ' \n' | sed -n 's/.*"bytes_from_origin":\([0-9]*\).*/\1/p')
"$cli" get "$base/big.bin" -o "$work/out/big.bin" --parallel 1 --no-progress >/dev/null 2>&1 &
get_pid=$!
for _ in $(seq 1 300); do
  now=$("$cli" status --json | tr -d ' \n' | sed -n 's/.*"bytes_from_origin":\([0-9]*\).*/\1/p')
  [ "${now:-0}" -gt "${origin_before:-0}" ] && break
  sleep 0.05
done
kill -9 "$get_pid"; wait "$get_pid" 2>/dev/null || true
[ ! -e "$work/out/big.bin" ] || fail "an interrupted get left the final file"
kill "$origin_pid"; wait "$origin_pid" 2>/dev/null || true
start_origin
from=$(($(log_lines) + 1))
"$cli" get "$base/big.bin" -o "$work/out/big.bin" --json >"$work/resume.json" 2>/dev/null || fail "resumed get"
cmp "$work/www/big.bin" "$work/out/big.bin" || fail "resumed copy differs"
cached=$(peerdist_json_field "$work/resume.json" from_cache)
origin=$(peerdist_json_field "$work/resume.json" from_origin)
[ "$cached" -gt 0 ] || fail "the resumed get took nothing from the cache"
[ $((cached + origin)) = $((64 * 1024 * 1024)) ] || fail "resumed get: $cached + $origin bytes"
[ "$(origin_range_bytes "$from")" = "$origin" ] || fail "the origin sent more than the rest"
[ ! -e "$work/out/big.bin.part" ] || fail "FILE.part left after success"
echo "resume: $cached bytes from the cache, $origin from the origin OK"

# 5. Redirects: 3 followed; 6 are too many.
"$cli" get "$base/redirect/3/content.bin" -o "$work/out/redirected.bin" --no-progress 2>/dev/null ||
  fail "3 redirects"
cmp "$work/www/content.bin" "$work/out/redirected.bin" || fail "redirected copy differs"
expect_error() {  # expect_error PATTERN ARGS...: fails with a message, leaves no output
  local pattern=$1
  shift
  rm -f "$work/out/bad.bin" "$work/out/bad.bin.part"
  if "$cli" get "$@" -o "$work/out/bad.bin" --no-progress 2>"$work/error.txt"; then
    fail "get $* succeeded"
  fi
  grep -q -- "$pattern" "$work/error.txt" || { cat "$work/error.txt"; fail "get $*: no '$pattern'"; }
  [ ! -e "$work/out/bad.bin" ] && [ ! -e "$work/out/bad.bin.part" ] || fail "get $* left output"
}
expect_error "more than 5 redirects" "$base/redirect/6/content.bin"
expect_error "404" "$base/nothing-here.bin"
expect_error "refused" "http://127.0.0.1:1/content.bin"
expect_error "cut short" "$base/truncated/content.bin" --no-peerdist
expect_error "not valid" "$base/badci/content.bin"
expect_error "ContentLength" "$base/nolength/content.bin"
expect_error "TLS handshake failed" "https://${base#http://}/content.bin"  # TLS to a plain server
expect_error "unsupported URL scheme" "ftp://127.0.0.1/content.bin"
echo "redirects, 404, refused, truncated, bad CI, missing ContentLength, TLS to plain HTTP, ftp: errors OK"

# 6. No peerdistd: a message, then a plain download, named after the URL.
(cd "$work/out" && PEERDIST_SOCKET="$work/no-such-socket" "$cli" get "$base/content.bin" --json \
  >"$work/plain.json" 2>"$work/plain.err") || { cat "$work/plain.err"; fail "get without peerdistd"; }
grep -q "not reachable" "$work/plain.err" || fail "no message about peerdistd"
cmp "$work/www/content.bin" "$work/out/content.bin" || fail "plain copy differs"
[ "$(peerdist_json_field "$work/plain.json" peerdist)" = false ] || fail "plain get said peerdist"
echo "without peerdistd: plain download OK"

# 7. peerdistd disabled by policy: the same (BranchCache is off here), after a clear message.
printf 'enabled = false\n' >"$work/disabled.toml"
"$daemon" --config "$work/disabled.toml" --state-dir "$work/disabled-state" --socket "$work/disabled.sock" \
  --foreground >"$work/disabled.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$work/disabled.sock" ] && break; sleep 0.1; done
PEERDIST_SOCKET="$work/disabled.sock" "$cli" get "$base/content.bin" -o "$work/out/disabled.bin" --json \
  >"$work/disabled.json" 2>"$work/disabled.err" || { cat "$work/disabled.err"; fail "get with peerdistd disabled"; }
cmp "$work/www/content.bin" "$work/out/disabled.bin" || fail "copy with peerdistd disabled differs"
[ "$(peerdist_json_field "$work/disabled.json" peerdist)" = false ] || fail "disabled: still peerdist"
grep -q "not available" "$work/disabled.err" || { cat "$work/disabled.err"; fail "disabled: no message"; }
echo "peerdistd disabled by policy: plain download OK"
echo PASS
