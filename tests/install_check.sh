#!/usr/bin/env bash
# Installs queuednet into a temporary prefix, builds a small consumer against it with
# find_package (shared and static targets) and with pkg-config, and runs each against
# queuednet-echo-server over loopback.
#   install_check.sh BUILD_DIR CXX_COMPILER GENERATOR ECHO_SERVER_DIR
set -euo pipefail
build=$1 cxx=$2 generator=$3 bin=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/queuednet/queuednet.h lib/cmake/queuednet/queuednetConfig.cmake \
         lib/cmake/queuednet/queuednetConfigVersion.cmake lib/pkgconfig/queuednet.pc \
         lib/libqueuednet.a lib/libqueuednet.so; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done

# find_package(queuednet CONFIG REQUIRED)
cmake -S "$here/install_consumer" -B "$work/consumer" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
# pkg-config
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
libdir=$(realpath "$(pkg-config --variable=libdir queuednet)")  # the .pc file says PREFIX/lib/pkgconfig/../../lib
# shellcheck disable=SC2046 # word splitting of the flags is intended
"$cxx" -std=c++20 -O1 -o "$work/consumer-pkgconfig" "$here/install_consumer/consumer.cpp" \
       $(pkg-config --cflags --libs queuednet) -Wl,-rpath,"$libdir"

# The shared targets load the installed libqueuednet.so; the static one does not need it.
# (ldd's output is captured first: grep -q closing the pipe early would fail it under pipefail.)
shared_libs=$(ldd "$work/consumer/consumer-shared")
pkgconfig_libs=$(ldd "$work/consumer-pkgconfig")
static_libs=$(ldd "$work/consumer/consumer-static")
grep -q "$prefix/lib/libqueuednet.so" <<<"$shared_libs" \
  || { echo "consumer-shared does not load the installed libqueuednet.so"; exit 1; }
grep -q "$prefix/lib/libqueuednet.so" <<<"$pkgconfig_libs" \
  || { echo "consumer-pkgconfig does not load the installed libqueuednet.so"; exit 1; }
if grep -q libqueuednet <<<"$static_libs"; then
  echo "consumer-static loads libqueuednet.so"; exit 1
fi

out=$work/server.out
"$bin/queuednet-echo-server" --port 0 --duration 60 >"$out" 2>&1 &
server=$!
for _ in $(seq 1 200); do grep -q '^listening on' "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$out")
[ -n "$port" ] || { cat "$out"; exit 1; }
for consumer in "$work/consumer/consumer-shared" "$work/consumer/consumer-static" "$work/consumer-pkgconfig"; do
  echo -n "${consumer##*/}: "
  "$consumer" "$port"
done
