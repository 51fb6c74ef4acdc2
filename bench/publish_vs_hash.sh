#!/usr/bin/env bash
# Times publishing a file through the PeerDist API (`peerdist publish`, into a peerdistd of our
# own) against computing the same content information in-process (`peerdist hash`), in the same
# run, and reports the daemon's peak RSS. The ratio shows what the API, the socket and the
# shared-memory ring cost on top of hashing (target: <= 1.1; daemon peak RSS < 128 MiB).
# `peerdist publish` passes the file itself to the daemon, which maps and hashes it in place as
# `peerdist hash` does (docs/ipc.md "File pieces"). Also reports the CPU time each side used
# (client + daemon for publish), which a loaded machine disturbs less than wall time.
# Usage: bench/publish_vs_hash.sh [SIZE_MIB (default 1024)] [RUNS (default 3)] [CI_VERSION (default 1)]
# Needs a release build: cmake --preset release && cmake --build --preset release
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-3}
version=${3:-1}
cli=${PEERDIST_BIN:-build/release/src/cli/peerdist}
daemon=${PEERDISTD_BIN:-build/release/src/service/peerdistd}
for b in "$cli" "$daemon"; do [ -x "$b" ] || { echo "no $b: build the release preset first" >&2; exit 1; }; done

dir=$(mktemp -d /dev/shm/peerdist-bench.XXXXXX 2>/dev/null || mktemp -d)
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
file=$dir/content.bin
head -c $((size_mib * 1024 * 1024)) <(openssl enc -aes-128-ctr -pass pass:peerdist-bench -nosalt \
  -pbkdf2 </dev/zero 2>/dev/null) >"$file"
cat "$file" >/dev/null

mkdir -p "$dir/state"
printf 'content_information_versions = [%s]\n[secret]\npassphrase = "bench"\n' "$version" >"$dir/peerdistd.toml"
"$daemon" --foreground --config "$dir/peerdistd.toml" --state-dir "$dir/state" \
  --socket "$dir/peerdistd.sock" 2>"$dir/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$dir/peerdistd.sock" ] && break; sleep 0.1; done
export PEERDIST_SOCKET=$dir/peerdistd.sock
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

ticks=$(getconf CLK_TCK)
daemon_cpu() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$daemon_pid/stat"; }
best_hash="" best_publish="" cpu_hash="" cpu_publish=""
for i in $(seq "$runs"); do
  s=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$dir/time" "$cli" hash "$file" --passphrase bench --ci-version "$version" -o "$dir/hash.ci"
  e=$(date +%s.%N)
  t=$(awk "BEGIN{print $e - $s}"); [ -z "$best_hash" ] || awk "BEGIN{exit !($t < $best_hash)}" && best_hash=$t
  c=$(awk '{print $1 + $2}' "$dir/time"); [ -z "$cpu_hash" ] || awk "BEGIN{exit !($c < $cpu_hash)}" && cpu_hash=$c
  d0=$(daemon_cpu)
  s=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$dir/time" "$cli" publish "$file" --id "bench-$i" --no-progress 2>/dev/null
  e=$(date +%s.%N)
  d1=$(daemon_cpu)
  t=$(awk "BEGIN{print $e - $s}"); [ -z "$best_publish" ] || awk "BEGIN{exit !($t < $best_publish)}" && best_publish=$t
  c=$(awk -v d="$(awk "BEGIN{print $d1 - $d0}")" '{print $1 + $2 + d}' "$dir/time")
  [ -z "$cpu_publish" ] || awk "BEGIN{exit !($c < $cpu_publish)}" && cpu_publish=$c
  "$cli" ci --id "bench-$i" -o "$dir/published.ci"
  cmp "$dir/hash.ci" "$dir/published.ci"  # the same key and bytes: the same content information
  "$cli" unpublish --id "bench-$i"
done
rss_kib=$(awk '/VmHWM/{print $2}' "/proc/$daemon_pid/status")
ratio=$(awk "BEGIN{printf \"%.2f\", $best_publish / $best_hash}")
echo "peerdist publish vs peerdist hash, ${size_mib} MiB in memory, CI V${version}, best of ${runs}, $(nproc) cores"
echo "load average before the runs: ${load_before}"
printf '%-40s %6.2f s   CPU %5.2f s\n' "peerdist hash (in-process)" "$best_hash" "$cpu_hash"
printf '%-40s %6.2f s   CPU %5.2f s (client + daemon)   ratio %s (target <= 1.10: %s)\n' \
  "peerdist publish (API -> peerdistd)" "$best_publish" "$cpu_publish" "$ratio" \
  "$(awk "BEGIN{print ($ratio <= 1.10) ? \"ok\" : \"OVER TARGET\"}")"
printf '%-40s %6d MiB (target < 128: %s)\n' "peerdistd peak RSS" $((rss_kib / 1024)) \
  "$(awk "BEGIN{print ($rss_kib < 131072) ? \"ok\" : \"OVER TARGET\"}")"
