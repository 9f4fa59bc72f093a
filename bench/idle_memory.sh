#!/usr/bin/env bash
# What an idle connection costs each echo server in memory: the server's RSS (VmRSS) before
# and after queuednet-idle-load has opened N connections and exchanged one datagram on each.
#
#   bench/idle_memory.sh [--connections 5000] [--out FILE.csv]
#
# Servers: baseline-epoll-echo --threads 1; baseline-uring-echo --threads 1, peer-asio-echo
# --threads 1 and peer-libuv-echo --threads 1 when built; queuednet-echo-server on io_uring,
# epoll and poll, each polled (--threads 0) and with 2 workers. Bytes per connection is
# (after - before) / N: it includes whatever the server first touches while serving them (for
# queuednet on io_uring, pages of its provided receive buffers), not only per-connection state.
# Prints a markdown table; --out writes
# "server,backend,threads,rss_before_kb,rss_after_kb,bytes_per_connection" as CSV.
#
# Uses the binaries in $QUEUEDNET_BENCH_BIN when set; otherwise builds them (Release) in
# build-bench/, as bench/run_benchmarks.sh does. Exits 1 if a server could not be measured.
set -euo pipefail
# shellcheck source=bench/script_lib.sh
source "$(dirname "$0")/script_lib.sh"

connections=5000
out=""
while [ $# -gt 0 ]; do
  case $1 in --connections | --out) [ $# -ge 2 ] || bad "$1 needs a value" ;; esac
  case $1 in
    --connections) [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || bad "--connections: '$2' is not a positive integer"
      connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) bad "unexpected argument '$1'" ;;
  esac
done

bench_binaries queuednet-echo-server queuednet-idle-load baseline-epoll-echo \
  --optional baseline-uring-echo peer-asio-echo peer-libuv-echo

work=$(mktemp -d)

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"; }
# The RSS once two readings 0.5 s apart agree (at most 10 readings).
steady_rss_kb() {
  local previous current
  previous=$(rss_kb)
  for _ in $(seq 1 10); do
    sleep 0.5
    current=$(rss_kb)
    [ "$current" != "$previous" ] || break
    previous=$current
  done
  echo "$current"
}
stop() {  # stop PID: SIGINT, then SIGKILL after 15 s
  kill -INT "$1" 2>/dev/null || true
  wait_for "$1" 15 || kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

rows=()
failed=0
# measure PROGRAM ARGS...: one row, or a line on stderr saying why not.
measure() {
  local program=$1 name=${1##*/}
  shift
  local server_out=$work/server.out load_out=$work/load.out
  : >"$server_out"
  : >"$load_out"
  "$program" "$@" --port 0 --duration 600 >"$server_out" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do grep -q '^listening on' "$server_out" && break; sleep 0.1; done
  local port backend threads
  port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$server_out")
  backend=$(sed -n 's/^listening on .* backend=\([^ ]*\).*/\1/p' "$server_out")
  threads=$(sed -n 's/^listening on .* threads=\([0-9]*\).*/\1/p' "$server_out")
  if [ -z "$port" ]; then
    echo "idle_memory.sh: $name $* did not start: $(head -n 2 "$server_out" | tr '\n' ' ')" >&2
    stop "$server_pid"
    server_pid=""
    failed=1
    return
  fi
  local before after
  before=$(steady_rss_kb)
  "$bin/queuednet-idle-load" --port "$port" --connections "$connections" --hold 300 >"$load_out" 2>&1 &
  load_pid=$!
  for _ in $(seq 1 600); do
    grep -q '^ready:' "$load_out" && break
    kill -0 "$load_pid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q '^ready:' "$load_out"; then
    after=$(steady_rss_kb)
    rows+=("$name,$backend,$threads,$before,$after,$(((after - before) * 1024 / connections))")
  else
    echo "idle_memory.sh: $name $*: the idle load did not get ready: $(tr '\n' ' ' <"$load_out")" >&2
    failed=1
  fi
  stop "$load_pid"
  load_pid=""
  stop "$server_pid"
  server_pid=""
}

measure "$bin/baseline-epoll-echo" --threads 1
for optional in baseline-uring-echo peer-asio-echo peer-libuv-echo; do
  if [ -x "$bin/$optional" ]; then measure "$bin/$optional" --threads 1; else echo "idle_memory.sh: no $optional" >&2; fi
done
for backend in io_uring epoll poll; do
  for threads in 0 2; do measure "$bin/queuednet-echo-server" --backend "$backend" --threads "$threads"; done
done

echo "Server RSS with $connections idle connections, each after one echoed datagram:"
echo
echo "| server | backend | threads | RSS before (kB) | RSS after (kB) | bytes per connection |"
echo "|---|---|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  IFS=, read -r name backend threads before after per <<<"$row"
  echo "| $name | $backend | $threads | $before | $after | $per |"
done
if [ -n "$out" ]; then
  { echo "server,backend,threads,rss_before_kb,rss_after_kb,bytes_per_connection"; printf '%s\n' "${rows[@]}"; } >"$out"
fi
exit "$failed"
