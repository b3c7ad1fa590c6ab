#!/bin/bash
# H.264 against Tight with JPEG on camera-like video: xpaint's film
# workload (a pan over a textured scene, a disc crossing it, a faint noise
# in every frame) fills the whole screen for a number of frames; one
# viewer at a time watches it, each asking for the same JPEG quality
# level:
#   h264   tests/tools/h264-grab (H.264 and Raw; libavcodec decodes)
#   jpeg   tests/tools/vnc-grab, libvncclient asking for "copyrect tight
#          zrle hextile zlib raw" as real viewers do (Tight, JPEG where
#          it moves)
# Per mode: updates (h264: H.264 pictures) and their rate while the film
# ran, bytes per update (h264: per picture, the H.264 data), xrfb's CPU ms
# per update (from /proc), and the PSNR of what the viewer shows at the end
# against xwd -root (h264: the last H.264 picture; jpeg: the screen). The
# lossless refresh is put off so that the end is still lossy.
#
#   bench/h264-bench.sh [--builddir DIR] [--size WxH] [--frames N]
#                       [--quality 0-9] [--modes "h264 jpeg"]
#
# Figures mean something only on an otherwise quiet machine.
set -u
# the command line only: tests/lib.sh starts and stops everything here
. "$(dirname "$0")/lib.sh"

builddir=.
size=1280x720
frames=60
quality=8
modes="h264 jpeg"
bench_options '
	--builddir builddir DIR
	--size size WxH
	--frames frames N
	--quality quality 0-9
	--modes modes LIST' "$@"
XRFB_TOP_BUILDDIR=$(cd "$builddir" && pwd)
XRFB_TOP_SRCDIR=$BENCH_SRCDIR
export XRFB_TOP_BUILDDIR XRFB_TOP_SRCDIR
T_TIMEOUT=120
. "$XRFB_TOP_SRCDIR/tests/lib.sh"
t_require xwd bc "$XPAINT" "$IMGCMP"

W=${size%x*} H=${size#*x}
TICK_MS=$((1000 / $(getconf CLK_TCK)))

cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# Run mode @1; prints one row.
bench() {
	local mode=$1 c0 c1 t0 t1 ref p updates bytes
	t_start_xrfb --display "$DPY" --lossless-refresh 60000 >/dev/null
	case $mode in
	h264)
		t_require "$H264_GRAB"
		t_cmdproc_start g "grab-$mode" "$H264_GRAB" --timeout-ms 60000 \
			--quality "$quality" "$XRFB_ADDR" ;;
	jpeg)
		t_require "$VNC_GRAB"
		t_cmdproc_start g "grab-$mode" "$VNC_GRAB" --timeout-ms 60000 \
			--commands - --format 32 --quality "$quality" \
			--encodings "copyrect tight zrle hextile zlib raw" \
			"$XRFB_ADDR" ;;
	esac
	t_cmdproc_ready g
	t_cmd_ok g stats >/dev/null
	local s0=$T_REPLY
	c0=$(cpu_ticks "$XRFB_PID")
	t0=$EPOCHREALTIME
	"$XPAINT" -display "$DPY" film 0 0 "$W" "$H" "$frames" 0
	t1=$EPOCHREALTIME
	ref=$T_DIR/ref-$mode.xwd
	t_xwd_stable "$DPY" "$ref" >/dev/null
	# caught up: the counts stay put for half a second (bounded)
	local last= i
	for ((i = 0; i < 60; i++)); do
		t_cmd_ok g stats >/dev/null
		[ "$T_REPLY" = "$last" ] && break
		last=$T_REPLY
		sleep 0.5
	done
	c1=$(cpu_ticks "$XRFB_PID")
	t_cmd_ok g stats >/dev/null
	local s1=$T_REPLY
	if [ "$mode" = h264 ]; then
		t_cmd_ok g psnr "$ref" >/dev/null
		p=$(sed -n 's/.*psnr \([0-9.]*\).*/\1/p' <<<"$T_REPLY")
	else
		t_cmd_ok g save "$T_DIR/shot.ppm" >/dev/null
		p=$("$IMGCMP" --min-psnr 1 "$T_DIR/shot.ppm" "$ref" 2>&1 |
			sed -n 's/.*PSNR \([0-9.a-z]*\) dB.*/\1/p')
	fi
	# h264: pictures and their bytes; jpeg: updates and all bytes
	local key=updates
	[ "$mode" = h264 ] && key=h264
	updates=$(( $(sed -n "s/.* $key \([0-9]*\).*/\1/p" <<<"$s1") -
		$(sed -n "s/.* $key \([0-9]*\).*/\1/p" <<<"$s0") ))
	bytes=$(( $(sed -n 's/.* bytes \([0-9]*\).*/\1/p' <<<"$s1") -
		$(sed -n 's/.* bytes \([0-9]*\).*/\1/p' <<<"$s0") ))
	[ "$updates" -gt 0 ] || updates=1
	printf '%-5s %8d %8.1f %12d %10.1f %8s\n' "$mode" "$updates" \
		"$(bc <<<"scale=1; $updates / ($t1 - $t0)")" \
		$((bytes / updates)) \
		"$(bc <<<"scale=1; ($c1 - $c0) * $TICK_MS / $updates")" "$p"
	t_grab_stop g
	t_stop "$XRFB_PID" >/dev/null || true
}

t_start_xvfb DPY "${size}x24" >/dev/null
echo "film ${size}, $frames frames, quality level $quality"
printf '%-5s %8s %8s %12s %10s %8s\n' mode updates upd/s \
	bytes/update "cpu ms/upd" "PSNR dB"
for m in $modes; do
	bench "$m"
done
t_pass >/dev/null
