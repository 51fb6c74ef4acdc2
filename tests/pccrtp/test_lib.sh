# Sourced by the loopback tests of tests/pccrtp: a work directory and the processes a test
# starts, all removed on exit (keep_work=1 keeps the directory for a look).
#
#   make_work NAME        sets $work to a new /tmp/peerdist-NAME.XXXXXX
#   pids+=($!)            after starting a background process: killed and waited for on exit

pids=()
make_work() {
  work=$(mktemp -d "/tmp/peerdist-$1.XXXXXX")
  trap cleanup EXIT
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${keep_work:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
