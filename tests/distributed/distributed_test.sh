#!/usr/bin/env bash
# Distributed mode end to end, with real peerdistd processes in network namespaces that this
# test makes (and removes): discovery (MS-PCCRD) over real multicast, retrieval (MS-PCCRR) over
# TCP, the client API through `peerdist fetch` (StreamRead and BlockRead).
#
#   distributed_test.sh PEERDISTD PEERDIST SCENARIO
#
# Scenarios:
#   loopback  four daemons on one host (one namespace, loopback with multicast on, distinct
#             ports): seeds A and B, a peer C whose cache file is corrupted on disk, client D.
#             D ends with every byte from peers (StreamRead and BlockRead), C's bad blocks are
#             refused and never stored; with no peer holding a content D reports the missing
#             range, and --origin (AddData) completes it; then D serves it to A.
#   bridge    three hosts (namespaces) on a bridge (a fourth namespace): discovery across the
#             bridge, the client takes everything from the two others.
#
# Needs root (namespaces); exits 77 (CTest: skipped) without it.
set -euo pipefail
daemon=$(realpath "$1")
cli=$(realpath "$2")
. "$(dirname "$0")/../support/peerdist.sh"
scenario=$3

if [ "$(id -u)" != 0 ]; then echo "SKIP: network namespaces need root"; exit 77; fi
if ! command -v ip >/dev/null; then echo "SKIP: iproute2's ip is missing"; exit 77; fi

