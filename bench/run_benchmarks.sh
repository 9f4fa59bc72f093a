#!/usr/bin/env bash
# The benchmarks, all in one run on this machine, written to a results directory:
#
#   tcp        echo servers at each connection count and window, 32-byte datagrams, and one
#              large-datagram cell (60,000 bytes, 100 connections x 2 in flight): the hand-written
#              baselines (baseline-epoll-echo, baseline-uring-echo), the peers a user would pick
#              instead (peer-asio-echo, peer-libuv-echo, built when Debian's libasio-dev and
#              libuv1-dev are installed) with 1 and 2 threads, and queuednet-echo-server on each
#              backend polled and with 1 and 2 workers: msgs/s, server CPU µs per message, its ratio
#              to the same-backend baseline with the same thread count (polled: the 1-thread one;
#              io_uring: baseline-uring, epoll and poll: baseline-epoll) and to the cheaper peer,
#              p50/p99 latency. queuednet-echo-load verifies every echoed byte.
#   latency    request-reply: one connection, one datagram in flight, every 1-thread server.
#   pingpong   the Panda3D-style exchange: queuednet-pingpong (the manual's polled client, one
#              connection, 64 in flight; each echo answered inside the drain, and the bursting
#              client that refills its window with a loop of send() calls) against
#              queuednet-echo-server in polled mode, io_uring and epoll side by side.
#   udp        baseline-udp-echo (recvmmsg/sendmmsg, 1 and 2 threads) and queuednet-echo-server
#              --udp on each backend and thread count: msgs/s, loss, CPU per message and its
#              ratio to the baseline, p50/p99.
#   broadcast  the manual's broadcast loop: queuednet-broadcast-load's clients in rooms against
#              baseline-epoll-broadcast (1 and 2 threads) and queuednet-broadcast-server (each
#              backend, polled and 2 workers): server CPU per delivered datagram and its ratio to
#              the baseline, p50/p99 delivery latency; every delivery verified.
#   idle       server memory per idle connection (bench/idle_memory.sh) for every server.
#
# The server runs on CPU 1 and the load generator on CPU 0 (taskset), when there are two CPUs.
# Server CPU time is the sum over its threads of /proc/PID/task/*/schedstat across the load run.
#
# The machine is shared and noisy: every cell runs each server --repeat times (default 3), the
# servers interleaved round by round, and the tables give the median of each figure (the CSVs
# also keep the smallest and largest server CPU per message).
#
#   bench/run_benchmarks.sh [--seconds 3] [--repeat 3] [--connections "1 100 1000 5000"] [--windows "1 16"]
#       [--udp-connections "1 100 1000"] [--udp-windows "1 16"]
#       [--broadcast-cells "1000:10 1000:100 5000:100"] [--broadcast-deliveries 100000]
#       [--idle-connections 5000] [--sections "tcp latency pingpong udp broadcast idle"]
#       [--out bench/results/DATE] [--force]
#
# Writes to the results directory: results.md (machine and every table), one CSV per section,
# machine.txt, and PNG plots (bench/plot_benchmarks.py, matplotlib through /usr/bin/python3).
# Refuses an existing directory unless --force. Every run is bounded in time. Needs
# `bash scripts/install-deps.sh bench` (it runs it).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=3
repeat=3
counts="1 100 1000 5000"
windows="1 16"
udp_counts="1 100 1000"
udp_windows="1 16"
broadcast_cells="1000:10 1000:100 5000:100"
broadcast_deliveries=100000
idle_connections=5000
sections="tcp latency pingpong udp broadcast idle"
out=""
force=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in --seconds | --repeat | --connections | --windows | --udp-connections | --udp-windows | --sections | --out | \
    --broadcast-cells | --broadcast-deliveries | --idle-connections)
    [ $# -ge 2 ] || { echo "run_benchmarks.sh: $1 needs a value (--help for usage)" >&2; exit 2; } ;;
  esac
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --connections) counts=$2; shift 2 ;;
    --windows) windows=$2; shift 2 ;;
    --udp-connections) udp_counts=$2; shift 2 ;;
    --udp-windows) udp_windows=$2; shift 2 ;;
    --broadcast-cells) broadcast_cells=$2; shift 2 ;;
    --broadcast-deliveries) broadcast_deliveries=$2; shift 2 ;;
    --idle-connections) idle_connections=$2; shift 2 ;;
    --sections) sections=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run_benchmarks.sh: unknown argument $1 (--help for usage)" >&2; exit 2 ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 600 ] \
  || { echo "run_benchmarks.sh: --seconds must be 1..600" >&2; exit 2; }
