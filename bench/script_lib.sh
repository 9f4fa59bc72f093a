# Helpers shared by the bench scripts that start a server and a load in the background
# (bench/soak.sh, bench/idle_memory.sh). Source it from the script, after `set -euo pipefail`:
#   source "$(dirname "$0")/script_lib.sh"
# It sets a trap on EXIT that stops $server_pid and $load_pid (when set) and removes $work
# (when set).
# shellcheck shell=bash

script_name=${0##*/}
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The script's header comment (its lines 2 to `set -euo ...`), without the leading "# ".
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

# bad MESSAGE: a bad argument; one line on stderr, exit 2.
bad() {
  echo "$script_name: $1 (--help for usage)" >&2
  exit 2
}

# bench_binaries REQUIRED... [--optional OPTIONAL...]: sets $bin to $QUEUEDNET_BENCH_BIN when
# set; otherwise builds the programs (Release) in build-bench/, as bench/run_benchmarks.sh does,
# an optional one only where its library is installed (said on stderr when not), and sets $bin
# to build-bench/bench. Exits 2 if a required program is missing.
bench_binaries() {
  local required=() optional=() program
  while [ $# -gt 0 ] && [ "$1" != --optional ]; do required+=("$1"); shift; done
  [ $# -eq 0 ] || { shift; optional=("$@"); }
  if [ -n "${QUEUEDNET_BENCH_BIN:-}" ]; then
    bin=$QUEUEDNET_BENCH_BIN
  else
    cmake -S "$bench_root" -B "$bench_root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DQUEUEDNET_BUILD_TESTS=OFF >&2
    cmake --build "$bench_root/build-bench" -j"$(nproc)" --target "${required[@]}" >&2
    for program in ${optional[@]+"${optional[@]}"}; do
      cmake --build "$bench_root/build-bench" -j"$(nproc)" --target "$program" >/dev/null 2>&1 ||
        echo "$script_name: $program not built" >&2
    done
    bin=$bench_root/build-bench/bench
  fi
  for program in "${required[@]}"; do
    [ -x "$bin/$program" ] || { echo "$script_name: $bin/$program is missing" >&2; exit 2; }
  done
}

# wait_for PID SECONDS: true if PID exited within SECONDS (polled every 0.1 s).
wait_for() {
  local deadline=$(($(date +%s) + $2))
  while kill -0 "$1" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

server_pid=""
load_pid=""
work=""
cleanup() {
  [ -z "$load_pid" ] || kill "$load_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  [ -z "$work" ] || rm -rf "$work"
}
trap cleanup EXIT
