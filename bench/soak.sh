#!/usr/bin/env bash
# Churn soak: queuednet-echo-server under queuednet-churn-load (connections replaced without
# pause, each leaving by close, half-close or reset mid-frame) for a long run per mode, watching
# the server for leaks.
#
#   bench/soak.sh MINUTES [--modes "io_uring:0 epoll:0 poll:0 io_uring:2 epoll:2 poll:2"]
#       [--connections 5000] [--out FILE] [--interval SECONDS] [--rss-growth PERCENT|off]
#   bench/soak.sh --seconds S [same options]           a short run (sampled every 10 s)
#
# A mode is BACKEND:THREADS (BACKEND: auto, io_uring, epoll or poll). For each mode the server
# runs with --stats 1 and the churn load for MINUTES minutes (or S seconds); every --interval
# (60 s, or 10 s with --seconds) a row gives the server's RSS (VmRSS, sampled every second: the
# interval's median, maximum, last reading and the median of its second half), open
# descriptors, the open= count and datagrams in/out per second of its latest stats line, and
# the load's opened connections and failures. A mode FAILS when
#   - the load reports lost > 0 or failures > 0 (or does not finish in time),
#   - within 10 s of the load's exit the server's open= is not back to its value before the load
#     (the listener) or its descriptor count is not back to what it was then,
#   - its median RSS over the last interval (the load churns 2 s longer, so no sample is taken
#     while every connection closes at once) is more than PERCENT (5) above its median RSS over
#     the second half of the first interval (the first half is the ramp-up). Medians, not
#     readings: RSS swings with what is in flight at an instant and with the heap trim
#     (heap_trim.h, every 10 s), while a leak or a heap that keeps growing moves the median
#     (--rss-growth off skips this: sanitizer allocators keep freed memory),
#   - or the server dies or does not start.
# Prints "soak: MODE ok" or "soak: MODE FAILED: reasons" per mode and a final summary; exits 1
# if any mode failed, 2 on a bad argument. --out FILE also writes every row as CSV.
#
# Uses the binaries in $QUEUEDNET_BENCH_BIN when set; otherwise builds them (Release) in
# build-bench/, as bench/run_benchmarks.sh does.
set -euo pipefail
# shellcheck source=bench/script_lib.sh
source "$(dirname "$0")/script_lib.sh"

run_seconds=""
interval=""
modes="io_uring:0 epoll:0 poll:0 io_uring:2 epoll:2 poll:2"
connections=5000
out=""
rss_growth=5
while [ $# -gt 0 ]; do
  case $1 in --seconds | --modes | --connections | --out | --interval | --rss-growth)
    [ $# -ge 2 ] || bad "$1 needs a value" ;;
  esac
  case $1 in
    --seconds) [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || bad "--seconds: '$2' is not a whole number of seconds"
      run_seconds=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --connections) [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || bad "--connections: '$2' is not a positive integer"
      connections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --interval) [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || bad "--interval: '$2' is not a whole number of seconds"
      interval=$2; shift 2 ;;
    --rss-growth) [[ $2 =~ ^([0-9]+|off)$ ]] || bad "--rss-growth: '$2' is not a percentage or off"
      rss_growth=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) bad "unknown option $1" ;;
    *) [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ -z "$run_seconds" ] || bad "unexpected argument '$1'"
      run_seconds=$(($1 * 60)) interval=${interval:-60}; shift ;;
  esac
done
[ -n "$run_seconds" ] || bad "give MINUTES or --seconds S"
interval=${interval:-10}
[ "$interval" -lt "$run_seconds" ] || bad "the run ($run_seconds s) must be longer than one interval ($interval s)"
for mode in $modes; do
  [[ $mode =~ ^(auto|io_uring|epoll|poll):[0-9]+$ ]] || bad "--modes: '$mode' is not BACKEND:THREADS"
done

bench_binaries queuednet-echo-server queuednet-churn-load

work=$(mktemp -d)
[ -z "$out" ] || echo "mode,t_s,rss_kb,rss_max_kb,rss_end_kb,rss_half_kb,fds,open,in_per_s,out_per_s,opened,failures" >"$out"

