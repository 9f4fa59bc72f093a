#!/usr/bin/env bash
# Installs the Debian packages queuednet needs, only those missing. Used by the README
# commands and by .ci/run. Needs root (or sudo) when something is missing.
#   scripts/install-deps.sh          build and test
#   scripts/install-deps.sh bench    also what bench/run_benchmarks.sh needs (matplotlib, taskset)
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config liburing-dev libconcurrentqueue-dev libgtest-dev libbenchmark-dev
          python3-dev pybind11-dev python3-pybind11 python3-pytest)
[ "${1:-}" = bench ] && packages+=(python3-matplotlib util-linux)
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
