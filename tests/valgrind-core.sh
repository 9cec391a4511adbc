#!/bin/sh
# valgrind-core.sh: memcheck over the core test programs.
#
#   valgrind-core.sh PROGRAM…
#
# Runs each test program under valgrind's memcheck with the throughput
# tests' message count lowered (DP_TEST_MESSAGES), and prints TAP: a
# program fails when memcheck finds an error or a block "definitely lost"
# (a leak nothing points to any more). GLib's one-time allocations are
# "still reachable" and do not count; nothing is suppressed.
#
# A test program's own failures (a "not ok" of its own, exit status 1) are
# reported by its own meson test; here they only get a note. Skips (TAP
# "1..0 # SKIP") when valgrind is not installed, and when the programs are
# sanitizer builds (DP_SANITIZE, from -Db_sanitize): valgrind cannot run
# AddressSanitizer's binaries.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u

if ! command -v valgrind >/dev/null 2>&1; then
  echo "1..0 # SKIP valgrind is not installed"
  exit 0
fi
case ${DP_SANITIZE:-none} in
  none) ;;
  *)
    echo "1..0 # SKIP a -Db_sanitize=$DP_SANITIZE build: valgrind cannot run sanitized programs"
    exit 0
    ;;
esac

MEMCHECK_ERROR=99
log_dir=${VALGRIND_LOG_DIR:-${TMPDIR:-/tmp}/dplaces-valgrind-logs}
mkdir -p "$log_dir"

export DP_TEST_MESSAGES="${DP_TEST_MESSAGES:-2000}"
export G_SLICE=always-malloc
export G_DEBUG=gc-friendly
unset MALLOC_CHECK_ MALLOC_PERTURB_

# One program that hangs must not hide the others' results.
limit=
if command -v timeout >/dev/null 2>&1; then
  limit="timeout --kill-after=10 ${VALGRIND_PROGRAM_TIMEOUT:-400}"
fi

echo "1..$#"
n=0
failed=0
for program in "$@"; do
  n=$((n + 1))
  name=$(basename "$program")
  log="$log_dir/$name.log"
  $limit valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
           --errors-for-leak-kinds=definite --error-exitcode=$MEMCHECK_ERROR \
           --num-callers=40 --log-file="$log" \
           "$program" -k >"$log_dir/$name.out" 2>&1
  status=$?
  lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -n 1)
  errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -n 1)
  summary="definitely lost: ${lost:-0} bytes, memcheck errors: ${errors:-?}"
  case $status in
    0)
      echo "ok $n - $name ($summary)"
      ;;
    1)
      echo "ok $n - $name ($summary) # its own test failures are reported by its meson test"
      ;;
    $MEMCHECK_ERROR)
      echo "not ok $n - $name ($summary)"
      # Show memcheck's findings, TAP-commented.
      grep -E '(definitely lost in|Invalid|uninitialised|Mismatched|   (at|by) 0x)' "$log" |
        sed 's/^/# /'
      failed=1
      ;;
    124|137)
      echo "not ok $n - $name: still running after ${VALGRIND_PROGRAM_TIMEOUT:-400} s under valgrind (see $log)"
      tail -n 5 "$log_dir/$name.out" | sed 's/^/# /'
      failed=1
      ;;
    *)
      echo "not ok $n - $name: exited with status $status under valgrind (see $log)"
      tail -n 20 "$log_dir/$name.out" | sed 's/^/# /'
      failed=1
      ;;
  esac
done

exit $failed