[[ $repeat =~ ^[0-9]+$ ]] && [ "$repeat" -ge 1 ] && [ "$repeat" -le 20 ] \
  || { echo "run_benchmarks.sh: --repeat must be 1..20" >&2; exit 2; }
[[ $broadcast_cells =~ ^\ *([1-9][0-9]*:[1-9][0-9]*\ *)+$ ]] \
  || { echo "run_benchmarks.sh: --broadcast-cells takes CLIENTS:ROOM_SIZE words" >&2; exit 2; }
for number in "$broadcast_deliveries" "$idle_connections"; do
  [[ $number =~ ^[1-9][0-9]*$ ]] || { echo "run_benchmarks.sh: '$number' is not a positive integer" >&2; exit 2; }
done
for section in $sections; do
  case $section in tcp | latency | pingpong | udp | broadcast | idle) ;;
    *) echo "run_benchmarks.sh: unknown section $section" >&2; exit 2 ;;
  esac
done
for list in "$counts" "$windows" "$udp_counts" "$udp_windows"; do
  [[ $list =~ ^[0-9\ ]+$ ]] || { echo "run_benchmarks.sh: '$list' is not a list of numbers" >&2; exit 2; }
done
out=${out:-bench/results/$(date +%Y-%m-%d)}
if [ -e "$out" ] && [ "$force" != 1 ]; then
  echo "run_benchmarks.sh: $out exists; choose another --out or add --force to overwrite it" >&2
  exit 2
fi
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/machine.txt" ]; then
  echo "run_benchmarks.sh: $out is not empty and not a results directory; not overwriting it" >&2
  exit 2
fi
scripts/install-deps.sh bench >&2
rm -rf "$out"
mkdir -p "$out"

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DQUEUEDNET_BUILD_TESTS=OFF >&2
cmake --build build-bench -j"$(nproc)" >&2
bin=build-bench/bench

if [ "$(nproc)" -ge 2 ]; then
  on_server=(taskset -c 1)
  on_load=(taskset -c 0)
  pinning="server on CPU 1, load generator on CPU 0 (taskset)"
else
  on_server=()
  on_load=()
  pinning="not pinned (one CPU)"
fi
run_bound=$((seconds + 60))  # no single run may take longer than this

# --- machine -----------------------------------------------------------------------------------
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
  echo "cpus: $(nproc)"
  echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "compiler: $(c++ --version | head -n 1)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (modified)')"
  echo "pinning: $pinning"
  echo "seconds per run: $seconds"
  echo "runs per cell: $repeat (tables give medians)"
} >"$out/machine.txt"

# --- one server, one load ------------------------------------------------------------------------
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; true' EXIT

# start_server COMMAND...: sets server_pid, tcp_port, udp_port; false if it did not start.
start_server() {
  server_out=$(mktemp)
  "${on_server[@]}" "$@" --port 0 --duration "$run_bound" >"$server_out" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do grep -q '^listening on' "$server_out" && break; sleep 0.05; done
  tcp_port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$server_out")
  udp_port=$(sed -n 's/.* udp=\([0-9]*\).*/\1/p' "$server_out")
  if [ -z "$tcp_port" ]; then
    echo "server did not start: $* -- $(head -c 300 "$server_out")" >&2
    stop_server
    return 1
  fi
}
stop_server() {
  kill -INT "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  rm -f "$server_out"
}
# Nanoseconds of CPU the server's threads have used.
server_cpu_ns() { cat /proc/"$server_pid"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }' || true; }
# field KEY LINE: the value of KEY=value in a "load:" line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# Runs the load against the started server; sets load_line and cpu_us_per_msg.
measure() {
  local before after received
  before=$(server_cpu_ns)
  load_line=$(timeout "$run_bound" "${on_load[@]}" "$bin/queuednet-echo-load" "$@" \
                --duration "$seconds" 2>/dev/null | tail -n 1 || true)
  after=$(server_cpu_ns)
  received=$(field received "$load_line")
  if [ -n "$received" ] && [ "$received" -gt 0 ]; then
    cpu_us_per_msg=$(awk -v a="$after" -v b="$before" -v n="$received" 'BEGIN { printf "%.3f", (a - b) / 1000 / n }')
  else
    cpu_us_per_msg=""
  fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }
