#!/usr/bin/env bash
# Compares echo servers under the same load in one run, interleaved round by round: the
# server's CPU per message (its threads' CPU time from /proc/PID/task/*/schedstat over the
# load run, divided by the echoes), and each server's ratio to the first one, per round and
# as the median of the rounds; per round also its user and system time per message (from
# /proc/PID/stat, in clock ticks: coarse for short runs). The server runs on CPU 1,
# queuednet-echo-load on CPU 0.
#
#   bench/compare_servers.sh [--size BYTES] CONNECTIONS WINDOW ROUNDS SECONDS "label|server command" ...
#
# Datagrams carry 32 bytes unless --size says otherwise.
# A server command is a program and its arguments, started with --port 0 --duration added;
# it must print "listening on HOST:PORT" like queuednet-echo-server and baseline-epoll-echo.
# Example, before against after (build the older commit elsewhere):
#   bench/compare_servers.sh 1000 16 3 2 "base|build-bench/bench/baseline-epoll-echo --threads 1" \
#     "before|/tmp/old/build/bench/queuednet-echo-server --backend epoll --threads 0" \
#     "after|build-bench/bench/queuednet-echo-server --backend epoll --threads 0"
set -euo pipefail
size=32
if [ "${1:-}" = --size ]; then
  [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "compare_servers.sh: --size needs a byte count" >&2; exit 2; }
  size=$2
  shift 2
fi
[ $# -ge 5 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }
conns=$1 window=$2 rounds=$3 secs=$4
shift 4
load=$(dirname "$0")/../build-bench/bench/queuednet-echo-load
[ -x "$load" ] || { echo "compare_servers.sh: build queuednet-echo-load first (bench/run_benchmarks.sh does)" >&2; exit 2; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
ticks() { awk '{ print $14, $15 }' /proc/"$1"/stat 2>/dev/null; }  # user and system, all threads
hz=$(getconf CLK_TCK)
declare -A cpus
labels=()
for entry in "$@"; do labels+=("${entry%%|*}"); done
for ((r = 1; r <= rounds; r++)); do
  for entry in "$@"; do
    label=${entry%%|*} cmd=${entry#*|}
    out=$(mktemp)
    # shellcheck disable=SC2086 # the command is a word list
    taskset -c 1 $cmd --port 0 --duration $((secs + 30)) >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do grep -q '^listening on' "$out" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
    before=$(cpu_ns "$pid") ticks_before=$(ticks "$pid")
    line=$(timeout $((secs + 30)) taskset -c 0 "$load" --port "$port" --connections "$conns" --window "$window" \
             --size "$size" --duration "$secs" 2>/dev/null | tail -n 1 || true)
    after=$(cpu_ns "$pid") ticks_after=$(ticks "$pid")
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$out"
    n=$(sed -n 's/.* received=\([0-9]*\).*/\1/p' <<<"$line")
    cpu=$(awk -v a="$after" -v b="$before" -v n="${n:-0}" 'BEGIN { if (n > 0) printf "%.3f", (a - b) / 1000 / n; else print "nan" }')
    cpus[$label]+=" $cpu"
    split=$(awk -v b="$ticks_before" -v a="$ticks_after" -v hz="$hz" -v n="${n:-0}" 'BEGIN {
      split(b, x, " "); split(a, y, " ")
      if (n > 0) printf "user_us_per_msg=%.3f sys_us_per_msg=%.3f", (y[1] - x[1]) * 1e6 / hz / n, (y[2] - x[2]) * 1e6 / hz / n
    }')
    echo "round $r: $label cpu_us_per_msg=$cpu $split $(sed -n 's/.*\(result=[a-zA-Z]*\).*/\1/p' <<<"$line")" >&2
  done
done
first=${labels[0]}
for l in "${labels[@]}"; do echo "$l cpu_us_per_msg:${cpus[$l]}"; done
read -ra base <<<"${cpus[$first]}"
for l in "${labels[@]:1}"; do
  read -ra mine <<<"${cpus[$l]}"
  ratios=""
  for i in "${!base[@]}"; do ratios+=" $(awk -v a="${mine[$i]}" -v b="${base[$i]}" 'BEGIN { printf "%.3f", a / b }')"; done
  median=$(printf '%s\n' $ratios | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
  echo "$l / $first:$ratios median=$median"
done
