#!/usr/bin/env bash
# Times `peerdist hash` against `openssl dgst` on the same in-memory file, in the same run:
#   V1 (SHA-256 blocks) against `openssl dgst -sha256`,
#   V2 (truncated SHA-512 segments) against `openssl dgst -sha512`.
# openssl dgst hashes on one core: it is the single-thread limit for the same hash, so the
# ratio shows how well peerdist uses the other cores (0.5 is the floor on two cores).
# Peak RSS is the whole process's, as /usr/bin/time reports it; it counts the pages of the file
# that peerdist has mapped, and must stay under 64 MiB whatever the size.
# Usage: bench/hash_vs_openssl.sh [SIZE_MIB (default 1024)] [RUNS (default 3)]
# Needs a release build: cmake --preset release && cmake --build --preset release
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-3}
bin=${PEERDIST_BIN:-build/release/src/cli/peerdist}
[ -x "$bin" ] || { echo "no $bin: build the release preset first" >&2; exit 1; }

dir=$(mktemp -d /dev/shm/peerdist-bench.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$dir"' EXIT
file=$dir/content.bin
# Deterministic incompressible bytes; /dev/shm keeps them in memory, so no disk is timed.
head -c $((size_mib * 1024 * 1024)) <(openssl enc -aes-128-ctr -pass pass:peerdist-bench -nosalt \
  -pbkdf2 </dev/zero 2>/dev/null) >"$file"
cat "$file" >/dev/null

# best_of CMD...: prints "seconds peak_rss_kib": the time of the fastest of $runs runs, the
# highest peak RSS of them all.
best_of() {
  local best="" rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/stderr" || { cat "$dir/stderr" >&2; exit 1; }
    read -r t m <"$dir/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$best $rss"
}

read -r o256 _ < <(best_of openssl dgst -sha256 "$file")
read -r o512 _ < <(best_of openssl dgst -sha512 "$file")
read -r v1 v1rss < <(best_of "$bin" hash "$file" --passphrase bench --ci-version 1 -o "$dir/v1.ci")
read -r v2 v2rss < <(best_of "$bin" hash "$file" --passphrase bench --ci-version 2 -o "$dir/v2.ci")

ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
verdict() { awk "BEGIN{print ($1 <= $2) ? \"ok\" : \"OVER TARGET\"}"; }
rss_verdict() { [ "$1" -lt $((64 * 1024)) ] && echo ok || echo "OVER TARGET"; }
r1=$(ratio "$v1" "$o256")
r2=$(ratio "$v2" "$o512")
echo "peerdist hash vs openssl dgst, ${size_mib} MiB in memory, best of ${runs}, $(nproc) cores"
printf '%-34s %8s s\n' "openssl dgst -sha256" "$o256"
printf '%-34s %8s s   ratio %s (target <= 0.60: %s)   peak RSS %d MiB (< 64: %s)\n' \
  "peerdist hash --ci-version 1" "$v1" "$r1" "$(verdict "$r1" 0.60)" $((v1rss / 1024)) \
  "$(rss_verdict "$v1rss")"
printf '%-34s %8s s\n' "openssl dgst -sha512" "$o512"
printf '%-34s %8s s   ratio %s (target <= 0.60: %s)   peak RSS %d MiB (< 64: %s)\n' \
  "peerdist hash --ci-version 2" "$v2" "$r2" "$(verdict "$r2" 0.60)" $((v2rss / 1024)) \
  "$(rss_verdict "$v2rss")"
