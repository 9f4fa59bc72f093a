#!/usr/bin/env bash
# Runs the manual's server and client against each other on an ephemeral port; exits 0 when
# the client got every broadcast and the server closed in order.
set -euo pipefail
bin=${1:?usage: run_manual_demo.sh BUILD_EXAMPLES_DIR}
out=$(mktemp)
"$bin/manual_server" --port 0 --duration 20 > "$out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do grep -q '^listening on' "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$out")
"$bin/manual_client" --port "$port" --messages 3
wait $server
cat "$out"
grep -q '^server closed$' "$out"
