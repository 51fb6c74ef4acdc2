#!/usr/bin/env bash
# Retrieval from a peer vs hashing, in one run (issue 4's benchmark):
#   1. `openssl dgst -sha256` of a SIZE_MIB file (the floor: every block is verified by hash);
#   2. `peerdist fetch` of the same content by a client daemon D whose cache is empty, from one
#      peer A that holds it, over loopback, MS-PCCRR with AES-128: the ratio fetch / openssl;
#   3. the first block's latency with discovery: RUNS contents of one block each, each fetched
#      once by D (so every fetch probes: no remembered peer), median and worst of the time from
#      the first read to its bytes, against the discovery wait (300 ms).
# The two daemons run in a network namespace this script makes (loopback with multicast).
#
#   bench/distributed_fetch.sh BUILD_DIR [SIZE_MIB=1024] [RUNS=20]
set -euo pipefail
build=$(realpath "${1:?usage: $0 BUILD_DIR [SIZE_MIB] [RUNS]}")
size_mib=${2:-1024}
runs=${3:-20}
daemon=$build/src/service/peerdistd
cli=$build/src/cli/peerdist
. "$(dirname "$0")/../tests/support/peerdist.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (a network namespace)" >&2; exit 1; }

work=$(mktemp -d /dev/shm/peerdist-bench.XXXXXX 2>/dev/null || mktemp -d)
ns="pdb$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link set lo multicast on
ip -n "$ns" route add 224.0.0.0/4 dev lo

start_daemon() {  # NAME PORT
  mkdir -p "$work/$1"
  printf '[distributed]\nport = %s\nlisten = ["127.0.0.1"]\ndiscovery_port = 3702\ndiscovery_interfaces = ["lo"]\ncrypto = "aes128"\n[cache]\nmax_size = "%sMiB"\n' \
    "$2" "$((size_mib * 2 + 256))" >"$work/$1/peerdistd.toml"
  peerdist_start_daemon "$daemon" "$work/$1" ip netns exec "$ns" ||
    { echo "daemon $1 did not start" >&2; exit 1; }
}
pd() { local name=$1; shift; PEERDIST_SOCKET="$work/$name/socket" "$cli" "$@"; }
field() { tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9.e-]*\).*/\1/p"; }
min() { if [ -z "$1" ]; then echo "$2"; else awk -v a="$1" -v b="$2" 'BEGIN {print (b < a ? b : a)}'; fi; }

start_daemon A 18091
start_daemon D 18092
key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/content.bin"
pd A hash --key-hex "$key" --no-progress "$work/content.bin" -o "$work/content.ci" 2>/dev/null
pd A fetch "$work/content.ci" -o "$work/A.out" --origin "$work/content.bin" --no-progress 2>/dev/null
rm -f "$work/A.out"

ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
best_openssl=""
best_fetch=""
for attempt in 1 2 3; do
  start=$(date +%s.%N)
  openssl dgst -sha256 "$work/content.bin" >/dev/null
  t=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.3f", b - a}')
  best_openssl=$(min "$best_openssl" "$t")

  pd D cache clear >/dev/null
  a0=$(cpu_of "${pids[0]}") d0=$(cpu_of "${pids[1]}")
  /usr/bin/time -f "%U %S" -o "$work/fetch.time" \
    env PEERDIST_SOCKET="$work/D/socket" "$cli" fetch "$work/content.ci" -o "$work/D.out" \
    --no-progress --json >"$work/fetch.json" 2>/dev/null
  cpu=$(awk -v a="$(cpu_of "${pids[0]}")" -v a0="$a0" -v d="$(cpu_of "${pids[1]}")" -v d0="$d0" \
    '{printf "CPU: peer A %.2f s, daemon D %.2f s, peerdist fetch %.2f s", a - a0, d - d0, $1 + $2}' \
    "$work/fetch.time")
  cmp -s "$work/content.bin" "$work/D.out" || { echo "D's copy differs" >&2; exit 1; }
  [ "$(field from_peers <"$work/fetch.json")" = "$((size_mib * 1024 * 1024))" ] ||
    { echo "D did not take everything from A: $(cat "$work/fetch.json")" >&2; exit 1; }
  t=$(field seconds <"$work/fetch.json")
  rm -f "$work/D.out"
  best_fetch=$(min "$best_fetch" "$t")
  echo "  run $attempt: openssl ${best_openssl} s (best so far), fetch $t s ($cpu)"
done
ratio=$(awk -v a="$best_fetch" -v b="$best_openssl" 'BEGIN {printf "%.2f", a / b}')
echo "retrieval of ${size_mib} MiB from one peer (loopback, AES-128): ${best_fetch} s;" \
  "openssl dgst -sha256: ${best_openssl} s; ratio ${ratio} (target 1.2)"

# First-block latency: one fresh one-block content per run, so that every fetch discovers.
latencies=()
for i in $(seq 1 "$runs"); do
  head -c 65536 /dev/urandom >"$work/small$i.bin"
  pd A hash --key-hex "$key" --no-progress "$work/small$i.bin" -o "$work/small$i.ci" 2>/dev/null
  pd A fetch "$work/small$i.ci" -o "$work/small$i.a" --origin "$work/small$i.bin" --no-progress \
    2>/dev/null
  pd D fetch "$work/small$i.ci" -o "$work/small$i.d" --no-progress --json >"$work/small.json" \
    2>/dev/null
  cmp -s "$work/small$i.bin" "$work/small$i.d" || { echo "small copy $i differs" >&2; exit 1; }
  [ "$(field from_peers <"$work/small.json")" = 65536 ] || { echo "run $i not from the peer" >&2; exit 1; }
  latencies+=("$(field first_byte_seconds <"$work/small.json")")
done
sorted=$(printf '%s\n' "${latencies[@]}" | sort -g)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}')
worst=$(echo "$sorted" | tail -n 1)
echo "first block with discovery over $runs runs: median $(awk -v s="$median" 'BEGIN {printf "%.1f", s * 1000}') ms," \
  "worst $(awk -v s="$worst" 'BEGIN {printf "%.1f", s * 1000}') ms (discovery wait 300 ms; responders back off up to 65 ms)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
