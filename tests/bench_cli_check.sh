#!/usr/bin/env bash
# The bench programs as an operator uses them: --help, every bad argument refused with one line
# and exit 2, start-up failures in one line, --stats lines that match the summary, UDP echo,
# --reuse-port, and the load generator's progress lines.
#   bench_cli_check.sh BENCH_BIN_DIR
set -uo pipefail
bin=$1
server=$bin/queuednet-echo-server
load=$bin/queuednet-echo-load
source "$(dirname "$0")/support/check_lib.sh"

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

check_help "$server" "$load" "$bin/queuednet-pingpong" "$bin/baseline-epoll-echo" "$bin/baseline-udp-echo" \
               "$bin/queuednet-churn-load" "$bin/queuednet-idle-load"

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
refuse "$bin/queuednet-pingpong" "--pattern: 'ping' is not drain or burst" --port 1 --pattern ping
refuse "$bin/baseline-epoll-echo" "--threads: 'two' is not an integer" --port 0 --threads two
refuse "$bin/baseline-epoll-echo" "--host: 'localhost' is not an IPv4 address" --port 0 --host localhost
refuse "$bin/baseline-udp-echo" "--duration: '' is not a number" --port 0 --duration ""
refuse "$bin/queuednet-churn-load" "--host: 'localhost' is not an IPv4 address" --port 1 --host localhost
refuse "$bin/queuednet-churn-load" "--timeout: '0' is not a number in 0.1..3600" --port 1 --timeout 0
refuse "$bin/queuednet-idle-load" "--port is required" --hold 1

# A busy port: exit 1 and one line.
start_server --port 0 --duration 60
"$server" --port "$port" --duration 1 >"$work/out" 2>"$work/err"
rc=$?
check "busy port -> exit 1, one line saying so" \
  test "$rc" = 1 -a "$(lines "$work/err")" = 1 -a "$(grep -c 'Address already in use' "$work/err")" = 1
stop_server

# queuednet-pingpong, both patterns, against the polled echo server: a bounded number of round
# trips, every echo verified in order.
start_server --port 0 --duration 60
for pattern in drain burst; do
  "$bin/queuednet-pingpong" --port "$port" --pattern "$pattern" --round-trips 20000 --duration 30 >"$work/pingpong" 2>&1
  check "queuednet-pingpong --pattern $pattern: 20000 round trips, every echo verified" \
    grep -q "pattern=$pattern window=64 size=32 round_trips=20000 .*result=ok" "$work/pingpong"
done
stop_server

