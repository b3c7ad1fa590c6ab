#!/bin/sh
# Install what xrfb and its test suite need (Debian 12), build xrfb out of
# tree, run `make check` (unit, encoder, fuzz-corpus and integration
# tests), and end with exactly one summary line computed by the automake
# test harness:
#
#   N passed, N failed[, N skipped]
#
# The exit status is non-zero when anything failed (a failed build counts
# as one failure). Runs as root or through sudo, with or without a
# terminal; CI runs it through .ci/run.
#
# Environment:
#   XRFB_BUILD_DIR   build directory (default: build-check in the tree)
#   XRFB_CONFIGURE   extra configure arguments (e.g. --enable-asan)
#   XRFB_JOBS        parallel jobs for make and make check (default: nproc)
#   TESTS            run only these tests, as with `make check TESTS=...`
#   XRFB_CONFIGURE_ONLY  install and configure, print the build directory
#                    and stop (tests/integration/scripts.sh uses it)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. "$top/scripts/packages.sh"

summary() {
	# the one line CI reads; nothing may be printed after it
	if [ "$3" -gt 0 ]; then
		echo "$1 passed, $2 failed, $3 skipped"
	else
		echo "$1 passed, $2 failed"
	fi
}

build_failed() {
	echo "test.sh: $1" >&2
	summary 0 1 0
	exit 1
}

# --- dependencies: apt-get update once, then install what is missing ---------
# shellcheck disable=SC2086
xrfb_install $XRFB_BUILD_PACKAGES $XRFB_TEST_PACKAGES ||
	build_failed "installing Debian packages failed"

# --- build ------------------------------------------------------------------
# Out of tree, in a directory of this script's own, configured by this
# script: a configuration made before the test packages were installed
# (by hand, or by an older quick start) is made again, never reused as it
# is, or the suite would find its tools unbuilt.
jobs=${XRFB_JOBS:-$(nproc 2>/dev/null || echo 2)}
build=$(xrfb_build_dir "${XRFB_BUILD_DIR:-$top/build-check}" "$top")
# shellcheck disable=SC2086
xrfb_configure "$build" "$top" $XRFB_TEST_FEATURES ||
	build_failed "configure failed (see $build/config.log)"
# shellcheck disable=SC2086
lacks=$(xrfb_config_lacks "$build" $XRFB_TEST_FEATURES)
[ -z "$lacks" ] ||
	build_failed "configure found no $lacks for the tests (see $build/config.log)"
if [ -n "${XRFB_CONFIGURE_ONLY:-}" ]; then
	echo "build directory: $build"
	exit 0
fi
cd "$build" || build_failed "cannot enter $build"
make -j"$jobs" || build_failed "make failed"

# --- tests ------------------------------------------------------------------
# a stale log would be read as this run's result
rm -f test-suite.log
if [ -n "${TESTS:-}" ]; then
	make -j"$jobs" check TESTS="$TESTS"
else
	make -j"$jobs" check
fi
check_status=$?

if [ ! -f test-suite.log ]; then
	build_failed "make check produced no test-suite.log (exit $check_status)"
fi
# the harness's own totals, at the top of test-suite.log
count() {
	sed -n "s/^# $1: *\\([0-9][0-9]*\\)\$/\\1/p" test-suite.log | head -n 1
}
pass=$(count PASS)
xfail=$(count XFAIL)
fail=$(count FAIL)
xpass=$(count XPASS)
error=$(count ERROR)
skip=$(count SKIP)
passed=$(( ${pass:-0} + ${xfail:-0} ))
failed=$(( ${fail:-0} + ${xpass:-0} + ${error:-0} ))
skipped=${skip:-0}

# --- the sanitizer pass (make check-asan) -----------------------------------
# (with the whole suite only; not for a build in the source tree, which
# cannot have another beside it, nor one built with sanitizers already)
case "$build ${XRFB_CONFIGURE:-}" in
"$top "* | *--enable-asan*) ;;
*)
	if [ -z "${TESTS:-}" ]; then
		rm -f asan/test-suite.log
		make -j"$jobs" check-asan
		asan_status=$?
		if [ -f asan/test-suite.log ]; then
			cd asan || build_failed "cannot enter $build/asan"
			for k in PASS XFAIL FAIL XPASS ERROR SKIP; do
				v=$(count $k)
				eval "asan_$k=${v:-0}"
			done
			cd .. || build_failed "cannot enter $build"
			passed=$((passed + asan_PASS + asan_XFAIL))
			failed=$((failed + asan_FAIL + asan_XPASS + asan_ERROR))
			skipped=$((skipped + asan_SKIP))
		fi
		if [ "$asan_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
			echo "test.sh: make check-asan failed" >&2
			failed=1
		fi
	fi
	;;
esac
if [ "$failed" -eq 0 ] && [ "$check_status" -ne 0 ]; then
	# make check failed outside the tests (e.g. a test program did not
	# build): count it, never report a clean run
	echo "test.sh: make check failed (exit $check_status)" >&2
	failed=1
fi

# The end of the own log of each test that failed in build folder @1 (at
# most five): what CI prints may be all there is to go on.
failed_logs() {
	local t log
	[ -f "$1/test-suite.log" ] || return 0
	for t in $(sed -n 's/^\(FAIL\|ERROR\|XPASS\): \([^ ]*\)$/\2/p' \
		"$1/test-suite.log" | sort -u | head -n 5); do
		log=$1/${t%.sh}.log
		[ -f "$log" ] || continue
		echo "----- ${log#./} (last 60 lines) -----"
		tail -n 60 "$log"
	done
}

if [ "$failed" -gt 0 ] || [ "$skipped" -gt 0 ]; then
	echo "test results ($build/test-suite.log):"
	grep -hE '^(FAIL|ERROR|XPASS|SKIP): ' test-suite.log \
		asan/test-suite.log 2>/dev/null | sort -u
	failed_logs .
	failed_logs asan
fi
summary "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
