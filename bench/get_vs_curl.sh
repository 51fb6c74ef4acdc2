#!/usr/bin/env bash
# `peerdist get` from a peer vs `curl` from the origin, in one run (issue 5's benchmark):
# an origin host and two client hosts on a bridge (network namespaces), each client with its
# peerdistd. Client 1 gets a SIZE_MIB file (everything from the origin: this seeds the branch);
# then, from client 2:
#   1. `peerdist get` of the file: the bytes come from client 1 (discovery + MS-PCCRR, AES-128);
#   2. `curl` of the same URL from the origin (plain HTTP, no BranchCache).
# Reported: both times, the ratio get / curl, and the bytes the origin sent in each case (its
# access log: content bytes of plain responses, and the CI of the peerdist one).
#
# CI_VERSION (1 by default) is what the clients ask for: V2 content information of random data
# has ~13 segments per MiB and the service fetches them from peers one after another (~30 ms
# each), so V2 measures that, not the transfer; `GET_ARGS="--reads block --window 32"` helps it.
#
#   bench/get_vs_curl.sh BUILD_DIR [SIZE_MIB=1024] [ORIGIN=serve|test-origin] [CI_VERSION=1|2]
set -euo pipefail
build=$(realpath "${1:?usage: $0 BUILD_DIR [SIZE_MIB] [ORIGIN]}")
size_mib=${2:-1024}
origin_kind=${3:-serve}
ci_version=${4:-1}
daemon=$build/src/service/peerdistd
cli=$build/src/cli/peerdist
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/support/peerdist.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 1; }

# On disk, not /dev/shm: two caches, the origin's copy and three outputs of SIZE_MIB each.
work=$(mktemp -d /tmp/peerdist-get-bench.XXXXXX)
prefix="pgb$$"
pids=()
namespaces=()
cleanup() {
  local pid ns
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
add_namespace() {
  ip netns add "$1"
  namespaces+=("$1")
  ip -n "$1" link set lo up
}
add_namespace "$prefix-br"
ip -n "$prefix-br" link add br0 type bridge
ip -n "$prefix-br" link set br0 up
i=0
for host in o c1 c2; do
  i=$((i + 1))
  add_namespace "$prefix-$host"
  ip link add "$prefix-v$i" type veth peer name eth0 netns "$prefix-$host"
  ip link set "$prefix-v$i" netns "$prefix-br"
  ip -n "$prefix-br" link set "$prefix-v$i" master br0 up
  ip -n "$prefix-$host" addr add "10.79.0.$i/24" dev eth0
  ip -n "$prefix-$host" link set eth0 up
done
start_daemon() {  # NAME ADDRESS
  mkdir -p "$work/$1"
  printf '[distributed]\nport = 8080\nlisten = ["%s"]\ncrypto = "aes128"\n[cache]\nmax_size = "%sMiB"\n' \
    "$2" "$((size_mib * 2 + 256))" >"$work/$1/peerdistd.toml"
  peerdist_start_daemon "$daemon" "$work/$1" ip netns exec "$prefix-$1" ||
    { echo "daemon $1 did not start" >&2; exit 1; }
}
start_daemon c1 10.79.0.2
start_daemon c2 10.79.0.3

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$work/www"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/www/content.bin"
access_log=$work/access.log
touch "$access_log"
case "$origin_kind" in
test-origin)
  key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
  "$cli" hash --key-hex "$key" --no-progress "$work/www/content.bin" -o "$work/www/content.bin.ci" 2>/dev/null
  [ "$ci_version" = 1 ] ||
    "$cli" hash --key-hex "$key" --ci-version 2 --no-progress "$work/www/content.bin" -o "$work/www/content.bin.ci2" 2>/dev/null
  ip netns exec "$prefix-o" python3 "$here/../tests/pccrtp/test_origin.py" "$work/www" \
    --listen 10.79.0.1:8000 --log "$access_log" >"$work/origin.out" 2>&1 &
  ;;
serve)
  ip netns exec "$prefix-o" "$cli" serve "$work/www" --listen 10.79.0.1:8000 \
    --state-dir "$work/serve-state" --access-log "$access_log" >"$work/origin.out" 2>&1 &
  ;;
*) echo "unknown origin $origin_kind" >&2; exit 2 ;;
esac
pids+=($!)
url=http://10.79.0.1:8000/content.bin
peerdist_headers=(-H 'Accept-Encoding: peerdist' -H 'X-P2P-PeerDist: Version=1.1'
  -H "X-P2P-PeerDistEx: MinContentInformation=$ci_version.0, MaxContentInformation=$ci_version.0")
# Until the origin answers with peerdist (a server may hash the file on the first request).
for _ in $(seq 1 600); do
  if ip netns exec "$prefix-c1" curl -s -o /dev/null -D "$work/warmup.head" "${peerdist_headers[@]}" "$url" &&
    grep -qi '^content-encoding: *peerdist' "$work/warmup.head"; then
    break
  fi
  sleep 0.5
done
grep -qi '^content-encoding: *peerdist' "$work/warmup.head" || { echo "the origin never answered peerdist" >&2; exit 1; }

field() { tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9.a-z]*\).*/\1/p"; }
log_lines() { wc -l <"$access_log"; }
# Body bytes of every response logged from line $1 on (`peerdist serve`'s access log format,
# which the test origin writes too: <time> <client> <method> <target> <status> <bytes> <mode>).
sent_bytes() { tail -n +"$1" "$access_log" | awk '{ n += $6 } END { print n + 0 }'; }
get() {  # get HOST OUT
  ip netns exec "$prefix-$1" env PEERDIST_SOCKET="$work/$1/socket" "$cli" get "$url" -o "$2" \
    --timeout 60000 --no-progress --json --ci-version "$ci_version" ${GET_ARGS:-}
}

get c1 "$work/c1.out" >"$work/c1.json"
echo "seed (c1 from the origin): $(field seconds <"$work/c1.json") s," \
  "$(field from_origin <"$work/c1.json") bytes from the origin"
rm -f "$work/c1.out"
sync

from=$(($(log_lines) + 1))
get c2 "$work/c2.out" >"$work/c2.json"
get_origin=$(sent_bytes "$from")
get_seconds=$(field seconds <"$work/c2.json")
cmp -s "$work/www/content.bin" "$work/c2.out" || { echo "c2's copy differs" >&2; exit 1; }
rm -f "$work/c2.out"

from=$(($(log_lines) + 1))
start=$(date +%s.%N)
ip netns exec "$prefix-c2" curl -s -o "$work/curl.out" "$url"
end=$(date +%s.%N)
curl_seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
curl_origin=$(sent_bytes "$from")
cmp -s "$work/www/content.bin" "$work/curl.out" || { echo "curl's copy differs" >&2; exit 1; }

echo "size: $size_mib MiB; origin: $origin_kind; content information V$ci_version ${GET_ARGS:-}"
echo "peerdist get (c2): $get_seconds s: $(field from_peers <"$work/c2.json") bytes from peers," \
  "$(field from_origin <"$work/c2.json") from the origin; origin sent $get_origin bytes"
echo "curl (c2):         $curl_seconds s; origin sent $curl_origin bytes"
echo "ratio get / curl: $(awk -v a="$get_seconds" -v b="$curl_seconds" 'BEGIN { printf "%.2f", a / b }')"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