# An address the hand-written baselines cannot bind (TEST-NET-1, on no interface here): exit 1
# and one line.
for program in "$bin/baseline-epoll-echo" "$bin/baseline-uring-echo"; do
  [ -x "$program" ] || continue
  "$program" --port 0 --host 192.0.2.1 >"$work/out" 2>"$work/err"
  rc=$?
  check "${program##*/} --host 192.0.2.1 -> exit 1, one line: cannot listen" \
    test "$rc" = 1 -a "$(lines "$work/err")" = 1 -a ! -s "$work/out" -a \
         "$(grep -c "^${program##*/}: cannot listen on 192.0.2.1:0: " "$work/err")" = 1
done

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

# baseline-uring-echo, the io_uring twin, when built (liburing found): usage and refused
# arguments; where the kernel allows io_uring, a stop by --duration, and then every byte echoed
# in order, as bytes and --framed, for datagrams that fit one receive buffer and datagrams that
# span several, on 1 and 2 threads, 16 datagrams in flight per connection; every connection
# closed once the load has gone, and a summary counting every connection and byte.
uring_checks() {
  local uring=$bin/baseline-uring-echo
  if [ ! -x "$uring" ]; then
    echo "skip: baseline-uring-echo is not built (liburing not found)"
    return
  fi
  check_help "$uring"
  refuse "$uring" "--threads: 'two' is not an integer" --port 0 --threads two
  refuse "$uring" "--duration: 'x' is not a number" --port 0 --duration x
  refuse "$uring" "--port is required" --framed
  refuse "$uring" "unknown option --colour" --port 0 --colour
  refuse "$uring" "--host: '127.0.0.300' is not an IPv4 address" --port 0 --host 127.0.0.300
  "$uring" --port 0 --duration 0.2 >"$work/out" 2>"$work/err"
  rc=$?
  if grep -q '^baseline-uring-echo: io_uring unavailable: ' "$work/err"; then
    echo "skip: baseline-uring-echo's echo runs: $(cat "$work/err")"
    return
  fi
  check "baseline-uring-echo --duration 0.2 stops by itself (exit 0): listening line, then summary" \
    test "$rc" = 0 -a "$(lines "$work/out")" = 2 -a ! -s "$work/err" -a \
         "$(grep -c '^listening on 127.0.0.1:[0-9]* backend=baseline-uring threads=1$' "$work/out")" = 1 -a \
         "$(grep -c '^summary: connections=0 bytes=0$' "$work/out")" = 1
  local threads framing flags name idle_fds open_fds conns datagrams bytes run c size count summary
  for threads in 1 2; do
    for framing in bytes framed; do
      flags=(--port 0 --threads "$threads" --duration 60)
      [ "$framing" = framed ] && flags+=(--framed)
      server_program=$uring start_server "${flags[@]}"
      name="baseline-uring-echo --threads $threads ($framing)"
      idle_fds=$(ls /proc/"$server_pid"/fd | wc -l)
      conns=0 datagrams=0 bytes=0
      # CONNECTIONS:SIZE:COUNT. (Fewer large ones: a sanitizer build of the load generator
      # compares about 200 of them a second.)
      for run in 300:32:32 40:30000:16; do
        IFS=: read -r c size count <<<"$run"
        "$load" --port "$port" --connections "$c" --window 16 --size "$size" --count "$count" >"$work/uring" 2>&1
        check "$name echoes $size-byte datagrams ($c connections x window 16)" \
          grep -q 'mismatches=0 .*result=ok' "$work/uring"
        conns=$((conns + c)) datagrams=$((datagrams + c * count)) bytes=$((bytes + c * count * (size + 2)))
      done
      for _ in $(seq 1 100); do
        open_fds=$(ls /proc/"$server_pid"/fd | wc -l)
        [ "$open_fds" = "$idle_fds" ] && break
        sleep 0.05
      done
      check "$name closed every connection once the load had gone ($open_fds descriptors open, $idle_fds idle)" \
        test "$open_fds" = "$idle_fds"
      stop_server
      rc=$?
      summary="summary: connections=$conns bytes=$bytes"
      [ "$framing" = framed ] && summary+=" datagrams=$datagrams"
      check "$name stops on SIGINT (exit 0): $summary" test "$rc" = 0 -a "$(grep -c "^$summary\$" "$out")" = 1
    done
  done
}
uring_checks

# The peer echo servers on Asio and libuv, when built: usage, a refused argument, and every byte
# echoed in order, for datagrams that fit one read and datagrams that span several, on 1 and 2
# threads; a clean stop on SIGINT with a summary that counts every connection and byte.
peer_checks() {  # peer_checks asio|libuv
  local peer=$1
  local program=$bin/peer-$peer-echo
  local name=${program##*/}
  if [ ! -x "$program" ]; then
    echo "skip: $name is not built (its library is missing: scripts/install-deps.sh bench)"
    return
  fi
  local rc threads bytes size_count size count
  check_help "$program"
  refuse "$program" "--threads: 'two' is not an integer" --port 0 --threads two
  for threads in 1 2; do
    server_program=$program start_server --port 0 --threads "$threads" --duration 60
    check "$name --threads $threads prints its listening line" \
      grep -q "^listening on 127.0.0.1:$port backend=$peer threads=$threads\$" "$out"
    bytes=0
    connections=0
    # 40 connections for the large datagrams: a sanitizer build's load generator compares
    # each byte, and 200 x 16 x 30,000 bytes does not finish in time under TSan.
    for run in 200:32:200 40:30000:16; do
      IFS=: read -r conns size count <<<"$run"
      "$load" --port "$port" --connections "$conns" --window 16 --size "$size" --count "$count" >"$work/peer" 2>&1
      check "$name --threads $threads echoes $size-byte datagrams ($conns connections x window 16)" \
        grep -q 'mismatches=0 .*result=ok' "$work/peer"
      bytes=$((bytes + conns * count * (size + 2)))
      connections=$((connections + conns))
    done
    stop_server
    rc=$?
    check "$name --threads $threads stops on SIGINT (exit 0) counting $connections connections and $bytes bytes" \
      test "$rc" = 0 -a "$(grep -c "^summary: connections=$connections bytes=$bytes\$" "$out")" = 1
  done
}
peer_checks asio
peer_checks libuv

# --stats: one line per interval while a load runs; the summary counts what the load got back.
start_server --port 0 --udp 0 --stats 0.25 --duration 60
"$load" --port "$port" --connections 20 --window 4 --duration 1 >"$work/tcp" 2>&1
check "TCP echo under load" grep -q 'result=ok' "$work/tcp"
"$load" --udp --port "$udp_port" --connections 4 --window 2 --duration 0.5 --loss-timeout 5 >"$work/udp" 2>&1
check "UDP echo under load" grep -q 'result=ok' "$work/udp"
stop_server
stats_lines=$(grep -c '^stats: t=[0-9.]* in/s=[0-9]* out/s=[0-9]* in_MB/s=[0-9.]* out_MB/s=[0-9.]* refused=[0-9]* open=[0-9]* accepted=[0-9]* resets=[0-9]* queue_drops=[0-9]* oversize=[0-9]* bad_udp=[0-9]* accept_refusals=[0-9]* queued_bytes=[0-9]*\( heap_used_kb=[0-9]* heap_free_kb=[0-9]* heap_mmap_kb=[0-9]*\)\{0,1\}$' "$out")
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
check "the summary, printed once the closes settled, counts only the TCP and UDP sockets as open" \
  grep -q '^summary: .* open=2 accepted=20 ' "$out"
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

# The demo's stop (scripts/demo.sh): SIGINT as soon as 1,000 clients have hung up. The summary
# waits (up to 2 s) for the server's closes to finish, so none still closing counts as open.
start_server --port 0 --threads 2 --duration 60
"$load" --port "$port" --connections 1000 --window 4 --duration 1 >"$work/demo" 2>&1
check "1,000 clients echoed" grep -q 'result=ok' "$work/demo"
stop_server
check "the summary after 1,000 clients hung up: all reset, only the listener open" \
  grep -q '^summary: connections=1000 resets=1000 .* open=1 accepted=1000 ' "$out"

# The load generator's progress: plain lines on stderr when it is not a terminal.
start_server --port 0 --duration 60
"$load" --port "$port" --connections 1 --duration 3.5 >"$work/load.out" 2>"$work/load.err"
progress=$(grep -c '^progress: [0-9]*s/3.5s sent=[0-9]* received=[0-9]* msgs/s=[0-9]*$' "$work/load.err")
check "progress lines on stderr for a 3.5 s run (got $progress)" test "$progress" -ge 3
check "the summary stays alone on stdout" test "$(lines "$work/load.out")" = 1
stop_server

echo "bench_cli_check: $failures failure(s)"
[ "$failures" = 0 ]
