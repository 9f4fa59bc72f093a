#!/usr/bin/env bash
# The bench programs as an operator uses them: --help, every bad argument refused with one line
# and exit 2, start-up failures in one line, --stats lines that match the summary, UDP echo,
# --reuse-port, and the load generator's progress lines.
#   bench_cli_check.sh BENCH_BIN_DIR
set -uo pipefail
bin=$1
server=$bin/queuednet-echo-server
load=$bin/queuednet-echo-load
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {  # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}
lines() { if [ -s "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# Starts a server (queuednet-echo-server, or the program in $server_program) in the background;
# sets $port, $udp_port and $out.
start_server() {
  out=$work/server.$RANDOM.out
  "${server_program:-$server}" "$@" >"$out" 2>&1 &
  pids+=($!)
  server_pid=$!
  for _ in $(seq 1 200); do grep -q '^listening on' "$out" && break; sleep 0.05; done
  port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
  udp_port=$(sed -n 's/.* udp=\([0-9]*\).*/\1/p' "$out")
}
stop_server() {
  kill -INT "$server_pid"
  wait "$server_pid"
}

# --help and -h: usage on stdout, exit 0.
for program in "$server" "$load" "$bin/queuednet-pingpong" "$bin/baseline-epoll-echo" "$bin/baseline-udp-echo"; do
  for flag in --help -h; do
    "$program" "$flag" >"$work/help" 2>"$work/err"
    rc=$?
    check "${program##*/} $flag exits 0 with usage on stdout" \
      test "$rc" = 0 -a "$(head -c 6 "$work/help")" = "usage:" -a ! -s "$work/err"
  done
done

# Bad arguments: exit 2, exactly one line on stderr naming the program, nothing on stdout.
refuse() {  # refuse PROGRAM EXPECTED_TEXT ARGS...
  local program=$1 expect=$2
  shift 2
  "$program" "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  check "${program##*/} $* -> exit 2, one line: $expect" \
    test "$rc" = 2 -a "$(lines "$work/err")" = 1 -a ! -s "$work/out" -a \
         "$(grep -c -F -- "${program##*/}: $expect" "$work/err")" = 1
}
refuse "$server" "--port: 'abc' is not an integer" --port abc
refuse "$server" "--port: '25212x' is not an integer" --port 25212x
refuse "$server" "--port: '70000' is not an integer in 0..65535" --port 70000
refuse "$server" "--threads: 'abc' is not an integer" --port 0 --threads abc
refuse "$server" "--duration: 'abc' is not a number" --port 0 --duration abc
refuse "$server" "--stats: 'x' is not a number" --port 0 --stats x
refuse "$server" "--udp: '-1' is not an integer" --port 0 --udp -1
refuse "$server" "--backend: 'fast' is not auto, io_uring, epoll or poll" --port 0 --backend fast
refuse "$server" "--header-size must be 0, 2 or 4" --port 0 --header-size 3
refuse "$server" "--port is required" --threads 1
refuse "$server" "--port needs a value" --port
refuse "$server" "unknown option --colour" --port 0 --colour
refuse "$server" "unexpected argument 'extra'" --port 0 extra
refuse "$server" "--host: cannot resolve 'no-such-host.invalid'" --port 0 --host no-such-host.invalid
refuse "$load" "--window: '0' is not an integer" --port 1 --window 0
refuse "$load" "--size must be 8..65505 with --udp" --port 1 --udp --size 4
refuse "$load" "--port is required" --connections 3
refuse "$bin/queuednet-pingpong" "--window: '1.5' is not an integer" --port 1 --window 1.5
refuse "$bin/baseline-epoll-echo" "--threads: 'two' is not an integer" --port 0 --threads two
refuse "$bin/baseline-udp-echo" "--duration: '' is not a number" --port 0 --duration ""

# A busy port: exit 1 and one line.
start_server --port 0 --duration 60
"$server" --port "$port" --duration 1 >"$work/out" 2>"$work/err"
rc=$?
check "busy port -> exit 1, one line saying so" \
  test "$rc" = 1 -a "$(lines "$work/err")" = 1 -a "$(grep -c 'Address already in use' "$work/err")" = 1
stop_server

# baseline-epoll-echo --framed echoes datagram by datagram: every byte comes back in order,
# for frames that fit one read and frames that span several.
server_program=$bin/baseline-epoll-echo start_server --port 0 --framed --duration 60
# (Few large ones: a sanitizer build of the load generator compares about 200 of them a second.)
for size_count in 32:200 30000:20; do
  size=${size_count%:*}
  "$load" --port "$port" --connections 20 --window 4 --size "$size" --count "${size_count#*:}" \
    >"$work/framed.$size" 2>&1
  check "baseline-epoll-echo --framed echoes $size-byte datagrams" grep -q 'mismatches=0 .*result=ok' "$work/framed.$size"
done
stop_server

# --stats: one line per interval while a load runs; the summary counts what the load got back.
start_server --port 0 --udp 0 --stats 0.25 --duration 60
"$load" --port "$port" --connections 20 --window 4 --duration 1 >"$work/tcp" 2>&1
check "TCP echo under load" grep -q 'result=ok' "$work/tcp"
"$load" --udp --port "$udp_port" --connections 4 --window 2 --duration 0.5 --loss-timeout 5 >"$work/udp" 2>&1
check "UDP echo under load" grep -q 'result=ok' "$work/udp"
stop_server
stats_lines=$(grep -c '^stats: t=[0-9.]* in/s=[0-9]* out/s=[0-9]* in_MB/s=[0-9.]* out_MB/s=[0-9.]* refused=[0-9]* open=[0-9]* accepted=[0-9]* resets=[0-9]* queue_drops=[0-9]* oversize=[0-9]* bad_udp=[0-9]* accept_refusals=[0-9]* queued_bytes=[0-9]*$' "$out")
check "--stats 0.25 printed well-formed lines over 1.5 s of load (got $stats_lines)" test "$stats_lines" -ge 3
check "a stats line saw traffic and 20 open connections (plus the listener and the UDP socket)" \
  grep -q '^stats: t=[0-9.]* in/s=[1-9].* open=22 accepted=20 ' "$out"
tcp_got=$(sed -n 's/.* received=\([0-9]*\).*/\1/p' "$work/tcp")
udp_got=$(sed -n 's/.* received=\([0-9]*\).*/\1/p' "$work/udp")
udp_lost=$(sed -n 's/.* lost=\([0-9]*\).*/\1/p' "$work/udp")
check "the summary's datagrams_out covers every echo the loads received" \
  test "$(sed -n 's/.* datagrams_out=\([0-9]*\) .*/\1/p' "$out")" -ge $((tcp_got + udp_got))
check "the summary says 20 connections, none dropped or refused, no bad UDP" \
  grep -q '^summary: connections=20 resets=20 .* dropped=0 refused=0 bad_udp=0 ' "$out"
check "no UDP datagram lost at this light load (lost=$udp_lost)" test "$udp_lost" = 0

# --reuse-port: two servers on one port both get connections from one load.
start_server --port 0 --reuse-port --duration 60
first=$server_pid first_out=$out
start_server --port "$port" --reuse-port --duration 60
"$load" --port "$port" --connections 64 --window 1 --count 10 >"$work/reuse" 2>&1
check "load through two --reuse-port servers" grep -q 'result=ok' "$work/reuse"
stop_server
server_pid=$first
stop_server
a=$(sed -n 's/^summary: connections=\([0-9]*\) .*/\1/p' "$first_out")
b=$(sed -n 's/^summary: connections=\([0-9]*\) .*/\1/p' "$out")
check "both --reuse-port servers accepted connections ($a + $b = 64)" test "$a" -gt 0 -a "$b" -gt 0 -a $((a + b)) = 64

# The load generator's progress: plain lines on stderr when it is not a terminal.
start_server --port 0 --duration 60
"$load" --port "$port" --connections 1 --duration 3.5 >"$work/load.out" 2>"$work/load.err"
progress=$(grep -c '^progress: [0-9]*s/3.5s sent=[0-9]* received=[0-9]* msgs/s=[0-9]*$' "$work/load.err")
check "progress lines on stderr for a 3.5 s run (got $progress)" test "$progress" -ge 3
check "the summary stays alone on stdout" test "$(lines "$work/load.out")" = 1
stop_server

echo "bench_cli_check: $failures failure(s)"
[ "$failures" = 0 ]
