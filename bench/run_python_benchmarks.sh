#!/usr/bin/env bash
# Python echo servers against each other and the C++ one, same load, one run, servers
# interleaved round by round: queuednet-echo-server (C++, polled), bench/python_echo_server.py
# --style manual (the Panda3D manual's loop: dataAvailable, getData, send per datagram) and
# --style batch (getDataBatch / sendBatch), and their peers bench/asyncio_echo_server.py on
# asyncio and on uvloop (an asyncio Protocol that splits the frames in Python, one handler
# call per datagram). All are single-threaded. 32-byte datagrams at each connection count and
# window; queuednet-echo-load verifies every echo. The server runs on CPU 1, the load on CPU 0
# (when there are two CPUs).
#
# Prints a Markdown table per cell, with the median over the rounds of msgs/s and of the
# server's CPU per message (its threads' CPU time from /proc/PID/task/*/schedstat over the load
# run, divided by the echoes), and that CPU's ratio to the asyncio and the uvloop server's.
#
#   bench/run_python_benchmarks.sh [SECONDS_PER_RUN] [CONNECTION_COUNTS] [WINDOWS] [ROUNDS]
#   e.g. flock /tmp/queuednet-cpu.lock bench/run_python_benchmarks.sh 3 "100 1000" "16 1" 3
# QUEUEDNET_BENCH_BUILD names the build tree to use (default build-bench, configured and built
# here); PYTHON_ECHO_SERVER replaces bench/python_echo_server.py (e.g. to run it on an older
# build of the module, PYTHONPATH set by the caller) and PYTHON_ECHO_STYLES the styles it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}
counts=${2:-"100 1000"}
windows=${3:-"16 1"}
rounds=${4:-3}
build=${QUEUEDNET_BENCH_BUILD:-build-bench}
scripts/install-deps.sh bench >&2
if [ -z "${QUEUEDNET_BENCH_BUILD:-}" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQUEUEDNET_BUILD_TESTS=OFF -DQUEUEDNET_PYTHON=ON >&2
  cmake --build "$build" -j"$(nproc)" --target queuednet-echo-server queuednet-echo-load _queuednet >&2
fi
case $build in /*) ;; *) build=$PWD/$build ;; esac
bin=$build/bench
export PYTHONPATH=${PYTHONPATH:-$build/python} QUEUEDNET_LOG=error
python=/usr/bin/python3
echo_server=${PYTHON_ECHO_SERVER:-bench/python_echo_server.py}
pin_server="" pin_load=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then pin_server="taskset -c 1" pin_load="taskset -c 0"; fi

servers=("C++ queuednet|$bin/queuednet-echo-server --threads 0")
for style in ${PYTHON_ECHO_STYLES:-manual batch}; do
  servers+=("Python $style|$python $echo_server --style $style")
done
servers+=("asyncio|$python bench/asyncio_echo_server.py" "uvloop|$python bench/asyncio_echo_server.py --uvloop")

cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "-" }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

run_one() {  # prints: msgs_per_sec cpu_us_per_msg result
  local cmd=$1 conns=$2 window=$3 out pid port line before after received
  out=$(mktemp)
  # shellcheck disable=SC2086 # the commands are word lists
  $pin_server $cmd --port 0 --duration $((seconds + 60)) >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do grep -q '^listening on' "$out" && break; sleep 0.05; done
  port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
  before=$(cpu_ns $pid)
  # shellcheck disable=SC2086
  line=$(timeout $((seconds + 60)) $pin_load "$bin/queuednet-echo-load" --port "${port:-1}" --connections "$conns" \
           --window "$window" --size 32 --duration "$seconds" 2>/dev/null | tail -n 1 || true)
  after=$(cpu_ns $pid)
  kill -INT $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  rm -f "$out"
  received=$(sed -n 's/.* received=\([0-9]*\).*/\1/p' <<<"$line")
  [ -n "$received" ] && [ "$received" -gt 0 ] || { echo "0 - FAILED"; return; }
  awk -v l="$line" -v b="$before" -v a="$after" -v r="$received" 'BEGIN {
    match(l, /msgs_per_sec=[0-9]+/); m = substr(l, RSTART + 13, RLENGTH - 13);
    match(l, /result=[A-Za-z]+/); res = substr(l, RSTART + 7, RLENGTH - 7);
    printf "%d %.3f %s\n", m, (a - b) / 1000 / r, res }'
}

echo "Python echo servers, 32-byte datagrams, $seconds s per run, median of $rounds rounds (servers interleaved)."
for conns in $counts; do
  for window in $windows; do
    declare -A rates=() cpus=() results=()
    for ((r = 1; r <= rounds; r++)); do
      for entry in "${servers[@]}"; do
        name=${entry%%|*}
        read -r rate cpu res < <(run_one "${entry#*|}" "$conns" "$window")
        rates[$name]+="$rate " results[$name]+="$res "
        [ "$cpu" = "-" ] || cpus[$name]+="$cpu "
      done
    done
    asyncio_cpu=$(tr ' ' '\n' <<<"${cpus[asyncio]:-}" | grep . | median)
    uvloop_cpu=$(tr ' ' '\n' <<<"${cpus[uvloop]:-}" | grep . | median)
    echo
    echo "$conns connections x $window in flight:"
    echo
    echo "| server | msgs/s | server CPU µs/msg | vs asyncio | vs uvloop | echoes |"
    echo "|---|---:|---:|---:|---:|---|"
    for entry in "${servers[@]}"; do
      name=${entry%%|*}
      rate=$(tr ' ' '\n' <<<"${rates[$name]}" | grep . | median)
      cpu=$(tr ' ' '\n' <<<"${cpus[$name]:-}" | grep . | median)
      verdict=$(tr ' ' '\n' <<<"${results[$name]}" | grep . | sort | uniq -c | awk '{ printf "%s%s×%s", (NR > 1 ? " " : ""), $1, $2 }')
      printf "| %s | %.0f | %s | %s | %s | %s |\n" "$name" "$rate" "$cpu" "$(ratio "$cpu" "$asyncio_cpu")" \
        "$(ratio "$cpu" "$uvloop_cpu")" "$verdict"
    done
    unset rates cpus results
  done
done
