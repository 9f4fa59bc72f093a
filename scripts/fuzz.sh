#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang under AddressSanitizer + UBSan and runs
# each for a bounded time from its committed seed corpus.
#   scripts/fuzz.sh [SECONDS]     seconds per fuzzer (default 60)
# New inputs a run finds are kept in build-fuzz/corpus/<name> (not committed); a crashing input
# is written to build-fuzz/artifacts/ and the script exits 1 after running every fuzzer. Replay
# one with build-fuzz/tests/fuzz/<name>_fuzzer <file>; it then belongs in the unit tests and in
# tests/fuzz/corpus/<name>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case "$seconds" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

scripts/install-deps.sh
missing=()
for p in clang libclang-rt-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}"
fi

build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DQUEUEDNET_FUZZ=ON -DQUEUEDNET_ASAN=ON \
  -DQUEUEDNET_BUILD_TESTS=OFF -DQUEUEDNET_BUILD_BENCH=OFF -DQUEUEDNET_BUILD_EXAMPLES=OFF -DQUEUEDNET_PYTHON=OFF
cmake --build "$build" -j"$(nproc)"

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/artifacts" "$build/logs"
failed=()
for seeds in tests/fuzz/corpus/*/; do
  name=$(basename "$seeds")
  binary="$build/tests/fuzz/${name}_fuzzer"
  work="$build/corpus/$name"
  log="$build/logs/$name.log"
  mkdir -p "$work"
  echo "fuzz: $name for ${seconds}s"
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$name-" "$work" "$seeds" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$log" | sed 's/^/  /' || true
  else
    echo "fuzz: $name FAILED; last lines of $log:"
    tail -n 40 "$log"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}; inputs in $build/artifacts/"
  exit 1
fi
echo "fuzz: every fuzzer ran ${seconds}s without a failure"
