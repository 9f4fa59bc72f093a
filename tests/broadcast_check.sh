#!/usr/bin/env bash
# The broadcast workload end to end: the three programs' command lines, then verified runs of
# queuednet-broadcast-load (every delivery checked: room, size, padding, per-sender sequence,
# and the total) against queuednet-broadcast-server polled and with 2 workers and against
# baseline-epoll-broadcast with 1 and 2 threads; each server's summary must count exactly what
# the loads sent and got. Last, servers that break the protocol must fail the load: one that
# echoes instead of broadcasting, one that sends a datagram twice (the copy after every
# expected delivery), one that swaps two datagrams of a sender.
#   broadcast_check.sh BENCH_BIN_DIR
set -uo pipefail
bin=$1
server=$bin/queuednet-broadcast-server
baseline=$bin/baseline-epoll-broadcast
load=$bin/queuednet-broadcast-load
source "$(dirname "$0")/support/check_lib.sh"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"; }  # field KEY FILE: KEY=value in its one line

check_help "$server" "$baseline" "$load"
refuse "$server" "--threads: 'many' is not an integer in 0..256" --port 0 --threads many
refuse "$baseline" "--threads: '0' is not an integer in 1..256" --port 0 --threads 0
refuse "$load" "--size: '16' is not an integer in 17..65535" --port 1 --size 16
refuse "$load" "--room-size must not exceed --clients" --port 1 --clients 10 --room-size 11
refuse "$load" "--host: 'localhost' is not an IPv4 address" --port 1 --host localhost

# Starts a server in the background; sets $port, $out and $server_pid.
start_server() {
  out=$work/server.$RANDOM.out
  "$@" --port 0 --duration 120 >"$out" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 200); do grep -q '^listening on' "$out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
}
stop_server() {  # sets $server_rc
  kill -INT "$server_pid"
  wait "$server_pid"
  server_rc=$?
}

# Two loads per server: 200 clients in rooms of 10 (two load threads), 100 in one room of 100.
for server_command in "$server --threads 0" "$server --threads 2" "$baseline --threads 1" "$baseline --threads 2"; do
  name="${server_command##*/}"
  # shellcheck disable=SC2086 # the command is a word list
  start_server $server_command
  "$load" --port "$port" --clients 200 --room-size 10 --rate 10 --duration 2 --threads 2 >"$work/rooms10" 2>&1
  rc=$?
  check "$name: 200 clients in rooms of 10, every delivery checked" test "$rc" = 0 -a \
    "$(grep -c '^load: clients=200 room_size=10 .* delivered=\([1-9][0-9]*\) expected=\1 .*result=ok$' "$work/rooms10")" = 1
  "$load" --port "$port" --clients 100 --room-size 100 --rate 2 --duration 2 >"$work/rooms100" 2>&1
  rc=$?
  check "$name: 100 clients in one room of 100, every delivery checked" test "$rc" = 0 -a \
    "$(grep -c '^load: clients=100 room_size=100 .* delivered=\([1-9][0-9]*\) expected=\1 .*result=ok$' "$work/rooms100")" = 1
  stop_server
  check "$name: exits 0 on SIGINT" test "$server_rc" = 0
  sent=$(($(field sent "$work/rooms10") + $(field sent "$work/rooms100")))
  delivered=$(($(field delivered "$work/rooms10") + $(field delivered "$work/rooms100")))
  # Each client's join came in and went back once more than its data.
  check "$name: the summary counts $((sent + 300)) datagrams in and $((delivered + 300)) sent" \
    grep -q "^summary: connections=300 .*datagrams_in=$((sent + 300)) datagrams_sent=$((delivered + 300)) .*bad=0" "$out"
done
check "queuednet-broadcast-server: nothing refused or dropped" \
  test "$(cat "$work"/server.*.out | grep -c '^summary: .* refused=0 dropped=0 ')" = 2

# An echo server answers each join like a broadcast server but gives a client only its own
# datagrams: in rooms of 2 every client misses its neighbour's, and the load says so.
start_server "$bin/baseline-epoll-echo"
"$load" --port "$port" --clients 4 --room-size 2 --rate 10 --duration 0.5 >"$work/echo.out" 2>"$work/echo.err"
rc=$?
stop_server
check "an echo server fails the load: exit 1, result=FAILED" \
  grep -q '^load: clients=4 room_size=2 .*result=FAILED$' "$work/echo.out"
check "... with one line on stderr saying a client missed deliveries" \
  test "$rc" = 1 -a "$(lines "$work/echo.err")" = 1 -a \
       "$(grep -c '^queuednet-broadcast-load: client [0-9]* got [0-9]* of its [0-9]* deliveries' "$work/echo.err")" = 1

# tests/support/faulty_broadcast_server.py broadcasts correctly but for one fault, and says in
# its summary that it committed it; the load must name it.
faulty=$(dirname "$0")/support/faulty_broadcast_server.py
for fault in duplicate reorder; do
  start_server /usr/bin/python3 "$faulty" --fault "$fault"
  "$load" --port "$port" --clients 4 --room-size 2 --rate 50 --duration 0.5 >"$work/$fault.out" 2>"$work/$fault.err"
  rc=$?
  stop_server
  case $fault in
    duplicate) what="a duplicate" seqs="0 where [1-9][0-9]*" ;;
    reorder) what="a gap or a reordering" seqs="1 where 0" ;;
  esac
  check "a server that commits one $fault (its summary: faults=1) fails the load: exit 1, result=FAILED" \
    test "$rc" = 1 -a "$server_rc" = 0 -a "$(grep -c '^summary: faults=1$' "$out")" = 1 -a \
         "$(grep -c '^load: clients=4 room_size=2 .*result=FAILED$' "$work/$fault.out")" = 1
  pattern="^queuednet-broadcast-load: client [0-9]*: from sender [0-9]* sequence $seqs was expected ($what)\$"
  check "... with one line on stderr naming $what" \
    test "$(lines "$work/$fault.err")" = 1 -a "$(grep -c "$pattern" "$work/$fault.err")" = 1
done

echo "broadcast_check: $failures failure(s)"
[ "$failures" = 0 ]
