#!/usr/bin/env bash
# HTTP with BranchCache end to end (issue 5): an origin host and two client hosts, each client
# with its own peerdistd, on a bridge (network namespaces this test makes and removes;
# discovery over real multicast). The first `peerdist get` takes everything from the origin;
# the second takes at least 95% of the bytes from the first client (MS-PCCRD + MS-PCCRR) and
# the origin's access log shows only the content-information request and no more than the
# rest; both files are byte-identical to the original.
#
#   pccrtp_e2e_test.sh PEERDISTD PEERDIST ORIGIN
#
# ORIGIN: "serve" (`peerdist serve`) or "test-origin" (tests/pccrtp/test_origin.py with CIs
# made by `peerdist hash`). Needs root (namespaces); exits 77 (CTest: skipped) without it.
set -euo pipefail
daemon=$(realpath "$1")
cli=$(realpath "$2")
origin_kind=${3:-serve}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../support/peerdist.sh"

if [ "$(id -u)" != 0 ]; then echo "SKIP: network namespaces need root"; exit 77; fi
if ! command -v ip >/dev/null; then echo "SKIP: iproute2's ip is missing"; exit 77; fi
if [ "$origin_kind" = test-origin ] && ! command -v python3 >/dev/null; then
  echo "SKIP: python3 (the test origin) is missing"; exit 77
fi

