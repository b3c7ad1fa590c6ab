#!/bin/bash
# H.264 (encoding 50) round trip, decoded by libavcodec in h264-grab, a
# viewer written from the specification:
#  - a large area animated with photo-like frames goes H.264, every
#    decoder's first picture a key frame;
#  - a viewer that joins meanwhile starts with a key frame, and a request
#    for a full update brings one;
#  - once the motion stops, the viewer holds exactly what `xwd -root`
#    shows (lossless refresh), and its last H.264 picture was close;
#  - a viewer that did not list H.264 never gets it and stays exact.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$H264_GRAB" "$XPAINT" "$IMGCMP"
grep -q '^#define HAVE_OPENH264 1' "$XRFB_TOP_BUILDDIR/config.h" ||
	t_skip "xrfb was built without OpenH264"

VX=96 VY=64 VW=384 VH=288
MIN_PSNR=30

# The counts of client @name into S: "ok h264 N keys N bytes N ...".
declare -A S
stats() {
	local name=$1
	t_cmd_ok "$name" stats
	set -- ${T_REPLY#ok }
	while [ $# -ge 2 ]; do
		S[$1]=$2
		shift 2
	done
}

h264_start() {
	local name=$1
	shift
	t_cmdproc_start "$name" "grab-$name" "$H264_GRAB" \
		--timeout-ms $((T_TIMEOUT * 1000)) "$@" "$XRFB_ADDR"
	t_cmdproc_ready "$name"
}

t_start_xvfb DPY 640x480x24
t_paint "$DPY" 5
# The last frame goes H.264 before its area counts as still, even on a
# loaded machine: the refresh comes after a second.
t_start_xrfb --display "$DPY" --lossless-refresh 1000
h264_start g
h264_start plain --no-h264

t_step "a moving area goes H.264, key frame first"
t_spawn video "$XPAINT" -display "$DPY" film $VX $VY $VW $VH 100000 30
video_pid=$T_LAST_PID
t_cmd_ok g wait-h264 10
stats g
[ "${S[bad_first]}" = 0 ] || t_fail "a decoder did not start on a key frame"
[ "${S[keys]}" -ge 1 ] || t_fail "no key frame"
[ "${S[resets]}" -ge 1 ] || t_fail "no ResetAllContexts for a new context"
[ "${S[bad_decode]}" = 0 ] || t_fail "libavcodec could not decode a picture"

t_step "a viewer that joins starts with a key frame"
h264_start late
stats late
t_cmd_ok late wait-h264 $((S[h264] + 5))
stats late
[ "${S[bad_first]}" = 0 ] || t_fail "the new viewer got no key frame first"
[ "${S[keys]}" -ge 1 ] || t_fail "the new viewer got no key frame"
t_grab_stop late

t_step "a full update request brings a key frame"
stats g
keys=${S[keys]} resets=${S[resets]}
t_cmd_ok g full
t_cmd_ok g wait-h264 $((S[h264] + 5))
stats g
[ "${S[resets]}" = "$resets" ] || t_log "the rectangle changed meanwhile"
[ "${S[keys]}" -gt "$keys" ] || t_fail "no key frame after a full update request"

t_step "once still, the viewer is exact; its last picture was close"
t_stop "$video_pid" || true
ref=$T_DIR/still.xwd
t_xwd_stable "$DPY" "$ref"
# Exact once refreshed; the last H.264 picture is kept apart.
t_cmd_ok g match "$ref"
t_cmd_ok g psnr "$ref"
[[ $T_REPLY =~ psnr\ ([0-9.]+)\ in\ ([0-9]+)x([0-9]+)\+([0-9]+)\+([0-9]+) ]] ||
	t_fail "cannot parse: $T_REPLY"
psnr=${BASH_REMATCH[1]}
w=${BASH_REMATCH[2]} h=${BASH_REMATCH[3]}
x=${BASH_REMATCH[4]} y=${BASH_REMATCH[5]}
awk -v p="$psnr" -v m=$MIN_PSNR 'BEGIN { exit !(p >= m) }' ||
	t_fail "PSNR $psnr dB below $MIN_PSNR"
# The picture covers the moving area and not much more (32-pixel tiles).
[ "$x" -le $VX ] && [ "$y" -le $VY ] && [ $((x + w)) -ge $((VX + VW)) ] &&
	[ $((y + h)) -ge $((VY + VH)) ] &&
	[ $((w * h)) -le $(((VW + 64) * (VH + 64))) ] ||
	t_fail "H.264 rectangle ${w}x$h+$x+$y does not fit the moving area"
stats g
t_log "${S[h264]} H.264 pictures, ${S[keys]} key frames, ${S[bytes]}" \
	"bytes, $((S[bytes] / S[h264])) per picture, PSNR $psnr dB"

t_step "a viewer without H.264 never gets it, and is exact"
stats plain
[ "${S[h264]}" = 0 ] || t_fail "H.264 went to a viewer that did not ask"
t_cmd_ok plain match "$ref"
t_grab_stop g
t_grab_stop plain
t_xrfb_alive
t_pass
