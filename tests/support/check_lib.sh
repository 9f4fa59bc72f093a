# Sourced by the tests/*_check.sh scripts: a scratch directory, processes to end on exit, and
# the checks they share. Sets $work, $pids and $failures; the script appends the PIDs it starts
# to pids and ends with `[ "$failures" = 0 ]`.
work=$(mktemp -d)
pids=()
failures=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
check() {  # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}
lines() { if [ -s "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# --help and -h of each PROGRAM: usage on stdout, exit 0, nothing on stderr.
check_help() {  # check_help PROGRAM...
  local program flag rc
  for program in "$@"; do
    for flag in --help -h; do
      "$program" "$flag" >"$work/help" 2>"$work/err"
      rc=$?
      check "${program##*/} $flag exits 0 with usage on stdout" \
        test "$rc" = 0 -a "$(head -c 6 "$work/help")" = "usage:" -a ! -s "$work/err"
    done
  done
}
# A bad argument: exit 2, exactly one line on stderr naming the program, nothing on stdout.
refuse() {  # refuse PROGRAM EXPECTED_TEXT ARGS...
  local program=$1 expect=$2
  shift 2
  "$program" "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  check "${program##*/} $* -> exit 2, one line: $expect" \
    test "$rc" = 2 -a "$(lines "$work/err")" = 1 -a ! -s "$work/out" -a \
         "$(grep -c -F -- "${program##*/}: $expect" "$work/err")" = 1
}
