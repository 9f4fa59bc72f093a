#!/usr/bin/env bash
# Installs what is missing, builds, and runs the test suite with ctest.
#   scripts/test.sh            release build, suite in every mode (polled, 1 and 4 workers)
#   scripts/test.sh asan       AddressSanitizer + UBSan build, the whole suite
#   scripts/test.sh tsan       ThreadSanitizer build, the whole suite
# Each runs the suite in polled mode and with 1 and 4 workers, on io_uring, epoll and poll.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
scripts/install-deps.sh
case "$flavour" in
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DQUEUEDNET_ASAN=ON) ;;
  tsan) flags=(-DCMAKE_BUILD_TYPE=Debug -DQUEUEDNET_TSAN=ON) ;;
  *) echo "usage: scripts/test.sh [release|asan|tsan]" >&2; exit 2 ;;
esac
build=build-$flavour
# The filter is a cached variable: reset it, so a reused build directory runs everything.
cmake -S . -B "$build" -G Ninja "-DQUEUEDNET_TEST_FILTER=*" "${flags[@]}" -DQUEUEDNET_BUILD_TESTS=ON -DQUEUEDNET_BUILD_BENCH=ON
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure
