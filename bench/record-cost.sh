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
. "$(dirname "$0")/lib.sh"

builddir=.
seconds=10
size=1920x1080
workloads="terminal video"
bench_options '
	--builddir builddir DIR
	--seconds seconds S
	--size size WxH
	--workloads workloads LIST' "$@"
builddir=$(cd "$builddir" && pwd)
XRFB=$builddir/xrfb
XLOAD=$builddir/bench/xload
bench_require_built "$XRFB" "$XLOAD"
bench_require xterm python3 ffmpeg
bench_init

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
		# a log at 300 lines/s, of fewer words than change-bench's
		bench_start_terminal 300 alpha bravo charlie delta echo \
			foxtrot golf
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
	bench_wait_line "$rec" 30 .
	start_load "$w" "$rec"
	if [ "$mode" = ffmpeg ]; then
		ffmpeg -v error -f x11grab -framerate 10 -video_size "$size" \
			-i "$DISPLAY" -c:v libx264rgb -preset ultrafast -qp 0 \
			-y "$tmp/out.mkv" </dev/null &
		fp=$!
		pids+=("$fp")
		sleep 1
		f0=$(bench_cpu_ns "$fp")
	fi
	x0=$(bench_cpu_ns "$xp")
	sleep "$seconds"
	x1=$(bench_cpu_ns "$xp")
	if [ "$mode" = ffmpeg ]; then
		f1=$(bench_cpu_ns "$fp")
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
