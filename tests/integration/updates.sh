#!/bin/bash
# One connection follows everything that happens on the display: new
# patterns, single pixels at the corners, thin lines, a solid colour, a
# scroll (the content moves: a CopyRect candidate), a short animation.
# After each change the client must reach the exact new content; nothing
# is asserted about timing, only that the change arrives.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$XPAINT"

t_start_xvfb DPY 1003x701x24
t_paint "$DPY" 21
t_xwd_stable "$DPY" "$T_DIR/ref0.xwd"
t_start_xrfb --display "$DPY"
t_grab_start g --format 32 --encodings "copyrect raw" "$XRFB_ADDR"
t_grab_start h --format 8tc "$XRFB_ADDR"
t_cmd_ok g match "$T_DIR/ref0.xwd"

n=0
expect() {
	n=$((n + 1))
	t_xwd_stable "$DPY" "$T_DIR/ref$n.xwd"
	t_cmd_ok g match "$T_DIR/ref$n.xwd"
	t_cmd_ok h match "$T_DIR/ref$n.xwd"
}

t_step "new pattern"
t_paint "$DPY" 22
expect
t_step "corner pixels"
for xy in "0 0" "1002 0" "0 700" "1002 700"; do
	t_run "pixel" "$XPAINT" -display "$DPY" rect $xy 1 1 ffffff
done
expect
t_step "thin lines"
t_run "line" "$XPAINT" -display "$DPY" rect 0 350 1003 1 00ff00
t_run "line" "$XPAINT" -display "$DPY" rect 501 0 1 701 0000ff
expect
t_step "scroll down and left"
t_run "scroll" "$XPAINT" -display "$DPY" scroll 0 40
expect
t_run "scroll" "$XPAINT" -display "$DPY" scroll -17 0
expect
t_step "a short animation, then a still pattern"
t_run "animation" "$XPAINT" -display "$DPY" animate 20
t_paint "$DPY" 23
expect
t_step "solid colour"
t_run "solid" "$XPAINT" -display "$DPY" solid 336699
expect

t_cmd_ok g stats
t_cmd_ok h stats
t_grab_stop g
t_grab_stop h
t_xrfb_alive
t_pass
