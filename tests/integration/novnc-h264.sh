#!/bin/bash
# noVNC 1.7 (the @novnc/novnc release pinned in tests/browser), in
# headless Chromium: its own encoding list has H.264 when the browser's
# WebCodecs decodes it (noVNC tries a real frame); if this Chromium cannot,
# the test is skipped and says so (tests/integration/h264.sh checks the
# stream with libavcodec all the same). Then, with that list, a large
# area animated with camera-like frames must reach the canvas as H.264
# rectangles, and once the motion stops the canvas must equal `xwd -root`
# exactly (lossless refresh).
. "$(dirname "$0")/../lib.sh"
. "$XRFB_TOP_SRCDIR/tests/browser/browser.sh"

grep -q '^#define HAVE_OPENH264 1' "$XRFB_TOP_BUILDDIR/config.h" ||
	t_skip "xrfb was built without OpenH264"
tb_setup
t_require "$XPAINT" xwd

VX=96 VY=64 VW=384 VH=288

t_start_xvfb DPY 640x480x24
t_paint "$DPY" 7
# Frames are captured as fast as the viewers take them, and noVNC on a
# loaded machine may take few: a change within a second of the last one
# still counts as motion.
t_start_xrfb --display "$DPY" --web "$TB_WEB" --lossless-refresh 1000
tb_serve "$XRFB_PORT"
tb_start_chromium
tb_driver_start

t_step "noVNC 1.7 lists H.264 if Chromium's WebCodecs decodes it"
ref=$T_DIR/still.xwd
t_xwd_stable "$DPY" "$ref"
tb_cmd open npm default || t_fail "noVNC: $TB_REPLY"
tb_cmd match "$ref" || t_fail "noVNC, first picture: $TB_REPLY"
tb_cmd state || t_fail "noVNC: $TB_REPLY"
t_log "noVNC: $TB_REPLY"
[[ $TB_REPLY =~ sent=([^ ]*) ]] || t_fail "no SetEncodings list in: $TB_REPLY"
[[ ,${BASH_REMATCH[1]}, == *,h264,* || ,${BASH_REMATCH[1]}, == *,50,* ]] ||
	t_skip "noVNC did not list H.264: this Chromium's WebCodecs" \
		"has no H.264 decoder (${BASH_REMATCH[1]})"

t_step "a moving area reaches the canvas as H.264"
t_spawn video "$XPAINT" -display "$DPY" film $VX $VY $VW $VH 100000 30
video_pid=$T_LAST_PID
for ((i = 0; i < T_TIMEOUT * 4; i++)); do
	tb_cmd state || t_fail "noVNC: $TB_REPLY"
	[[ $TB_REPLY =~ [=,]h264:([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 10 ] &&
		break
	sleep 0.25
done
[[ $TB_REPLY =~ [=,]h264:([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 10 ] ||
	t_fail "noVNC decoded fewer than 10 H.264 rectangles: $TB_REPLY"
t_log "noVNC while it moved: $TB_REPLY"
[[ $TB_REPLY == *"state=connected"* ]] ||
	t_fail "noVNC is not connected: $TB_REPLY"

t_step "once still, the canvas is exact"
t_stop "$video_pid" || true
t_xwd_stable "$DPY" "$ref"
tb_cmd match "$ref" || t_fail "noVNC after the motion: $TB_REPLY"
tb_cmd state && t_log "noVNC: $TB_REPLY"
tb_cmd disconnect >/dev/null || true
t_xrfb_alive
t_pass
