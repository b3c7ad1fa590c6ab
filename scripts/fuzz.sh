#!/bin/sh
# Run one libFuzzer target for a while:  scripts/fuzz.sh TARGET SECONDS
# TARGET is a target of tests/fuzz (client, ctl-proto, fbs, http, ra2,
# rfb-parse, tls, websocket). The fuzzing build (clang, libFuzzer, ASan +
# UBSan) lives in build-fuzz/ and is made on first use. New inputs go to
# build-fuzz/corpus-TARGET (the seeds in tests/fuzz/corpus/TARGET are
# read, never written); copy the interesting ones into the seed corpus by
# hand. libFuzzer's whole output goes to build-fuzz/fuzz-TARGET.log;
# printed are its last status line (coverage, features, corpus), its final
# statistics and any report of a failure.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 TARGET SECONDS" >&2
	exit 2
fi
target=$1
seconds=$2
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-fuzz
seeds=$top/tests/fuzz/corpus/$target
[ -d "$seeds" ] || { echo "$0: no corpus $seeds" >&2; exit 2; }

if [ ! -f "$build/Makefile" ]; then
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CC=clang --enable-fuzzing)
fi
make -C "$build" -j2 "tests/fuzz/fuzz-$target" >/dev/null
mkdir -p "$build/corpus-$target"
dict=
[ -f "$top/tests/fuzz/$target.dict" ] && dict=-dict=$top/tests/fuzz/$target.dict
log=$build/fuzz-$target.log
status=0
# shellcheck disable=SC2086 # $dict is one word or none
"$build/tests/fuzz/fuzz-$target" -max_total_time="$seconds" \
	-print_final_stats=1 $dict "$build/corpus-$target" "$seeds" \
	>"$log" 2>&1 || status=$?
grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1
grep -E '^stat::|ERROR|SUMMARY|Test unit written|^artifact_prefix' "$log" ||
	true
exit "$status"
