#!/usr/bin/env bash
# User-space instructions per echoed datagram of an echo server, counted by callgrind: the
# same for the same binary and load whatever else the machine does, so it shows what a change
# to the per-datagram path costs without the noise of timing. 200 connections, 16 in flight,
# 32-byte datagrams, 5 s of load against the server running under valgrind.
#
#   bench/instructions_per_message.sh "server command" [PROFILE]
#   e.g. bench/instructions_per_message.sh "build-bench/bench/queuednet-echo-server --backend epoll --threads 0"
# With PROFILE, the callgrind profile is kept there (read it with callgrind_annotate, e.g.
# --inclusive=yes for each function's cost with what it calls).
set -euo pipefail
[ $# -eq 1 ] || [ $# -eq 2 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }
load=$(dirname "$0")/../build-bench/bench/queuednet-echo-load
command -v valgrind >/dev/null || { echo "instructions_per_message.sh: needs valgrind" >&2; exit 2; }
out=$(mktemp)
if [ $# -eq 2 ]; then
  profile=$2
  trap 'rm -f "$out"' EXIT
else
  profile=$(mktemp)
  trap 'rm -f "$profile" "$out"' EXIT
fi
# shellcheck disable=SC2086 # the command is a word list
valgrind --tool=callgrind --callgrind-out-file="$profile" $1 --port 0 --duration 15 >"$out" 2>&1 &
pid=$!
for _ in $(seq 1 400); do grep -q '^listening on' "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
line=$("$load" --port "$port" --connections 200 --window 16 --size 32 --duration 5 2>/dev/null | tail -n 1)
wait "$pid" || true
n=$(sed -n 's/.* received=\([0-9]*\).*/\1/p' <<<"$line")
total=$(callgrind_annotate "$profile" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "echoes=$n instructions=$total instructions_per_echo=$(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.0f", t / n }')"
