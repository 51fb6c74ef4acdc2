#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and checks what tests/examples does not (it
# builds and runs the Windows-style example against the shared library):
#  * libpeerdist.so exports only the C API, the compat calls and the C++ API, with SONAME
#    libpeerdist.so.0;
#  * the example linked statically (libpeerdist.a and `pkg-config --static`) runs, and gets the
#    same content information as through the shared library;
#  * a C++ project with find_package(peerdist) -> peerdist::peerdist uses the C++ API.
#  * the content information the example retrieves equals `peerdist hash` of the same bytes.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS (e.g. -fsanitize=... for a sanitized build)]
set -euo pipefail
build=$1
source=$2
extra_flags=${3:-}
work=$(mktemp -d)
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
libdir=$(ls -d "$prefix"/lib*/ | head -1)
export PKG_CONFIG_PATH=$libdir/pkgconfig
test -f "$prefix/include/peerdist.h" && test -f "$prefix/include/peerdist_compat.h" \
  && test -f "$prefix/include/peerdist_win32.h" && test -f "$prefix/include/peerdist/peerdist.hpp"
echo "pkg-config: $(pkg-config --cflags --libs peerdist)"

# Exports: C API + compat + C++ API, nothing of the internals.
exports=$(nm -D --defined-only "$libdir/libpeerdist.so" | awk '{print $3}')
if echo "$exports" | grep -v -E '^(PeerDist|CreateIoCompletionPort|GetQueuedCompletionStatus|PostQueuedCompletionStatus|CreateEvent[AW]|SetEvent|ResetEvent|WaitForSingleObject|GetOverlappedResult|CloseHandle|[GS]etLastError|_ZNK?8peerdist(8Instance|17PublicationStream|24ContentInformationReader|17PublicationBuffer|13ClientContent)|_ZN8peerdist(14win32_category|15make_error_code))'; then
  echo "unexpected exports above" >&2
  exit 1
fi
readelf -d "$libdir/libpeerdist.so" | grep -q 'SONAME.*libpeerdist.so.0'

# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror $extra_flags -o "$work/example" "$source/examples/publish_and_retrieve.c" \
  $(pkg-config --cflags --libs peerdist) -Wl,-rpath,"$libdir"
# The static library, and what `pkg-config --static` says it needs besides.
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror $extra_flags -o "$work/example-static" \
  "$source/examples/publish_and_retrieve.c" $(pkg-config --cflags peerdist) \
  "$libdir/libpeerdist.a" $(pkg-config --static --libs-only-l --libs-only-other peerdist | sed 's/-lpeerdist//')
if ldd "$work/example-static" | grep -q libpeerdist; then echo "static example links the .so" >&2; exit 1; fi

cmake -S "$source/tests/api/install" -B "$work/consumer" -G Ninja \
  -DCMAKE_CXX_FLAGS="$extra_flags" -DCMAKE_EXE_LINKER_FLAGS="$extra_flags" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_RPATH="$libdir" > "$work/consumer.log"
cmake --build "$work/consumer" > "$work/consumer-build.log"

# Run them against the installed daemon.
mkdir -p "$work/state"
printf '[secret]\nkey_hex = "00112233"\n' > "$work/peerdistd.toml"
export PEERDIST_SOCKET=$work/peerdistd.sock
"$prefix/bin/peerdistd" --foreground --config "$work/peerdistd.toml" --state-dir "$work/state" \
  --socket "$PEERDIST_SOCKET" 2> "$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 200); do [ -S "$PEERDIST_SOCKET" ] && break; sleep 0.05; done
head -c 3000000 /dev/urandom > "$work/content"
timeout 60 "$work/example" "$work/content" shared-example "$work/ci-shared"
timeout 60 "$work/example-static" "$work/content" static-example "$work/ci-static"
cmp "$work/ci-shared" "$work/ci-static"  # the same bytes and key: the same CI
# ... and the same as computing it in-process: the non-Ex open gives the highest configured
# version, V2 by default.
"$prefix/bin/peerdist" hash "$work/content" --key-hex 00112233 --ci-version 2 -o "$work/ci-hash"
cmp "$work/ci-shared" "$work/ci-hash"
timeout 60 "$work/consumer/consumer"
echo "install test passed"
