#!/bin/bash
# Content that only looks like it moved must never become a wrong
# CopyRect: identical lines scrolled by whole and partial lines, a block
# copied and changed in the same moment, a copy differing from its
# source in one pixel, a moved block changed right after. After every
# step (the screen then stands still, so a wrong CopyRect would stay) the
# clients' framebuffers must equal the screen exactly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-change.sh"

t_require xwd "$VNC_GRAB" "$XPAINT" "$XMOTION"

t_start_xvfb DPY 1024x768x24
t_paint "$DPY" 17
t_start_xrfb --display "$DPY"
t_xmotion_start xm "$DPY"
t_xm xm new 0 40 40 480 330 1 repeat
t_xm xm new 1 540 40 440 330 2
t_xm xm new 2 40 400 940 340 3
t_grab_start g --format 32 --encodings "copyrect zrle raw" "$XRFB_ADDR"
t_grab_start h --format 32 --encodings "copyrect raw" "$XRFB_ADDR"
t_expect_match "$DPY" g h
t_copyrects g
start=$T_COPYRECTS

t_step "identical lines, scrolled by lines and by parts of lines"
for dy in 15 30 7 -4 15 -15 1; do
	t_xm xm vscroll 0 "$dy"
	t_expect_match "$DPY" g h
done

t_step "a block copied and changed in the same moment"
t_xm xm "copy 1 0 0 220 160 100 120; rect 1 150 170 30 12 ff0000"
t_expect_match "$DPY" g h
t_xm xm "copy 1 100 120 220 160 10 20; noise 1 40 60 100 40 5"
t_expect_match "$DPY" g h

t_step "a copy that differs from its source in one pixel"
t_xm xm noise 2 20 20 200 150 9
t_expect_match "$DPY" g h
t_xm xm "copy 2 20 20 200 150 400 100; rect 2 517 163 1 1 000000"
t_expect_match "$DPY" g h
t_xm xm "copy 2 20 20 200 150 640 140; rect 2 640 140 1 1 ffffff"
t_expect_match "$DPY" g h

t_step "a moved block, changed right after"
t_xm xm copy 2 400 100 200 150 420 130
t_xm xm rect 2 430 140 180 3 00ff00
t_expect_match "$DPY" g h
t_xm xm vscroll 1 45
t_xm xm "rect 1 0 0 440 30 202020; vscroll 1 -45"
t_expect_match "$DPY" g h

t_step "scrolling identical lines, then one line changes"
t_xm xm "vscroll 0 15; rect 0 0 100 480 15 182030"
t_expect_match "$DPY" g h

t_copyrects g
t_log "CopyRects in all: $((T_COPYRECTS - start)) ($T_STATS)"
t_damage_trusted
t_xrfb_alive
t_pass
