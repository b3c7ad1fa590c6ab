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

builddir=.
xrfb_bin=
frames=6
size=1920x1080
encodings="copyrect tight zrle hextile zlib raw"
quality=
compress=
top=15
out=
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--xrfb) xrfb_bin=$2; shift 2 ;;
	--frames) frames=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--encodings) encodings=$2; shift 2 ;;
	--quality) quality=$2; shift 2 ;;
	--compress) compress=$2; shift 2 ;;
	--top) top=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [--builddir DIR] [--xrfb PATH] [--frames N]" \
		"[--size WxH]" \
		"[--encodings LIST] [--quality Q] [--compress C] [--top K]" \
		"[--out FILE] [-- XRFB_OPTION...]" >&2; exit 2 ;;
	esac
done
builddir=$(cd "$builddir" && pwd)
XRFB=${xrfb_bin:-$builddir/xrfb}
XLOAD=$builddir/bench/xload
GRAB=$builddir/tests/tools/vnc-grab
for p in "$XRFB" "$XLOAD" "$GRAB"; do
	[ -x "$p" ] || { echo "$p is not built" \
		"(make xrfb bench/xload tests/tools/vnc-grab)" >&2; exit 2; }
done
for p in Xvfb valgrind callgrind_control callgrind_annotate; do
	command -v "$p" >/dev/null || { echo "$p is missing" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/profile-frame.XXXXXX")
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

die() {
	echo "profile-frame: $*" >&2
	exit 1
}

# Wait up to @2 seconds for the file @1 to hold a line matching @3.
wait_line() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$3" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

Xvfb -displayfd 3 -nolisten tcp -noreset -screen 0 "${size}x24" \
	3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
wait_line "$tmp/display" 30 . || die "Xvfb did not start"
export DISPLAY=:$(head -n 1 "$tmp/display")

# 30 frames/s, as in bench/change-bench.sh: far more than xrfb under
# valgrind takes, so every frame it reads is a new full screen.
"$XLOAD" video 30 100000 >"$tmp/xload.log" 2>&1 &
pids+=($!)

valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" \
	--dump-instr=no --collect-systime=no \
	"$XRFB" --display "$DISPLAY" --port 0 "$@" \
	>"$tmp/xrfb.out" 2>"$tmp/xrfb.err" &
xrfb=$!
pids+=($xrfb)
wait_line "$tmp/xrfb.out" 300 '^xrfb: serving .* on 127\.0\.0\.1:' ||
	die "xrfb did not start: $(tail -n 5 "$tmp/xrfb.err")"
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
			die "viewer: $(grep '^fail' "$tmp/grab.out")"
		sleep 0.1
	done
	die "viewer: no answer to $1"
}

# Warm-up: the first full update and two more frames (zlib streams,
# buffers and pools at their working size).
ask "updates 3" 1
callgrind_control -z "$xrfb" >/dev/null || die "callgrind_control -z failed"
ask "stats" 2
ask "updates $frames" 3
ask "stats" 4
callgrind_control -d "$xrfb" >/dev/null || die "callgrind_control -d failed"
echo quit >&4
exec 4>&-

dump=$(ls -t "$tmp"/callgrind.out* | grep -v '^$' | head -n 1)
[ -s "$dump" ] || die "no callgrind dump"
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
[ "$n" -gt 0 ] || die "no frames counted: $(cat "$tmp/grab.out")"

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
