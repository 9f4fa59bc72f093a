#!/usr/bin/env bash
# `pip wheel .` and `pip install .` as a user runs them, offline, with Debian's build tools: copies
# the source tree (no build directories, no .git) to a temporary directory, makes a virtual
# environment that sees Debian's packages (setuptools, wheel), builds a wheel of the copy and
# installs the copy (--no-build-isolation, --no-index), then runs the manual's Python server
# and client from that environment against each other.
#   pip_install_check.sh SOURCE_DIR [PYTHON]      (PYTHON: /usr/bin/python3 by default)
# CMAKE_BUILD_PARALLEL_LEVEL sets the compile jobs (default 2).
set -euo pipefail
src=$1 python=${2:-/usr/bin/python3}
work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
unset PYTHONPATH
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
export QUEUEDNET_LOG=error
run() {  # run LOG COMMAND...: the command's output goes to LOG, shown only if it fails
  local log=$1
  shift
  "$@" >"$log" 2>&1 || { cat "$log"; echo "FAILED: $*"; exit 1; }
}

mkdir "$work/src"
tar -C "$src" --exclude='./build*' --exclude=./.git --exclude='*.egg-info' -cf - . | tar -C "$work/src" -xf -
run "$work/venv.log" "$python" -m venv --system-site-packages "$work/venv"
venv_python=$work/venv/bin/python

# The wheel first: `pip install` then reuses the copy's CMake build directory.
run "$work/wheel.log" "$venv_python" -m pip wheel --no-build-isolation --no-deps -w "$work/wheels" "$work/src"
wheel=$(ls "$work"/wheels/queuednet-*.whl)
contents=$("$venv_python" -m zipfile -l "$wheel")
for f in queuednet/__init__.py queuednet/py_datagram.py 'queuednet/_queuednet\..*\.so'; do
  grep -q "^$f " <<<"$contents" || { echo "$wheel lacks $f"; exit 1; }
done
echo "ok: pip wheel: ${wheel##*/}"

run "$work/install.log" "$venv_python" -m pip install --no-build-isolation "$work/src"
module=$(cd "$work" && "$venv_python" -c 'import queuednet; print(queuednet._queuednet.__file__)')
case $module in
  "$work"/venv/lib/python*/site-packages/queuednet/_queuednet.*.so) echo "ok: pip install: $module" ;;
  *) echo "queuednet imported from $module, not from the virtual environment"; exit 1 ;;
esac

# The manual's server and client, run by the environment's interpreter from outside the tree.
examples=$work/src/examples/python
out=$work/server.out
(cd "$work" && exec "$venv_python" "$examples/manual_server.py" --port 0 --duration 30) >"$out" 2>&1 &
server=$!
for _ in $(seq 1 200); do grep -q '^listening on' "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$out")
[ -n "$port" ] || { cat "$out"; echo "manual_server.py did not start"; exit 1; }
(cd "$work" && "$venv_python" "$examples/manual_client.py" --port "$port" --messages 3) >"$work/client.out" 2>&1 \
  || { cat "$work/client.out" "$out"; echo "manual_client.py failed"; exit 1; }
wait "$server"
server=""
cat "$work/client.out" "$out"
grep -q '^server closed$' "$out" || { echo "the server did not close in order"; exit 1; }
echo "pip install: all checks passed"