now() { echo "$EPOCHREALTIME"; }
after() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0; }
fd_count() { ls "/proc/$server_pid/fd" 2>/dev/null | wc -l; }
# field NAME LINE: the value of NAME= in LINE.
field() { sed -n "s|.* $1=\\([0-9.]*\\).*|\\1|p" <<<" $2"; }
last_line() { grep "^$1" "$2" | tail -n 1 || true; }
# interval_rss FILE: the median, the maximum and the last of the RSS samples in FILE, and the
# median of its second half (FILE is then emptied), after one more sample taken now.
interval_rss() {
  local taken=$work/rss.taken
  local now last half
  now=$(rss_kb)
  [ "$now" = 0 ] || echo "$now" >>"$1"
  [ -s "$1" ] || echo 0 >"$1"  # no sample at all: the server is gone
  mv "$1" "$taken"  # the sampler's next append starts a new file
  last=$(tail -n 1 "$taken")
  half=$(tail -n $((($(wc -l <"$taken") + 1) / 2)) "$taken" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  sort -n "$taken" | awk -v last="$last" -v half="$half" '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[NR], last, half }'
}

# run_mode BACKEND:THREADS: prints the mode's table and verdict; false if it failed.
run_mode() {
  local mode=$1 backend=${1%:*} threads=${1#*:}
  local server_out=$work/server.out load_out=$work/load.out load_err=$work/load.err
  local reasons=()
  : >"$server_out"
  : >"$load_out"
  "$bin/queuednet-echo-server" --port 0 --backend "$backend" --threads "$threads" --stats 1 \
    --duration $((run_seconds + 180)) >"$server_out" 2>&1 &
  server_pid=$!
  local waited
  for waited in $(seq 1 100); do grep -q '^stats:' "$server_out" && break; sleep 0.1; done
  local port
  port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$server_out")
  if [ -z "$port" ] || ! grep -q '^stats:' "$server_out"; then
    echo "soak: $mode FAILED: the server did not start: $(head -n 3 "$server_out" | tr '\n' ' ')"
    kill "$server_pid" 2>/dev/null
    server_pid=""
    return 1
  fi
  local fds_before open_before
  fds_before=$(fd_count)
  open_before=$(field open "$(last_line stats: "$server_out")")

  echo "mode $mode: $(head -n 1 "$server_out"), $connections connections, $run_seconds s, a row every $interval s"
  printf '%8s %10s %10s %10s %10s %7s %7s %9s %9s %9s %9s\n' t_s rss_kb rss_max rss_end rss_half fds open in/s out/s opened \
    failures
  # The load churns 2 s past the last row, so every row, the last included, is taken under the
  # same churn (not while all its connections close at once).
  "$bin/queuednet-churn-load" --port "$port" --connections "$connections" --duration $((run_seconds + 2)) \
    --report "$interval" >"$load_out" 2>"$load_err" &
  load_pid=$!
  local start rss_first="" rss_last="" rss_max rss_end rss_half target t stats churn fds
  start=$(now)
  local samples=$work/rss.samples
  : >"$samples"
  (while kill -0 "$load_pid" 2>/dev/null; do
    rss=$(rss_kb)
    [ "$rss" = 0 ] || echo "$rss" >>"$samples"  # 0: the server is gone (the row says so)
    sleep 1
  done) &
  sampler_pid=$!
  for ((target = interval; ; target += interval)); do
    [ "$target" -le "$run_seconds" ] || target=$run_seconds
    sleep "$(awk -v s="$start" -v t="$target" -v n="$(now)" 'BEGIN { d = s + t - n; printf "%.3f", (d > 0 ? d : 0) }')"
    kill -0 "$server_pid" 2>/dev/null || { reasons+=("the server exited during the run"); break; }
    stats=$(last_line stats: "$server_out")
    churn=$(last_line churn: "$load_out")
    read -r rss_last rss_max rss_end rss_half < <(interval_rss "$samples")
    fds=$(fd_count)
    [ -n "$rss_first" ] || rss_first=$rss_half
    t=$(after "$start")
    local row=("$t" "$rss_last" "$rss_max" "$rss_end" "$rss_half" "$fds" "$(field open "$stats")" "$(field in/s "$stats")" "$(field out/s "$stats")"
      "$(field opened "$churn")" "$(field failures "$churn")")
    printf '%8s %10s %10s %10s %10s %7s %7s %9s %9s %9s %9s\n' "${row[@]}"
    [ -z "$out" ] || (IFS=,; echo "$mode,${row[*]}") >>"$out"
    [ "$target" -lt "$run_seconds" ] || break
  done
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""

  # The load stops churning 2 s later, then waits (at most its 10 s timeout) for the echoes
  # still due and closes every connection.
  local load_rc=0
  if ! wait_for "$load_pid" 60; then
    reasons+=("the load had not finished 60 s after its run")
    kill "$load_pid" 2>/dev/null
  fi
  wait "$load_pid" || load_rc=$?
  load_pid=""
  local summary
  summary=$(last_line load: "$load_out")
  echo "  $summary"
  head -n 5 "$load_err" | sed 's/^/  /'
  if [ -z "$summary" ]; then
    reasons+=("the load printed no summary (exit $load_rc)")
  else
    [ "$(field lost "$summary")" = 0 ] || reasons+=("lost=$(field lost "$summary")")
    [ "$(field failures "$summary")" = 0 ] || reasons+=("failures=$(field failures "$summary")")
  fi

  # Settle: a stats line printed after the load's exit must show the open count from before
  # the load, and the descriptors must be back to their count then.
  local lines_at_exit open_now="?" fds_now="?" settled=0
  lines_at_exit=$(grep -c '^stats:' "$server_out" || true)
  for waited in $(seq 1 50); do
    fds_now=$(fd_count)
    if [ "$(grep -c '^stats:' "$server_out" || true)" -gt "$lines_at_exit" ]; then
      open_now=$(field open "$(last_line stats: "$server_out")")
      if [ "$open_now" = "$open_before" ] && [ "$fds_now" = "$fds_before" ]; then
        settled=1
        break
      fi
    fi
    sleep 0.2
  done
  echo "  after the load: open=$open_now (before: $open_before), descriptors $fds_now (before: $fds_before)," \
    "RSS $(rss_kb) kB"
  [ "$settled" = 1 ] || reasons+=("10 s after the load: open=$open_now and $fds_now descriptors, before it open=$open_before and $fds_before")

  [ -z "$rss_first" ] || [ -z "$rss_last" ] ||
    echo "  RSS: $rss_first kB (median, second half of the first interval) -> $rss_last kB (median, last interval)" \
      "$(awk -v a="$rss_first" -v b="$rss_last" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }')"
  if [ "$rss_growth" != off ] && [ -n "$rss_first" ] && [ -n "$rss_last" ] &&
    [ "$rss_last" -gt $((rss_first + rss_first * rss_growth / 100)) ]; then
    reasons+=("median RSS grew from $rss_first kB (second half of the first interval) to $rss_last kB (last interval), over $rss_growth%")
  fi

  if kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid"
    wait_for "$server_pid" 15 || { reasons+=("the server did not stop within 15 s of SIGINT"); kill -KILL "$server_pid"; }
  fi
  local server_rc=0
  wait "$server_pid" || server_rc=$?
  server_pid=""
  [ "$server_rc" = 0 ] || reasons+=("the server exited with status $server_rc")
  echo "  $(last_line summary: "$server_out")"
  if [ ${#reasons[@]} -eq 0 ]; then
    echo "soak: $mode ok"
    return 0
  fi
  local joined
  joined=$(printf '; %s' "${reasons[@]}")
  echo "soak: $mode FAILED: ${joined:2}"
  return 1
}

passed=0
failed=0
for mode in $modes; do
  if run_mode "$mode"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  echo
done
echo "soak: $passed of $((passed + failed)) modes ok ($connections connections, $run_seconds s each)"
[ "$failed" = 0 ]
