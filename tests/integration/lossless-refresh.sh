#!/bin/bash
# Lossy only while it moves (--lossless-refresh). A viewer that asks for
# Tight with JPEG (libvncclient, quality 5):
#  - gets a still desktop (text, grain, ramps) pixel-exact: never JPEG;
#  - gets an area animated with photo-like frames lossy while it moves:
#    with the refresh put far off, its copy then differs from the X
#    server's picture, and only inside that area;
#  - with the default delay, once the motion stops, holds exactly what
#    `xwd -root` shows, after a lossless refresh the server logged.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-change.sh"

t_require xwd "$VNC_GRAB" "$XPAINT" "$IMGCMP"

VX=160 VY=96 VW=320 VH=240
GRAB_OPTS=(--format 32 --encodings "tight copyrect" --quality 5)

video() {
	t_run "video" "$XPAINT" -display "$DPY" video $VX $VY $VW $VH 30 20
}

t_start_xvfb DPY 640x480x24
t_paint "$DPY" 3

t_step "a still desktop goes exact to a JPEG viewer"
t_start_xrfb --display "$DPY" --lossless-refresh 60000
t_grab_start g "${GRAB_OPTS[@]}" "$XRFB_ADDR"
t_expect_match "$DPY" g

t_step "a moving area goes lossy, and only it"
video
ref=$T_DIR/after-video.xwd
t_xwd_stable "$DPY" "$ref"
# Wait until the viewer shows the last frame (lossy: close, not equal).
shot=$T_DIR/viewer.ppm
for ((i = 0; i < T_TIMEOUT * 4; i++)); do
	t_cmd_ok g sync
	t_cmd_ok g save "$shot"
	"$IMGCMP" --min-psnr 25 "$shot" "$ref" >/dev/null 2>&1 && break
	sleep 0.25
done
out=$("$IMGCMP" --min-psnr 25 "$shot" "$ref" 2>&1) ||
	t_fail "the viewer never showed the last frame: $out"
out=$("$IMGCMP" "$shot" "$ref" 2>&1) &&
	t_fail "the moving area came exact, not lossy: $out"
t_log "while it moved: $out"
# "N pixels differ in WxH+X+Y ..."
[[ $out =~ differ\ in\ ([0-9]+)x([0-9]+)\+([0-9]+)\+([0-9]+) ]] ||
	t_fail "cannot parse: $out"
w=${BASH_REMATCH[1]} h=${BASH_REMATCH[2]}
x=${BASH_REMATCH[3]} y=${BASH_REMATCH[4]}
[ "$x" -ge $VX ] && [ "$y" -ge $VY ] && [ $((x + w)) -le $((VX + VW)) ] &&
	[ $((y + h)) -le $((VY + VH)) ] ||
	t_fail "lossy pixels outside the moving area: $out"
t_grab_stop g
t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "once still, it is refreshed lossless (default delay)"
t_start_xrfb --display "$DPY" --log-level debug
t_grab_start g2 "${GRAB_OPTS[@]}" "$XRFB_ADDR"
t_expect_match "$DPY" g2
video
t_expect_match "$DPY" g2
grep -q 'lossless refresh of' "$XRFB_ERR" ||
	t_fail "no lossless refresh was logged"
t_log "$(grep -m1 'lossless refresh of' "$XRFB_ERR")"
t_xrfb_alive
t_pass