work=$(mktemp -d /tmp/peerdist-distributed.XXXXXX)
prefix="pdt$$"
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
  for log in "$work"/*/daemon.log; do
    [ -f "$log" ] || continue
    echo "--- $log (last 30 lines)" >&2
    tail -n 30 "$log" >&2
  done
  keep_work=0
  exit 1
}

add_namespace() {
  ip netns add "$1"
  namespaces+=("$1")
  ip -n "$1" link set lo up
}

# start_daemon NAME NAMESPACE CONFIG_TEXT: a daemon with its own state, socket and log.
start_daemon() {
  local name=$1 ns=$2 config=$3
  mkdir -p "$work/$name"
  printf '%s\n' "$config" >"$work/$name/peerdistd.toml"
  peerdist_start_daemon "$daemon" "$work/$name" ip netns exec "$ns" || fail "$name did not start"
}

# pd NAME ARGS...: the CLI against daemon NAME (the API's Unix socket needs no namespace).
pd() {
  local name=$1
  shift
  PEERDIST_SOCKET="$work/$name/socket" "$cli" "$@"
}

status_field() {  # status_field NAME KEY
  pd "$1" status --json >"$work/$1/status.json"
  peerdist_json_field "$work/$1/status.json" "$2"
}

make_content() {  # make_content FILE MIB
  head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$1"
}

# Reads that peers must answer wait up to this long (ms): sanitizer builds on a busy machine
# are slow, and a read past its timeout is reported missing (ERROR_TIMEOUT), not retried.
peer_timeout=60000

# The same server secret everywhere is not needed (peers never see it); a fixed key keeps the
# content information reproducible for the person reading a failure.
key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

case "$scenario" in
loopback)
  ns="$prefix-lo"
  add_namespace "$ns"
  ip -n "$ns" link set lo multicast on
  ip -n "$ns" route add 224.0.0.0/4 dev lo
  discovery_port=$((20000 + $$ % 20000))
  config() {  # config PORT [EXTRA]
    printf '[distributed]\nport = %s\nlisten = ["127.0.0.1"]\ndiscovery_port = %s\ndiscovery_interfaces = ["lo"]\n%s\n' \
      "$1" "$discovery_port" "${2:-}"
  }
  start_daemon A "$ns" "$(config 18081)"
  start_daemon B "$ns" "$(config 18082)"
  start_daemon C "$ns" "$(config 18083)"
  start_daemon D "$ns" "$(config 18084)"

  # 40 MiB of V1 content: two segments, 640 blocks. V2 content: a second file.
  make_content "$work/content.bin" 40
  pd A hash --key-hex "$key" "$work/content.bin" -o "$work/content.ci" 2>/dev/null
  make_content "$work/content2.bin" 3
  pd A hash --key-hex "$key" --ci-version 2 "$work/content2.bin" -o "$work/content2.ci" 2>/dev/null

  # Seeds: A and B get the content from the origin (their own copy), C too, then C's cache file
  # is damaged on disk, as a failing disk would: C serves wrong bytes with valid framing.
  for seed in A B C; do
    pd "$seed" fetch "$work/content.ci" -o "$work/$seed/content.out" --origin "$work/content.bin" \
      --no-progress 2>/dev/null || fail "seeding $seed"
  done
  pd A fetch "$work/content2.ci" -o "$work/A/content2.out" --origin "$work/content2.bin" \
    --no-progress 2>/dev/null || fail "seeding A with V2 content"
  found=0
  while IFS= read -r -d '' segment_file; do
    size=$(stat -c %s "$segment_file")
    # Flip one byte in every 64 KiB block of C's copy.
    for ((at = 100; at < size; at += 65536)); do
      printf '\xA5' | dd of="$segment_file" bs=1 seek="$at" conv=notrunc status=none
    done
    found=1
  done < <(find "$work/C/state/cache" -name '*.seg' -print0)
  [ "$found" = 1 ] || fail "no segment file in C's cache to damage"

  # D has only the content information: every byte from the peers (discovery on lo).
  pd D fetch "$work/content.ci" -o "$work/D/stream.out" --timeout "$peer_timeout" --no-progress --json \
    >"$work/D/stream.json" 2>"$work/D/stream.err" || { cat "$work/D/stream.err"; fail "D stream fetch"; }
  cmp "$work/content.bin" "$work/D/stream.out" || fail "D's StreamRead copy differs"
  [ "$(peerdist_json_field "$work/D/stream.json" from_origin)" = 0 ] || fail "D took bytes from the origin"
  peers=$(peerdist_json_field "$work/D/stream.json" from_peers)
  [ "$peers" = $((40 * 1024 * 1024)) ] || fail "D got $peers bytes from peers, not all 40 MiB"
  echo "D: StreamRead of 40 MiB from peers OK ($(peerdist_json_field "$work/D/stream.json" seconds) s)"

  # Whatever C sent was refused, never stored: D's copies are exact, and later reads come from
  # D's cache. F asks C and A directly (static peers, no discovery), so C is asked for blocks
  # for certain: F must set C aside and still finish with A's blocks.
  echo "D: $(status_field D bad_data) blocks failed verification, $(status_field D bad_peers) peer(s) set aside"
  start_daemon F "$ns" "$(config 18086 "discovery = false
peers = [\"127.0.0.1:18083\", \"127.0.0.1:18081\"]")"
  pd F fetch "$work/content.ci" -o "$work/F/stream.out" --timeout "$peer_timeout" --no-progress --json \
    >"$work/F/stream.json" 2>"$work/F/stream.err" || { cat "$work/F/stream.err"; fail "F fetch"; }
  cmp "$work/content.bin" "$work/F/stream.out" || fail "F's copy differs"
  bad=$(status_field F bad_peers)
  [ "${bad:-0}" -ge 1 ] || fail "F did not detect the corrupt peer C (bad_peers=${bad:-none})"
  echo "F: corrupt peer C detected ($(status_field F bad_data) bad blocks), copy exact from A"

  # BlockRead from D's own cache now, and a fresh client E reading with BlockRead from peers.
  pd D fetch "$work/content.ci" -o "$work/D/block.out" --reads block --local --no-progress \
    2>/dev/null || fail "D block fetch from its cache"
  cmp "$work/content.bin" "$work/D/block.out" || fail "D's BlockRead copy differs"
  start_daemon E "$ns" "$(config 18085)"
  pd E fetch "$work/content.ci" -o "$work/E/block.out" --timeout "$peer_timeout" --reads block --no-progress --json \
    >"$work/E/block.json" 2>"$work/E/block.err" || { cat "$work/E/block.err"; fail "E block fetch"; }
  cmp "$work/content.bin" "$work/E/block.out" || fail "E's BlockRead copy differs"
  [ "$(peerdist_json_field "$work/E/block.json" from_origin)" = 0 ] || fail "E took bytes from the origin"
  echo "E: BlockRead of 40 MiB from peers OK"

  # V2 content from A alone.
  pd D fetch "$work/content2.ci" -o "$work/D/content2.out" --timeout "$peer_timeout" --no-progress 2>/dev/null ||
    fail "D V2 fetch"
  cmp "$work/content2.bin" "$work/D/content2.out" || fail "D's V2 copy differs"
  echo "D: V2 content from peers OK"

  # A content no peer has: D reports the whole range missing, then takes it from the origin
  # (AddData, verified) and serves it to B.
  make_content "$work/lonely.bin" 2
  pd A hash --key-hex "$key" "$work/lonely.bin" -o "$work/lonely.ci" 2>/dev/null
  if pd D fetch "$work/lonely.ci" -o "$work/D/lonely.out" --timeout 2000 --no-progress \
    2>"$work/D/lonely.err"; then
    fail "D fetched a content no peer has"
  fi
  grep -q "bytes 0-2097151" "$work/D/lonely.err" || { cat "$work/D/lonely.err"; fail "wrong missing range"; }
  pd D fetch "$work/lonely.ci" -o "$work/D/lonely.out" --origin "$work/lonely.bin" --no-progress \
    2>/dev/null || fail "D with --origin"
  cmp "$work/lonely.bin" "$work/D/lonely.out" || fail "D's origin copy differs"
  pd B fetch "$work/lonely.ci" -o "$work/B/lonely.out" --timeout "$peer_timeout" --no-progress --json >"$work/B/lonely.json" \
    2>/dev/null || fail "B from D"
  cmp "$work/lonely.bin" "$work/B/lonely.out" || fail "B's copy differs"
  [ "$(peerdist_json_field "$work/B/lonely.json" from_peers)" = $((2 * 1024 * 1024)) ] ||
    fail "B did not get the content from D"
  echo "missing range reported, AddData completed it, D served it to B: OK"
  ;;

bridge)
  bridge="$prefix-br"
  add_namespace "$bridge"
  ip -n "$bridge" link add br0 type bridge
  ip -n "$bridge" link set br0 up
  for i in 1 2 3; do
    host="$prefix-h$i"
    add_namespace "$host"
    ip link add "$prefix-v$i" type veth peer name eth0 netns "$host"
    ip link set "$prefix-v$i" netns "$bridge"
    ip -n "$bridge" link set "$prefix-v$i" master br0 up
    ip -n "$host" addr add "10.77.0.$i/24" dev eth0
    ip -n "$host" link set eth0 up
  done
  # IPv6 duplicate address detection would hold the link-local addresses back a moment; the
  # test uses IPv4 (discovery also runs on ff02::c when the addresses are ready).
  for i in 1 2 3; do
    start_daemon "H$i" "$prefix-h$i" "$(printf '[distributed]\nport = 8080\nlisten = ["10.77.0.%s"]\n' "$i")"
  done
  make_content "$work/content.bin" 20
  pd H1 hash --key-hex "$key" "$work/content.bin" -o "$work/content.ci" 2>/dev/null
  for seed in H1 H2; do
    pd "$seed" fetch "$work/content.ci" -o "$work/$seed/content.out" --origin "$work/content.bin" \
      --no-progress 2>/dev/null || fail "seeding $seed"
  done
  pd H3 fetch "$work/content.ci" -o "$work/H3/content.out" --timeout "$peer_timeout" --no-progress --json \
    >"$work/H3/fetch.json" 2>"$work/H3/fetch.err" || { cat "$work/H3/fetch.err"; fail "H3 fetch"; }
  cmp "$work/content.bin" "$work/H3/content.out" || fail "H3's copy differs"
  [ "$(peerdist_json_field "$work/H3/fetch.json" from_peers)" = $((20 * 1024 * 1024)) ] ||
    fail "H3 did not get everything from peers"
  echo "bridge: H3 got 20 MiB from H1 and H2 over the bridge: OK"
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
echo PASS
