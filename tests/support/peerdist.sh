# shellcheck shell=bash
# Shell helpers of the script tests and benchmarks (sourced, not run):
#   . "$(dirname "$0")/../support/peerdist.sh"     (tests)
#   . "$(dirname "$0")/../tests/support/peerdist.sh"  (bench)
#
#   make_work NAME   sets $work to a new /tmp/peerdist-NAME.XXXXXX and removes it on exit with
#                    every process whose pid is in `pids` (keep_work=1 keeps the directory)
#   pids+=($!)       after starting a background process: killed and waited for on exit

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

# peerdist_json_field FILE KEY: the value (number, true/false) of a key that occurs once in a
# JSON document such as `peerdist get --json` or `peerdist fetch --json` prints.
peerdist_json_field() {
  tr -d ' \n' <"$1" | sed -n "s/.*\"$2\":\([0-9.a-z-]*\).*/\1/p"
}

# peerdist_start_daemon PEERDISTD DIR [PREFIX...]: peerdistd in the background with
# DIR/peerdistd.toml (written by the caller), its state in DIR/state, its socket DIR/socket and
# its log DIR/daemon.log, run behind PREFIX (e.g. `ip netns exec NS`); the pid is appended to
# the caller's array `pids` (the caller's trap ends them). Returns 1 unless the socket is there
# within 10 s.
peerdist_start_daemon() {
  local daemon=$1 dir=$2
  shift 2
  "$@" "$daemon" --config "$dir/peerdistd.toml" --state-dir "$dir/state" --socket "$dir/socket" \
    --foreground >"$dir/daemon.log" 2>&1 &
  pids+=($!)
  local _
  for _ in $(seq 1 100); do
    [ -S "$dir/socket" ] && return 0
    sleep 0.1
  done
  return 1
}
