#!/bin/bash
# What one full-screen frame costs xrfb, from XDamage to the socket, in
# instructions (not time: the count does not depend on what else runs on
# the machine). An Xvfb shows bench/xload video (photo-like full-screen
# frames, every pixel changed), xrfb serves it under valgrind's callgrind,
# and one libvncclient viewer (tests/tools/vnc-grab) asks for the
# encodings real viewers ask for. After a warm-up, the counters are
# zeroed, the viewer takes N frames, and the counters are dumped: the
# instructions of every xrfb thread over those N frames, divided by N.
#
#   bench/profile-frame.sh [--builddir DIR] [--xrfb PATH] [--frames N]
#                          [--size WxH] [--encodings LIST] [--quality Q]
#                          [--compress C] [--top K] [--out FILE]
#                          [-- XRFB_OPTION...]
#
# --quality Q: the viewer allows JPEG at quality Q (Tight then sends
# moving areas as JPEG); without it the viewer asks for lossless Tight.
# --xrfb PATH: profile this xrfb binary (another build, for before and
# after) instead of DIR/xrfb. --out FILE: keep the callgrind dump.
# Prints the top K functions by their own instructions, then one line:
#   frames=N instructions_per_frame=I bytes_per_frame=B rects_per_frame=R
#   pixels_per_frame=P encoder_threads_share=S%
# (pixels: of the rectangles received; S: instructions run outside the
# loop thread, on the encoder threads).
# Needs Xvfb and valgrind (Debian packages xvfb, valgrind).
set -u
. "$(dirname "$0")/lib.sh"

builddir=.
xrfb_bin=
frames=6
size=1920x1080
encodings="copyrect tight zrle hextile zlib raw"
quality=
compress=
top=15
out=
xrfb_options=()
bench_options '
	--builddir builddir DIR
	--xrfb xrfb_bin PATH
	--frames frames N
	--size size WxH
	--encodings encodings LIST
	--quality quality Q
	--compress compress C
	--top top K
	--out out FILE
	-- xrfb_options XRFB_OPTION...' "$@"
builddir=$(cd "$builddir" && pwd)
XRFB=${xrfb_bin:-$builddir/xrfb}
XLOAD=$builddir/bench/xload
GRAB=$builddir/tests/tools/vnc-grab
bench_require_built "$XRFB" "$XLOAD" "$GRAB"
bench_require Xvfb valgrind callgrind_control callgrind_annotate
bench_init

bench_start_xvfb "$size"

# 30 frames/s, as in bench/change-bench.sh: far more than xrfb under
# valgrind takes, so every frame it reads is a new full screen.
"$XLOAD" video 30 100000 >"$tmp/xload.log" 2>&1 &
pids+=($!)

valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" \
	--dump-instr=no --collect-systime=no \
	"$XRFB" --display "$DISPLAY" --port 0 "${xrfb_options[@]}" \
	>"$tmp/xrfb.out" 2>"$tmp/xrfb.err" &
xrfb=$!
pids+=($xrfb)
bench_wait_line "$tmp/xrfb.out" 300 '^xrfb: serving .* on 127\.0\.0\.1:' ||
	bench_die "xrfb did not start: $(tail -n 5 "$tmp/xrfb.err")"
port=$(sed -n 's/^xrfb: serving .* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	"$tmp/xrfb.out" | head -n 1)

opts=(--encodings "$encodings" --timeout-ms 3600000)
[ -n "$quality" ] && opts+=(--quality "$quality")
[ -n "$compress" ] && opts+=(--compress "$compress")
mkfifo "$tmp/cmd"
: >"$tmp/grab.out"
"$GRAB" "${opts[@]}" --commands - "127.0.0.1:$port" <"$tmp/cmd" \
	>"$tmp/grab.out" 2>"$tmp/grab.err" &
pids+=($!)
exec 4>"$tmp/cmd"

# Send the viewer command @1 and wait for its answer (the @2-th "ok").
ask() {
	echo "$1" >&4
	local i
	for ((i = 0; i < 36000; i++)); do
		[ "$(grep -c '^ok' "$tmp/grab.out")" -ge "$2" ] && return 0
		grep -q '^fail' "$tmp/grab.out" &&
			bench_die "viewer: $(grep '^fail' "$tmp/grab.out")"
		sleep 0.1
	done
	bench_die "viewer: no answer to $1"
}

# Warm-up: the first full update and two more frames (zlib streams,
# buffers and pools at their working size).
ask "updates 3" 1
callgrind_control -z "$xrfb" >/dev/null ||
	bench_die "callgrind_control -z failed"
ask "stats" 2
ask "updates $frames" 3
ask "stats" 4
callgrind_control -d "$xrfb" >/dev/null ||
	bench_die "callgrind_control -d failed"
echo quit >&4
exec 4>&-

dump=$(ls -t "$tmp"/callgrind.out* | grep -v '^$' | head -n 1)
[ -s "$dump" ] || bench_die "no callgrind dump"
[ -n "$out" ] && cp "$dump" "$out"

# ok stats updates U changed C rects R copyrect K pixels P bytes B ...
stat_field() {
	grep '^ok stats' "$tmp/grab.out" | sed -n "${1}p" |
		awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k)
			print $(i + 1) }'
}
c0=$(stat_field 1 changed); c1=$(stat_field 2 changed)
b0=$(stat_field 1 bytes); b1=$(stat_field 2 bytes)
r0=$(stat_field 1 rects); r1=$(stat_field 2 rects)
p0=$(stat_field 1 pixels); p1=$(stat_field 2 pixels)
n=$((c1 - c0))
[ "$n" -gt 0 ] || bench_die "no frames counted: $(cat "$tmp/grab.out")"

callgrind_annotate --inclusive=no --threshold=100 "$dump" 2>/dev/null |
	awk -v top="$top" '
		/^-+$/ { sep++; next }
		# the roots of the call graph (inclusive after zeroing)
		/:main |libc_start|below main|ld-linux|:clone |:start_thread / {
			next }
		sep >= 3 && NF >= 2 && n < top { print; n++ }'
total=$(callgrind_annotate "$dump" 2>/dev/null |
	awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
# what threads other than the loop's ran (the encoder threads)
others=$(callgrind_annotate --inclusive=yes --threshold=100 "$dump" \
	2>/dev/null | awk '/:start_thread / && $1 ~ /^[0-9,]+$/ {
		gsub(",", "", $1); print $1;
		exit }')
echo "frames=$n instructions_per_frame=$((total / n))" \
	"bytes_per_frame=$(((b1 - b0) / n))" \
	"rects_per_frame=$(((r1 - r0) / n))" \
	"pixels_per_frame=$(((p1 - p0) / n))" \
	"encoder_threads_share=$((${others:-0} * 100 / total))%"
