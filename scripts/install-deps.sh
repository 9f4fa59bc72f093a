#!/usr/bin/env bash
# Installs the Debian packages queuednet needs, only those missing. Used by the README
# commands and by .ci/run. Needs root (or sudo) when something is missing.
#   scripts/install-deps.sh          build and test
#   scripts/install-deps.sh bench    also what bench/run_benchmarks.sh needs (matplotlib, taskset)
#                                    and bench/run_python_benchmarks.sh (uvloop)
#                                    and the peer echo servers (Asio, libuv)
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config liburing-dev libconcurrentqueue-dev libgtest-dev libbenchmark-dev
          python3-dev pybind11-dev python3-pybind11 python3-pytest
          python3-venv python3-setuptools python3-wheel python3-pip doxygen)
[ "${1:-}" = bench ] && packages+=(python3-matplotlib util-linux python3-uvloop libasio-dev libuv1-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}"
