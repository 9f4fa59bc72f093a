#!/usr/bin/env bash
# The Python echo server (examples/python/threaded_echo_server.py, on the queuednet module)
# next to the C++ one (queuednet-echo-server), same load, same run: polled and 2 workers, at
# 100 and 1,000 connections, window 1 and 16, 32-byte datagrams, every echo verified by
# queuednet-echo-load. Prints a Markdown table with the server's CPU per message; the
# difference between the two servers' CPU per message is the binding's (and Python's) own cost.
#
#   bench/run_python_benchmarks.sh [SECONDS_PER_RUN] [CONNECTION_COUNTS] [WINDOWS]
#   e.g. flock /tmp/queuednet-cpu.lock bench/run_python_benchmarks.sh 3 "100 1000" "1 16"
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}
counts=${2:-"100 1000"}
windows=${3:-"1 16"}
scripts/install-deps.sh >&2
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DQUEUEDNET_BUILD_TESTS=OFF -DQUEUEDNET_PYTHON=ON >&2
cmake --build build-bench -j"$(nproc)" --target queuednet-echo-server queuednet-echo-load _queuednet >&2
bin=build-bench/bench
export PYTHONPATH=$PWD/build-bench/python QUEUEDNET_LOG=error
tick=$(getconf CLK_TCK)

servers=()
for t in 0 2; do
  servers+=("C++ t=$t|$bin/queuednet-echo-server --threads $t")
  servers+=("Python t=$t|/usr/bin/python3 examples/python/threaded_echo_server.py --threads $t")
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() {  # prints: msgs_per_sec p50 p99 cpu_us_per_msg result
  local cmd=$1 conns=$2 window=$3 out pid port line ticks0 ticks1 received
  out=$(mktemp)
  $cmd --port 0 --duration $((seconds + 120)) >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 1 200); do grep -q '^listening on' "$out" && break; sleep 0.05; done
  port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
  ticks0=$(cpu_ticks $pid)
  line=$($bin/queuednet-echo-load --port "$port" --connections "$conns" --window "$window" --size 32 \
           --duration "$seconds" 2>&1 | tail -n 1 || true)
  ticks1=$(cpu_ticks $pid)
  kill -INT $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  rm -f "$out"
  received=$(sed -n 's/.* received=\([0-9]*\).*/\1/p' <<<"$line")
  [ -n "$received" ] && [ "$received" -gt 0 ] || { echo "0 - - - FAILED"; return; }
  awk -v l="$line" -v t0="$ticks0" -v t1="$ticks1" -v hz="$tick" -v r="$received" 'BEGIN {
    match(l, /msgs_per_sec=[0-9]+/); m = substr(l, RSTART + 13, RLENGTH - 13);
    match(l, /p50_us=[0-9]+/); p50 = substr(l, RSTART + 7, RLENGTH - 7);
    match(l, /p99_us=[0-9]+/); p99 = substr(l, RSTART + 7, RLENGTH - 7);
    match(l, /result=[A-Za-z]+/); res = substr(l, RSTART + 7, RLENGTH - 7);
    printf "%d %s %s %.2f %s\n", m, p50, p99, (t1 - t0) / hz * 1e6 / r, res }'
}

echo "| connections | window | server | msgs/s | vs C++ | p50 µs | p99 µs | server CPU µs/msg | Python's extra CPU µs/msg | echoes |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
for conns in $counts; do
  for window in $windows; do
    declare -A rate_of=() cpu_of=()
    for entry in "${servers[@]}"; do
      name=${entry%%|*}
      cmd=${entry#*|}
      read -r rate p50 p99 cpu res < <(run_one "$cmd" "$conns" "$window")
      t=${name##*t=}
      if [[ $name == C++* ]]; then
        rate_of[$t]=$rate cpu_of[$t]=$cpu ratio="1.00" extra="-"
      else
        ratio=$(awk -v a="$rate" -v b="${rate_of[$t]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        extra=$(awk -v a="$cpu" -v b="${cpu_of[$t]:-}" 'BEGIN { if (b != "" && a != "-") printf "%.2f", a - b; else print "-" }')
      fi
      echo "| $conns | $window | $name | $rate | $ratio | $p50 | $p99 | $cpu | $extra | $res |"
    done
  done
done
