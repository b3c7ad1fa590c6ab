#!/bin/sh
# Run one libFuzzer target for a while:  scripts/fuzz.sh TARGET SECONDS
# TARGET is a target of tests/fuzz (rfb-parse, client). The fuzzing build
# (clang, libFuzzer, ASan + UBSan) lives in build-fuzz/ and is made on
# first use. New inputs go to build-fuzz/corpus-TARGET (the seeds in
# tests/fuzz/corpus/TARGET are read, never written); copy the interesting
# ones into the seed corpus by hand. Prints libFuzzer's last status line.
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
# shellcheck disable=SC2086 # $dict is one word or none
"$build/tests/fuzz/fuzz-$target" -max_total_time="$seconds" \
	-print_final_stats=1 $dict "$build/corpus-$target" "$seeds" 2>&1 |
	tail -n 20
