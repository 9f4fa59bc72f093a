#!/usr/bin/env bash
# Installs what is missing, builds (release), and runs the main demo: queuednet-echo-server
# under load from many concurrent clients, every echoed byte verified, with a summary.
#   scripts/demo.sh [CONNECTIONS] [SECONDS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-1000}
seconds=${2:-5}
threads=${3:-2}
scripts/install-deps.sh
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DQUEUEDNET_BUILD_TESTS=OFF >/dev/null
cmake --build build-demo -j"$(nproc)" --target queuednet-echo-server queuednet-echo-load
out=$(mktemp)
build-demo/bench/queuednet-echo-server --port 0 --threads "$threads" --duration $((seconds + 30)) >"$out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do grep -q '^listening on' "$out" && break; sleep 0.05; done
head -n 1 "$out"
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
status=0
build-demo/bench/queuednet-echo-load --port "$port" --connections "$connections" --window 4 --size 32 \
  --duration "$seconds" || status=$?
kill -INT $server
wait $server || true
tail -n 1 "$out"
exit $status
