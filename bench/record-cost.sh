#!/bin/bash
# What recording costs: `xrfb run` on a terminal and a video workload,
# without and with --record, and `ffmpeg -f x11grab` recording the same
# display in the same run (lossless H.264, libx264rgb -qp 0, at the frame
# rate xrfb records at, 10/s), for comparison; and --record with
# --record-last N, N half the time measured (its ring on disk; MB/min from
# the file it leaves, the last N s). No viewer is connected: a
# CI job being recorded. CPU time comes from the scheduler (schedstat),
# of xrfb alone (its Xvfb and the workload not counted) and of ffmpeg.
#
#   bench/record-cost.sh [--builddir DIR] [--seconds S] [--size WxH]
#                        [--workloads "terminal video"]
#
# Workloads: terminal, xterm scrolling a log at 300 lines/s; video,
# full-screen changes at 30 frames/s (bench/xload video).
set -u

builddir=.
seconds=10
size=1920x1080
workloads="terminal video"
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--workloads) workloads=$2; shift 2 ;;
	*) echo "usage: $0 [--builddir DIR] [--seconds S] [--size WxH]" \
		"[--workloads LIST]" >&2; exit 2 ;;
	esac
done
builddir=$(cd "$builddir" && pwd)
XRFB=$builddir/xrfb
XLOAD=$builddir/bench/xload
for p in "$XRFB" "$XLOAD"; do
	[ -x "$p" ] || { echo "$p is not built (make bench/xload)" >&2; exit 2; }
done
for p in xterm python3 ffmpeg; do
	command -v "$p" >/dev/null || { echo "$p is missing" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/record-cost.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# CPU time of a process so far, all its threads, in nanoseconds.
cpu_ns() {
	local t v sum=0

	for t in /proc/"$1"/task/*/schedstat; do
		read -r v _ 2>/dev/null <"$t" || continue
		sum=$((sum + v))
	done
	echo "$sum"
}

json() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# Start the workload @1 on the display of the ready record @2.
start_load() {
	local w=$1 rec=$2
	export DISPLAY XAUTHORITY
	DISPLAY=$(json "$rec" display)
	XAUTHORITY=$(json "$rec" xauthority)
	case $w in
	terminal)
		cat >"$tmp/log.py" <<'PY'
import sys, time
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
n = 0
next_t = time.monotonic()
while True:
    n += 1
    line = " ".join(words[(n * 7 + k * 3) % len(words)] for k in range(n % 11 + 3))
    sys.stdout.write("%8d  [info] request %d served: %s\n" % (n, n * 7919 % 100000, line))
    sys.stdout.flush()
    next_t += 1 / 300
    d = next_t - time.monotonic()
    if d > 0:
        time.sleep(d)
PY
		LANG=C xterm -geometry 110x45+40+30 -fn fixed +sb \
			-e python3 "$tmp/log.py" >/dev/null 2>&1 &
		;;
	video)
		"$XLOAD" video 30 >"$tmp/video.out" 2>&1 &
		;;
	esac
	LOAD_PID=$!
	pids+=("$LOAD_PID")
	sleep 1
}

# One measurement: xrfb run (with the options in "$@") and the workload
# @1; with @2 = ffmpeg, ffmpeg records the display too. Prints
# "xrfb_percent ffmpeg_percent bytes".
measure() {
	local w=$1 mode=$2 rec=$tmp/ready.json xp fp=0 x0 x1 f0=0 f1=0 bytes=0
	shift 2
	rm -f "$rec" "$tmp"/out.*
	"$XRFB" run --size "${size}x24" --ready-file "$rec" "$@" -- \
		sleep $((seconds + 30)) &
	xp=$!
	pids+=("$xp")
	for ((i = 0; i < 300; i++)); do
		[ -s "$rec" ] && break
		sleep 0.1
	done
	start_load "$w" "$rec"
	if [ "$mode" = ffmpeg ]; then
		ffmpeg -v error -f x11grab -framerate 10 -video_size "$size" \
			-i "$DISPLAY" -c:v libx264rgb -preset ultrafast -qp 0 \
			-y "$tmp/out.mkv" </dev/null &
		fp=$!
		pids+=("$fp")
		sleep 1
		f0=$(cpu_ns "$fp")
	fi
	x0=$(cpu_ns "$xp")
	sleep "$seconds"
	x1=$(cpu_ns "$xp")
	if [ "$mode" = ffmpeg ]; then
		f1=$(cpu_ns "$fp")
		kill -INT "$fp"
		wait "$fp" 2>/dev/null
	fi
	kill "$xp"
	wait "$xp" 2>/dev/null
	kill "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID" 2>/dev/null
	bytes=$(cat "$tmp"/out.* 2>/dev/null | wc -c)
	awk -v x=$((x1 - x0)) -v f=$((f1 - f0)) -v s="$seconds" -v b="$bytes" \
		'BEGIN { printf "%.1f %.1f %d\n", x / s / 1e7, f / s / 1e7, b }'
}

printf '%-9s %-26s %8s %10s %10s\n' workload case "xrfb %" "ffmpeg %" "MB/min"
for w in $workloads; do
	read -r a _ _ < <(measure "$w" plain)
	printf '%-9s %-26s %8s %10s %10s\n' "$w" "xrfb run" "$a" - -
	read -r b _ bytes < <(measure "$w" plain --record "$tmp/out.fbs")
	printf '%-9s %-26s %8s %10s %10.1f\n' "$w" "xrfb run --record" "$b" - \
		"$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { print b / s * 60 / 1e6 }')"
	# the ring of --record-last: a key frame every N/4 s; the file it
	# leaves holds the last N s (here half the measured time)
	n=$(((seconds + 1) / 2))
	read -r b _ bytes < <(measure "$w" plain --record "$tmp/out.fbs" \
		--record-last $n)
	printf '%-9s %-26s %8s %10s %10.1f\n' "$w" "  --record-last $n" "$b" - \
		"$(awk -v b="$bytes" -v s="$n" 'BEGIN { print b / s * 60 / 1e6 }')"
	read -r c f bytes < <(measure "$w" ffmpeg)
	printf '%-9s %-26s %8s %10s %10.1f\n' "$w" "xrfb run + ffmpeg x11grab" "$c" \
		"$f" "$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { print b / s * 60 / 1e6 }')"
done