# median / smallest / largest of numbers given as words (empty words ignored; "" if none).
stat_of() {
  local how=$1
  shift
  printf '%s\n' "$@" | awk 'NF' | sort -g | awk -v how="$how" '{ a[NR] = $1 } END {
    if (NR == 0) { print ""; exit }
    if (how == "min") print a[1]; else if (how == "max") print a[NR];
    else if (NR % 2) print a[(NR + 1) / 2];
    else { m = sprintf("%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2); sub(/\.?0+$/, "", m); print m } }'
}
median() { stat_of median "$@"; }
# The cell's result: ok if every run said ok, else the first other word.
verdict() {
  local r
  for r in "$@"; do [ "$r" != ok ] && { echo "$r"; return; }; done
  [ $# -gt 0 ] && echo ok || echo unavailable
}
or_dash() { if [ -n "$1" ]; then echo "$1"; else echo "-"; fi; }

# Servers: "label|kind|backend|threads|command". kind: baseline (hand-written, no library), peer
# (an echo server on another library), queuednet. Programs not built on this machine are left out.
backends="io_uring epoll poll"
tcp_servers=()
udp_servers=()
for t in 1 2; do
  tcp_servers+=("baseline-epoll t=$t|baseline|baseline-epoll|$t|$bin/baseline-epoll-echo --threads $t")
  [ -x "$bin/baseline-uring-echo" ] &&
    tcp_servers+=("baseline-uring t=$t|baseline|baseline-uring|$t|$bin/baseline-uring-echo --threads $t")
  for peer in asio libuv; do
    [ -x "$bin/peer-$peer-echo" ] && tcp_servers+=("$peer t=$t|peer|$peer|$t|$bin/peer-$peer-echo --threads $t")
  done
  udp_servers+=("baseline t=$t|baseline|baseline|$t|$bin/baseline-udp-echo --threads $t")
done
for b in $backends; do
  for t in 0 1 2; do
    tcp_servers+=("queuednet $b t=$t|queuednet|$b|$t|$bin/queuednet-echo-server --backend $b --threads $t")
    udp_servers+=("queuednet $b t=$t|queuednet|$b|$t|$bin/queuednet-echo-server --backend $b --threads $t --udp 0")
  done
done

# --- tcp ---------------------------------------------------------------------------------------------
# One cell: every tcp server at CONNECTIONS x WINDOW with SIZE-byte datagrams, --repeat rounds
# interleaved; appends its rows to tcp.csv and tcp.md. Ratios: "vs baseline" divides by the
# hand-written server of the same backend and thread count (io_uring: baseline-uring; epoll and
# poll: baseline-epoll; polled mode: the 1-thread one); "vs peers" by the cheaper of the Asio and
# libuv servers with that thread count.
tcp_cell() {
  local conns=$1 window=$2 size=$3 csv=$out/tcp.csv md=$out/tcp.md
  declare -A rates=() cpus=() p50s=() p99s=() results=() cpu_of=()
  local round entry label kind backend threads cmd
  for ((round = 1; round <= repeat; round++)); do
    for entry in "${tcp_servers[@]}"; do
      IFS='|' read -r label kind backend threads cmd <<<"$entry"
      echo "tcp: $conns connections, window $window, $size bytes, $label (run $round of $repeat)" >&2
      # shellcheck disable=SC2086 # the command is a word list
      if start_server $cmd; then
        measure --port "$tcp_port" --connections "$conns" --window "$window" --size "$size"
        stop_server
        rates[$label]+=" $(field msgs_per_sec "$load_line")" cpus[$label]+=" $cpu_us_per_msg"
        p50s[$label]+=" $(field p50_us "$load_line")" p99s[$label]+=" $(field p99_us "$load_line")"
        results[$label]+=" $(or_dash "$(field result "$load_line")")"
      else
        results[$label]+=" unavailable"
      fi
    done
  done
  # shellcheck disable=SC2086 # word lists
  for entry in "${tcp_servers[@]}"; do
    IFS='|' read -r label kind backend threads cmd <<<"$entry"
    cpu_of[$label]=$(median ${cpus[$label]:-})
  done
  for entry in "${tcp_servers[@]}"; do
    IFS='|' read -r label kind backend threads cmd <<<"$entry"
    local rate cpu p50 p99 res lo hi t=$((threads == 0 ? 1 : threads)) base_label vs peer_cpu vs_peer
    rate=$(median ${rates[$label]:-}) cpu=${cpu_of[$label]} p50=$(median ${p50s[$label]:-})
    p99=$(median ${p99s[$label]:-}) res=$(verdict ${results[$label]:-})
    lo=$(stat_of min ${cpus[$label]:-}) hi=$(stat_of max ${cpus[$label]:-})
    base_label="baseline-epoll t=$t"
    [ "$backend" = io_uring ] && base_label="baseline-uring t=$t"
    vs=$(ratio "$cpu" "${cpu_of[$base_label]:-}")
    peer_cpu=$(stat_of min ${cpu_of[asio t=$t]:-} ${cpu_of[libuv t=$t]:-})
    vs_peer=$(ratio "$cpu" "$peer_cpu")
    echo "$conns,$window,$size,$label,$kind,$backend,$threads,$rate,$cpu,$vs,$vs_peer,$p50,$p99,$res,$repeat,$lo,$hi" >>"$csv"
    echo "| $conns | $window | $size | $label | $(or_dash "$rate") | $(or_dash "$cpu") | $vs | $vs_peer | $(or_dash "$p50") | $(or_dash "$p99") | $res |" >>"$md"
  done
}
tcp_section() {
  echo "connections,window,size,server,kind,backend,threads,msgs_per_sec,cpu_us_per_msg,cpu_vs_baseline,cpu_vs_peers,p50_us,p99_us,result,runs,cpu_min,cpu_max" >"$out/tcp.csv"
  {
    echo "| connections | window | bytes | server | msgs/s | server CPU µs/msg | vs baseline | vs peers | p50 µs | p99 µs | echoes |"
    echo "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
  } >"$out/tcp.md"
  local conns window
  for conns in $counts; do
    for window in $windows; do tcp_cell "$conns" "$window" 32; done
  done
  tcp_cell 100 2 60000
}

# --- latency -----------------------------------------------------------------------------------------
latency_section() {
  local csv=$out/latency.csv md=$out/latency.md
  echo "server,kind,backend,threads,msgs_per_sec,p50_us,p99_us,result,runs" >"$csv"
  {
    echo "| server | round trips/s | p50 µs | p99 µs | echoes |"
    echo "|---|---:|---:|---:|---|"
  } >"$md"
  declare -A rates=() p50s=() p99s=() results=()
  local round entry
  for ((round = 1; round <= repeat; round++)); do
    for entry in "${tcp_servers[@]}"; do
      IFS='|' read -r label kind backend threads cmd <<<"$entry"
      [ "$threads" = 2 ] && continue  # polled and one worker (and the 1-thread baseline)
      echo "latency: $label (run $round of $repeat)" >&2
      # shellcheck disable=SC2086
      if start_server $cmd; then
        measure --port "$tcp_port" --connections 1 --window 1 --size 32
        stop_server
        rates[$label]+=" $(field msgs_per_sec "$load_line")" p50s[$label]+=" $(field p50_us "$load_line")"
        p99s[$label]+=" $(field p99_us "$load_line")" results[$label]+=" $(or_dash "$(field result "$load_line")")"
      else
        results[$label]+=" unavailable"
      fi
    done
  done
  for entry in "${tcp_servers[@]}"; do
    IFS='|' read -r label kind backend threads cmd <<<"$entry"
    [ "$threads" = 2 ] && continue
    # shellcheck disable=SC2086
    local rate p50 p99 res
    rate=$(median ${rates[$label]:-}) p50=$(median ${p50s[$label]:-}) p99=$(median ${p99s[$label]:-})
    res=$(verdict ${results[$label]:-})
    echo "$label,$kind,$backend,$threads,$rate,$p50,$p99,$res,$repeat" >>"$csv"
    echo "| $label | $(or_dash "$rate") | $(or_dash "$p50") | $(or_dash "$p99") | $res |" >>"$md"
  done
}

# --- pingpong ----------------------------------------------------------------------------------------
pingpong_section() {
  local csv=$out/pingpong.csv md=$out/pingpong.md
  echo "backend,pattern,round_trips_per_sec,result,runs,min,max" >"$csv"
  declare -A rates=() results=()
  local round b p line
  for ((round = 1; round <= repeat; round++)); do
    for p in drain burst; do
      for b in epoll io_uring; do
        echo "pingpong: $b $p (run $round of $repeat)" >&2
        if start_server "$bin/queuednet-echo-server" --backend "$b" --threads 0; then
          line=$(timeout "$run_bound" "${on_load[@]}" "$bin/queuednet-pingpong" --port "$tcp_port" --backend "$b" \
                   --pattern "$p" --window 64 --size 32 --duration "$seconds" 2>/dev/null | tail -n 1 || true)
          stop_server
          rates[$b.$p]+=" $(field round_trips_per_sec "$line")" results[$b.$p]+=" $(or_dash "$(field result "$line")")"
        else
          results[$b.$p]+=" unavailable"
        fi
      done
    done
  done
  {
    echo "| backend (client and server) | pattern | round trips/s | vs epoll | echoes |"
    echo "|---|---|---:|---:|---|"
  } >"$md"
  local epoll_rate rate res
  for p in drain burst; do
    # shellcheck disable=SC2086
    epoll_rate=$(median ${rates[epoll.$p]:-})
    for b in io_uring epoll; do
      # shellcheck disable=SC2086
      rate=$(median ${rates[$b.$p]:-}) res=$(verdict ${results[$b.$p]:-})
      # shellcheck disable=SC2086
      echo "$b,$p,$rate,$res,$repeat,$(stat_of min ${rates[$b.$p]:-}),$(stat_of max ${rates[$b.$p]:-})" >>"$csv"
      echo "| $b | $p | $(or_dash "$rate") | $(ratio "$rate" "$epoll_rate") | $res |" >>"$md"
    done
  done
}

# --- udp ---------------------------------------------------------------------------------------------
udp_section() {
  local csv=$out/udp.csv md=$out/udp.md
  echo "sockets,window,server,kind,backend,threads,msgs_per_sec,sent,lost,cpu_us_per_msg,cpu_vs_baseline,p50_us,p99_us,result,runs" >"$csv"
  {
    echo "| sockets | window | server | msgs/s | lost % | server CPU µs/msg | CPU/msg vs baseline | p50 µs | p99 µs | echoes |"
    echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
  } >"$md"
  for conns in $udp_counts; do
    for window in $udp_windows; do
      declare -A rates=() cpus=() p50s=() p99s=() sents=() losts=() results=() base=()
      local round entry
      for ((round = 1; round <= repeat; round++)); do
        for entry in "${udp_servers[@]}"; do
          IFS='|' read -r label kind backend threads cmd <<<"$entry"
          echo "udp: $conns sockets, window $window, $label (run $round of $repeat)" >&2
          # shellcheck disable=SC2086
          if start_server $cmd; then
            measure --udp --port "$udp_port" --connections "$conns" --window "$window" --size 32 --loss-timeout 0.5
            stop_server
            rates[$label]+=" $(field msgs_per_sec "$load_line")" cpus[$label]+=" $cpu_us_per_msg"
            p50s[$label]+=" $(field p50_us "$load_line")" p99s[$label]+=" $(field p99_us "$load_line")"
            sents[$label]+=" $(field sent "$load_line")" losts[$label]+=" $(field lost "$load_line")"
            results[$label]+=" $(or_dash "$(field result "$load_line")")"
          else
            results[$label]+=" unavailable"
          fi
        done
      done
      for entry in "${udp_servers[@]}"; do
        IFS='|' read -r label kind backend threads cmd <<<"$entry"
        # shellcheck disable=SC2086
        local rate cpu p50 p99 sent lost res vs lost_pct="-"
        rate=$(median ${rates[$label]:-}) cpu=$(median ${cpus[$label]:-}) p50=$(median ${p50s[$label]:-})
        p99=$(median ${p99s[$label]:-}) sent=$(median ${sents[$label]:-}) lost=$(median ${losts[$label]:-})
        res=$(verdict ${results[$label]:-})
        if [ -n "$sent" ] && [ -n "$lost" ]; then
          lost_pct=$(awk -v l="$lost" -v s="$sent" 'BEGIN { if (s > 0) printf "%.2f", 100 * l / s; else print "-" }')
        fi
        local base_threads=$((threads == 0 ? 1 : threads))
        [ "$kind" = baseline ] && base[$threads]=$cpu
        vs=$(ratio "$cpu" "${base[$base_threads]:-}")
        echo "$conns,$window,$label,$kind,$backend,$threads,$rate,$sent,$lost,$cpu,$vs,$p50,$p99,$res,$repeat" >>"$csv"
        echo "| $conns | $window | $label | $(or_dash "$rate") | $lost_pct | $(or_dash "$cpu") | $vs | $(or_dash "$p50") | $(or_dash "$p99") | $res |" >>"$md"
      done
      unset rates cpus p50s p99s sents losts results base
    done
  done
}

# --- broadcast ---------------------------------------------------------------------------------------
# The manual's broadcast loop: queuednet-broadcast-load's clients in rooms, each sending at a fixed
# rate, every member verifying every datagram of its room once and in each sender's order, against
# baseline-epoll-broadcast and queuednet-broadcast-server. Each cell "CLIENTS:ROOM_SIZE" sends
# --broadcast-deliveries per second in all (rate per client = that / (clients x room size)).
# Server CPU per delivered datagram, its ratio to the baseline with the same thread count
# (polled: the 1-thread one), p50/p99 delivery latency.
broadcast_section() {
  local csv=$out/broadcast.csv md=$out/broadcast.md
  echo "clients,room_size,rate,server,kind,backend,threads,deliveries_per_sec,cpu_us_per_delivery,cpu_vs_baseline,p50_us,p99_us,result,runs" >"$csv"
  {
    echo "| clients | room size | sends/s per client | server | deliveries/s | server CPU µs/delivery | vs baseline | p50 µs | p99 µs | deliveries |"
    echo "|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"
  } >"$md"
  local servers=() t b cell
  for t in 1 2; do servers+=("baseline t=$t|baseline|baseline|$t|$bin/baseline-epoll-broadcast --threads $t"); done
  for b in $backends; do
    for t in 0 2; do servers+=("queuednet $b t=$t|queuednet|$b|$t|$bin/queuednet-broadcast-server --backend $b --threads $t"); done
  done
  for cell in $broadcast_cells; do
    local clients=${cell%%:*} room=${cell#*:} rate
    rate=$(awk -v d="$broadcast_deliveries" -v c="$clients" -v k="$room" 'BEGIN { printf "%.4g", d / (c * k) }')
    declare -A rates=() cpus=() p50s=() p99s=() results=() cpu_of=()
    local round entry label kind backend threads cmd line before after delivered
    for ((round = 1; round <= repeat; round++)); do
      for entry in "${servers[@]}"; do
        IFS='|' read -r label kind backend threads cmd <<<"$entry"
        echo "broadcast: $clients clients, rooms of $room, $label (run $round of $repeat)" >&2
        # shellcheck disable=SC2086 # the command is a word list
        if start_server $cmd; then
          before=$(server_cpu_ns)
          line=$(timeout "$run_bound" "${on_load[@]}" "$bin/queuednet-broadcast-load" --port "$tcp_port" \
                   --clients "$clients" --room-size "$room" --rate "$rate" --duration "$seconds" 2>/dev/null |
                   tail -n 1 || true)
          after=$(server_cpu_ns)
          stop_server
          delivered=$(field delivered "$line")
          if [ -n "$delivered" ] && [ "$delivered" -gt 0 ]; then
            cpus[$label]+=" $(awk -v a="$after" -v b="$before" -v n="$delivered" 'BEGIN { printf "%.3f", (a - b) / 1000 / n }')"
          fi
          rates[$label]+=" $(field deliveries_per_sec "$line")" p50s[$label]+=" $(field p50_us "$line")"
          p99s[$label]+=" $(field p99_us "$line")" results[$label]+=" $(or_dash "$(field result "$line")")"
        else
          results[$label]+=" unavailable"
        fi
      done
    done
    # shellcheck disable=SC2086 # word lists
    for entry in "${servers[@]}"; do
      IFS='|' read -r label kind backend threads cmd <<<"$entry"
      cpu_of[$label]=$(median ${cpus[$label]:-})
    done
    for entry in "${servers[@]}"; do
      IFS='|' read -r label kind backend threads cmd <<<"$entry"
      local cpu=${cpu_of[$label]} vs rate_med p50 p99 res
      vs=$(ratio "$cpu" "${cpu_of[baseline t=$((threads == 0 ? 1 : threads))]:-}")
      rate_med=$(median ${rates[$label]:-}) p50=$(median ${p50s[$label]:-}) p99=$(median ${p99s[$label]:-})
      res=$(verdict ${results[$label]:-})
      echo "$clients,$room,$rate,$label,$kind,$backend,$threads,$rate_med,$cpu,$vs,$p50,$p99,$res,$repeat" >>"$csv"
      echo "| $clients | $room | $rate | $label | $(or_dash "$rate_med") | $(or_dash "$cpu") | $vs | $(or_dash "$p50") | $(or_dash "$p99") | $res |" >>"$md"
    done
    unset rates cpus p50s p99s results cpu_of
  done
}

# --- idle --------------------------------------------------------------------------------------------
# Server memory per idle connection: bench/idle_memory.sh opens --idle-connections connections to
# each server (each served one echo, then held idle) and divides the growth of its RSS by them.
idle_section() {
  QUEUEDNET_BENCH_BIN=$bin bench/idle_memory.sh --connections "$idle_connections" --out "$out/idle.csv" \
    >"$out/idle.out" || echo "idle: some servers could not be measured (see idle.csv)" >&2
  grep '^|' "$out/idle.out" >"$out/idle.md" || rm -f "$out/idle.md"
  rm -f "$out/idle.out"
}

for section in $sections; do
  case $section in
    tcp) tcp_section ;;
    latency) latency_section ;;
    pingpong) pingpong_section ;;
    udp) udp_section ;;
    broadcast) broadcast_section ;;
    idle) idle_section ;;
  esac
