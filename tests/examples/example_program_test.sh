#!/usr/bin/env bash
# Installs the build tree to a scratch prefix, builds examples/publish_and_retrieve.c against it
# twice (pkg-config, then a CMake project with find_package), runs both against a peerdistd of
# our own, and compares the content information they retrieve with `peerdist hash`.
# Args: BUILD_DIR SOURCE_DIR PEERDISTD PEERDIST_CLI CC CMAKE
set -euo pipefail
build=$1 source=$2 daemon=$3 cli=$4 cc=$5 cmake=$6
work=$(mktemp -d)
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== install to a scratch prefix"
"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(find "$work/prefix" -name peerdist.pc | head -n 1)
[ -n "$pc" ] || { echo "no peerdist.pc installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
export PKG_CONFIG_PATH=$(dirname "$pc")

echo "== build the Windows-style program with pkg-config: $(pkg-config --cflags --libs peerdist)"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/example-pc" "$source/examples/publish_and_retrieve.c" \
  $(pkg-config --cflags --libs peerdist)

echo "== build it again as a CMake project with find_package(peerdist)"
"$cmake" -S "$source/tests/examples/cmake_consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DEXAMPLE_SOURCE="$source/examples/publish_and_retrieve.c" \
  -DCMAKE_C_COMPILER="$cc" >/dev/null
"$cmake" --build "$work/consumer" >/dev/null

echo "== start peerdistd"
key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
mkdir -p "$work/state" "$work/run"
printf '[secret]\nkey_hex = "%s"\n' "$key" >"$work/peerdistd.toml"
"$daemon" --foreground --config "$work/peerdistd.toml" --state-dir "$work/state" \
  --socket "$work/run/peerdistd.sock" 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$work/run/peerdistd.sock" ] && break; sleep 0.1; done
[ -S "$work/run/peerdistd.sock" ] || { cat "$work/daemon.log"; exit 1; }
export PEERDIST_SOCKET=$work/run/peerdistd.sock
export LD_LIBRARY_PATH=$libdir

# 3 MiB + 777 bytes: V1 = one segment of 49 blocks, V2 = dozens of segments.
head -c $((3 * 1024 * 1024 + 777)) /dev/urandom >"$work/content.bin"
# The non-Ex OpenContentInformation gives the highest configured version (V2 by default).
"$cli" hash "$work/content.bin" --key-hex "$key" --ci-version 2 -o "$work/expected.ci"

for program in "$work/example-pc" "$work/consumer/publish_and_retrieve"; do
  echo "== run $(basename "$program")"
  "$program" "$work/content.bin" "example content id" "$work/got.ci"
  cmp "$work/expected.ci" "$work/got.ci"
  echo "   content information identical to peerdist hash ($(stat -c %s "$work/got.ci") bytes)"
done
