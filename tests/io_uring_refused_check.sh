#!/usr/bin/env bash
# queuednet-echo-server where io_uring is refused, as under Docker's default seccomp profile
# (deny_io_uring makes io_uring_setup, io_uring_enter and io_uring_register fail with EPERM):
#  - automatic backend, polled and with 2 workers: the server starts on epoll, the library
#    says exactly once why it skipped io_uring (a warning: QUEUEDNET_LOG=warning shows it), and
#    a load is echoed and verified (queuednet-echo-load result=ok);
#  - io_uring forced (--backend io_uring, or QUEUEDNET_BACKEND=io_uring): the server exits at
#    start, within 20 s, with status 1 and one line on stderr that names io_uring.
#   io_uring_refused_check.sh BENCH_BIN_DIR DENY_IO_URING
set -uo pipefail
unset QUEUEDNET_LOG QUEUEDNET_BACKEND  # each case below sets what it needs
bin=$1 deny=$2
server=$bin/queuednet-echo-server
load=$bin/queuednet-echo-load
source "$(dirname "$0")/support/check_lib.sh"

# The filter works: io_uring_setup itself is refused with EPERM under it.
"$deny" /usr/bin/python3 -c '
import ctypes, errno, sys
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
rc = libc.syscall(425, 4, params)  # io_uring_setup(4, &params): 425 on x86_64 and aarch64
sys.exit(0 if rc == -1 and ctypes.get_errno() == errno.EPERM else 1)'
check "deny_io_uring makes io_uring_setup fail with EPERM" test $? = 0

for threads in 0 2; do
  out=$work/auto.$threads.out err=$work/auto.$threads.err
  QUEUEDNET_LOG=warning "$deny" "$server" --port 0 --threads "$threads" --duration 60 >"$out" 2>"$err" &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 200); do grep -q '^listening on' "$out" && break; sleep 0.05; done
  port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
  check "threads=$threads, automatic: the server starts on epoll" \
    grep -q "^listening on .* backend=epoll threads=$threads\$" "$out"
  if [ -n "$port" ]; then
    "$load" --port "$port" --connections 50 --window 4 --size 64 --duration 1 >"$work/load.$threads" 2>&1
    check "threads=$threads, automatic: every echo verified ($(tail -1 "$work/load.$threads"))" \
      grep -q 'mismatches=0 .*result=ok' "$work/load.$threads"
  fi
  kill -INT "$server_pid"
  wait "$server_pid"
  rc=$?
  server_pid=""
  check "threads=$threads, automatic: stops on SIGINT with exit 0 and a summary" \
    test "$rc" = 0 -a "$(grep -c '^summary: ' "$out")" = 1
  check "threads=$threads, automatic: exactly one line says io_uring was refused ($(head -1 "$err"))" \
    test "$(grep -c '^queuednet warning: io_uring backend unavailable, falling back: .*Operation not permitted' "$err")" = 1 \
         -a "$(grep -c 'io_uring' "$err")" = 1
done

# Forced io_uring: a clear one-line refusal at start, never a hang or a half-started server.
forced() {  # forced DESCRIPTION COMMAND...
  local what=$1
  shift
  timeout 20 "$@" --port 0 --duration 30 >"$work/forced.out" 2>"$work/forced.err"
  local rc=$?
  check "$what: exits 1 at start ($rc), nothing on stdout, one line on stderr: $(head -1 "$work/forced.err")" \
    test "$rc" = 1 -a ! -s "$work/forced.out" -a "$(lines "$work/forced.err")" = 1 -a \
         "$(grep -c '^queuednet-echo-server: .*io_uring' "$work/forced.err")" = 1
}
for threads in 0 2; do
  forced "threads=$threads, --backend io_uring" "$deny" "$server" --threads "$threads" --backend io_uring
  forced "threads=$threads, QUEUEDNET_BACKEND=io_uring" \
    env QUEUEDNET_BACKEND=io_uring "$deny" "$server" --threads "$threads"
done

[ "$failures" = 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "io_uring refused: all checks passed"