done

/usr/bin/python3 bench/plot_benchmarks.py "$out" >&2

# --- results.md ------------------------------------------------------------------------------------
{
  echo "# Benchmark results"
  echo
  echo '```'
  cat "$out/machine.txt"
  echo '```'
  echo
  echo "## Summary"
  echo
  /usr/bin/python3 bench/summarize_results.py "$out"
  if [ -f "$out/tcp.md" ]; then
    echo
    echo "## TCP echo"
    echo
    echo "The baselines and the peers echo bytes as they arrive; queuednet-echo-server echoes"
    echo "datagram by datagram (frames split, each datagram taken and sent again), as the manual's"
    echo "server does. Its ratios include that work."
    echo
    echo "vs baseline: the server's CPU per message divided by the hand-written server's of the same"
    echo "backend and thread count in this run (io_uring: baseline-uring; epoll, poll: baseline-epoll;"
    echo "polled mode, t=0: the 1-thread one). vs peers: divided by the cheaper of asio and libuv with"
    echo "that thread count. Below 1 is less."
    echo
    cat "$out/tcp.md"
    for png in tcp_throughput tcp_cpu_per_msg tcp_latency; do
      [ -f "$out/$png.png" ] && printf '\n![%s](%s.png)\n' "$png" "$png"
    done
  fi
  if [ -f "$out/latency.md" ]; then
    echo
    echo "## Request-reply latency (one connection, one datagram in flight)"
    echo
    cat "$out/latency.md"
    [ -f "$out/request_reply_latency.png" ] && printf '\n![request_reply_latency](request_reply_latency.png)\n'
  fi
  if [ -f "$out/pingpong.md" ]; then
    echo
    echo "## Panda3D-style exchange (queuednet-pingpong against queuednet-echo-server, polled, 64 in flight)"
    echo
    cat "$out/pingpong.md"
  fi
  if [ -f "$out/udp.md" ]; then
    echo
    echo "## UDP echo, 32-byte payloads (lost: no echo within 0.5 s)"
    echo
    cat "$out/udp.md"
    [ -f "$out/udp.png" ] && printf '\n![udp](udp.png)\n'
  fi
  if [ -f "$out/broadcast.md" ]; then
    echo
    echo "## Broadcast (the manual's loop: each datagram sent to every member of the sender's room)"
    echo
    cat "$out/broadcast.md"
    [ -f "$out/broadcast.png" ] && printf '\n![broadcast](broadcast.png)\n'
  fi
  if [ -f "$out/idle.md" ]; then
    echo
    echo "## Server memory per idle connection ($idle_connections connections, each served one echo)"
    echo
    cat "$out/idle.md"
    [ -f "$out/idle_memory.png" ] && printf '\n![idle_memory](idle_memory.png)\n'
  fi
} >"$out/results.md"
rm -f "$out"/{tcp,latency,pingpong,udp,broadcast,idle}.md
echo "results: $out/results.md" >&2