work=$(mktemp -d /tmp/peerdist-pccrtp.XXXXXX)
prefix="pdh$$"
pids=()
namespaces=()
cleanup() {
  local pid ns
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ "${keep_work:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  local log
  for log in "$work"/*/daemon.log "$work/origin.out"; do
    [ -f "$log" ] || continue
    echo "--- $log (last 30 lines)" >&2
    tail -n 30 "$log" >&2
  done
  exit 1
}
add_namespace() {
  ip netns add "$1"
  namespaces+=("$1")
  ip -n "$1" link set lo up
}
start_daemon() {  # start_daemon NAME NAMESPACE CONFIG_TEXT
  local name=$1 ns=$2 config=$3
  mkdir -p "$work/$name"
  printf '%s\n' "$config" >"$work/$name/peerdistd.toml"
  peerdist_start_daemon "$daemon" "$work/$name" ip netns exec "$ns" || fail "$name did not start"
}
# get NAME: `peerdist get` of the content on client NAME, inside its namespace.
get() {
  local name=$1
  ip netns exec "$prefix-$name" env PEERDIST_SOCKET="$work/$name/socket" "$cli" get \
    "$url" -o "$work/$name/content.bin" --timeout "$peer_timeout" --no-progress --json \
    >"$work/$name/get.json" 2>"$work/$name/get.err" || { cat "$work/$name/get.err"; fail "$name: get"; }
}
# Reads that peers must answer wait up to this long (ms): sanitizer builds on a busy machine
# are slow, and a read past its timeout is fetched from the origin instead.
peer_timeout=60000

# Hosts: o (origin, 10.78.0.1), c1 and c2 (clients), on bridge br0 in a namespace of its own.
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
  ip -n "$prefix-$host" addr add "10.78.0.$i/24" dev eth0
  ip -n "$prefix-$host" link set eth0 up
done
start_daemon c1 "$prefix-c1" "$(printf '[distributed]\nport = 8080\nlisten = ["10.78.0.2"]\n')"
start_daemon c2 "$prefix-c2" "$(printf '[distributed]\nport = 8080\nlisten = ["10.78.0.3"]\n')"

# The content: 40 MiB and a bit (a last block that is not whole).
mkdir -p "$work/www"
size=$((40 * 1024 * 1024 + 4321))
head -c "$size" /dev/urandom >"$work/www/content.bin"
access_log="$work/access.log"
touch "$access_log"
case "$origin_kind" in
test-origin)
  key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
  "$cli" hash --key-hex "$key" "$work/www/content.bin" -o "$work/www/content.bin.ci" 2>/dev/null
  "$cli" hash --key-hex "$key" --ci-version 2 "$work/www/content.bin" -o "$work/www/content.bin.ci2" 2>/dev/null
  ip netns exec "$prefix-o" python3 "$here/test_origin.py" "$work/www" --listen 10.78.0.1:8000 \
    --log "$access_log" >"$work/origin.out" 2>&1 &
  pids+=($!)
  ;;
serve)
  ip netns exec "$prefix-o" "$cli" serve "$work/www" --listen 10.78.0.1:8000 \
    --state-dir "$work/serve-state" --access-log "$access_log" >"$work/origin.out" 2>&1 &
  pids+=($!)
  ;;
*) echo "unknown origin $origin_kind" >&2; exit 2 ;;
esac
url=http://10.78.0.1:8000/content.bin
for _ in $(seq 1 100); do
  ip netns exec "$prefix-c1" bash -c "exec 3<>/dev/tcp/10.78.0.1/8000" 2>/dev/null && break
  sleep 0.1
done

# Access-log accounting (`peerdist serve`'s format, which the test origin writes too):
#   <time> <client> <method> <target> <status> <body-bytes> <mode>
# mode peerdist-v1/peerdist-v2 (the test origin: peerdist) means the body was the CI.
peerdist_lines() { tail -n +"$1" "$access_log" | awk '$7 ~ /^peerdist/ { n++ } END { print n + 0 }'; }
sent_bytes() {  # the body bytes of the plain (content) responses from line $1 on
  tail -n +"$1" "$access_log" | awk '$7 !~ /^peerdist/ { n += $6 } END { print n + 0 }'
}
log_lines() { wc -l <"$access_log"; }

# A server that hashes on the first request may answer it with the plain content: ask until it
# answers with peerdist (the warm-up request is not one of the clients' gets).
if [ "$origin_kind" = serve ]; then
  for _ in $(seq 1 60); do
    ip netns exec "$prefix-c1" curl -s -o /dev/null -D "$work/warmup.head" -H 'Accept-Encoding: peerdist' \
      -H 'X-P2P-PeerDist: Version=1.1' \
      -H 'X-P2P-PeerDistEx: MinContentInformation=1.0, MaxContentInformation=2.0' "$url" || true
    grep -qi '^content-encoding: *peerdist' "$work/warmup.head" && break
    sleep 0.5
  done
fi

# c1: nobody has the content yet; everything comes from the origin.
from=$(($(log_lines) + 1))
get c1
cmp "$work/www/content.bin" "$work/c1/content.bin" || fail "c1's copy differs"
[ "$(peerdist_json_field "$work/c1/get.json" peerdist)" = true ] || fail "c1: the origin did not answer peerdist"
[ "$(peerdist_json_field "$work/c1/get.json" from_origin)" = "$size" ] || fail "c1: not everything from the origin"
echo "c1: $size bytes from the origin in $(peerdist_json_field "$work/c1/get.json" seconds) s" \
  "(origin sent $(sent_bytes "$from") bytes of content)"

# c2: at least 95% from c1; the origin sees the CI request and no more than the rest.
from=$(($(log_lines) + 1))
get c2
cmp "$work/www/content.bin" "$work/c2/content.bin" || fail "c2's copy differs"
peers=$(peerdist_json_field "$work/c2/get.json" from_peers)
origin=$(peerdist_json_field "$work/c2/get.json" from_origin)
[ $((peers * 100)) -ge $((size * 95)) ] || fail "c2 took only $peers of $size bytes from peers"
[ "$(peerdist_lines "$from")" = 1 ] || fail "c2: $(peerdist_lines "$from") peerdist answers, not 1"
sent=$(sent_bytes "$from")
[ "$sent" -le $((size - peers)) ] || fail "c2: the origin sent $sent bytes, more than the $((size - peers)) missing"
[ "$sent" = "$origin" ] || fail "c2 counted $origin bytes from the origin, the origin sent $sent"
echo "c2: $peers bytes from peers, $origin from the origin (origin sent $sent) in" \
  "$(peerdist_json_field "$work/c2/get.json" seconds) s"
echo PASS
