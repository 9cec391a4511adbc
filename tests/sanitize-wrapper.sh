#!/bin/sh
# sanitize-wrapper.sh: one test under AddressSanitizer + UBSan, failing it
# when any process it started reported something.
#
#   sanitize-wrapper.sh PROGRAM [ARGUMENT…]
#
# The wrapper of meson's default test setup in a -Db_sanitize build
# (tests/meson.build; `make check SANITIZE=1`). The tests start node
# processes, place processes, examples and the dplaces binary, all ASan
# builds too. A report in one of them would otherwise vanish: many tests
# never look at how a node process ended, and a leak is only reported as
# the process exits, often after the test has passed. So every process of
# the test writes its reports to a folder of this run (log_path, through
# the inherited ASAN_OPTIONS and UBSAN_OPTIONS); when PROGRAM ends, each
# report found there is printed on stderr and the test fails, whatever
# PROGRAM's own status.
#
# LeakSanitizer suppressions: lsan.supp beside this script (each says why).
# ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS already in the environment
# come after ours, so they win, except for log_path.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u

here=$(cd "$(dirname "$0")" && pwd)
reports=$(mktemp -d "${TMPDIR:-/tmp}/dplaces-sanitize.XXXXXX") || exit 1
trap 'rm -rf "$reports"' EXIT
# meson stops a test that times out with SIGTERM: clean up then too.
trap 'exit 143' TERM
trap 'exit 130' INT

# abort_on_error: a process that hits an error dies of SIGABRT, which a
# test watching it sees as a crash; detect_leaks is ASan's default on
# x86-64 Linux, said here for the other platforms.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:log_path=$reports/asan:log_exe_name=1"
UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}:log_path=$reports/ubsan:log_exe_name=1"
LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
# GIO's libproxy resolver, which a libsoup client asks, throws C++
# exceptions inside; loaded after ASan started, libstdc++'s __cxa_throw is
# out of reach of ASan's interceptor, which stops the process ("CHECK
# failed: … real___cxa_throw"). The tests talk to 127.0.0.1: no proxy.
export GIO_USE_PROXY_RESOLVER=dummy
# Tests (tests/meson.build's valgrind-core) and helpers may ask.
export DP_SANITIZE_REPORTS="$reports"

"$@"
status=$?

found=0
for report in "$reports"/*; do
  test -e "$report" || continue
  found=1
  echo "=== sanitizer report ${report##*/} ===" >&2
  cat "$report" >&2
done
if [ $found = 1 ]; then
  echo "sanitize-wrapper.sh: a process of this test reported errors (above)" >&2
  [ $status = 0 ] && status=1
fi
exit $status
