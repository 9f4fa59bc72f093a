#!/usr/bin/env bash
# Runs queuednet-echo-server and drives it with queuednet-echo-load (a client that knows only
# the wire format, on raw sockets) at each connection count; every echoed byte is verified.
# Then 50 UDP sockets with 2 datagrams in flight each (lost datagrams are counted, not fatal),
# and 50 clients that send 10 datagrams and half-close at once (every echo must come back).
#   echo_server_check.sh BENCH_BIN_DIR THREADS BACKEND CONNECTIONS...
set -euo pipefail
bin=$1 threads=$2 backend=$3
shift 3
# The half-close clients need only Python's standard library: any python3 will do.
python=$(command -v python3 || true)
[ -n "$python" ] || { echo "echo_server_check.sh: no python3 for the half-close clients; skipped"; exit 77; }
out=$(mktemp)
"$bin/queuednet-echo-server" --port 0 --udp 0 --threads "$threads" --backend "$backend" --duration 120 >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 200); do grep -q '^listening on' "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
udp_port=$(sed -n 's/.* udp=\([0-9]*\).*/\1/p' "$out")
if [ -z "$port" ]; then
  cat "$out"
  grep -q 'backend unavailable' "$out" && exit 77  # ctest: skipped on a machine without it
  exit 1
fi
head -n 1 "$out"
for connections in "$@"; do
  "$bin/queuednet-echo-load" --port "$port" --connections "$connections" --window 4 --size 48 --duration 1
done
"$bin/queuednet-echo-load" --udp --port "$udp_port" --connections 50 --window 2 --size 48 --duration 1 --loss-timeout 5
# Clients that half-close right behind their last datagrams get every echo.
"$python" "$(dirname "$0")/half_close_check.py" "$port" 50 10
kill -INT $server
wait $server
tail -n 1 "$out"
