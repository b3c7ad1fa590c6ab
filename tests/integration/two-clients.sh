#!/bin/bash
# Several clients at once, each in its own pixel format and encodings,
# all see the same display exactly, after every change: 32 bpp Raw, 16 bpp
# big-endian with libvncclient's default encodings, and an 8 bpp
# colour-map client. One server, one display, three translations.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$XPAINT"

t_start_xvfb DPY 1024x768x24
t_paint "$DPY" 1
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY"

t_grab_start a --format 32 --encodings "raw copyrect" "$XRFB_ADDR"
t_grab_start b --format 16be "$XRFB_ADDR"
t_grab_start c --format cmap --encodings "raw copyrect" "$XRFB_ADDR"

check_all() {
	local ref=$1 n
	for n in a b c; do
		t_cmd_ok "$n" match "$ref"
	done
}

t_step "all three see the first pattern"
check_all "$T_DIR/ref.xwd"

t_step "a new pattern"
t_paint "$DPY" 2
t_xwd_stable "$DPY" "$T_DIR/ref2.xwd"
check_all "$T_DIR/ref2.xwd"

t_step "small changes in several places"
t_run "rects" "$XPAINT" -display "$DPY" rect 0 0 1 1 ff0000
t_run "rects" "$XPAINT" -display "$DPY" rect 1023 767 1 1 00ff00
t_run "rects" "$XPAINT" -display "$DPY" rect 500 10 37 200 123456
t_run "rects" "$XPAINT" -display "$DPY" rect 3 700 1000 3 fedcba
t_xwd_stable "$DPY" "$T_DIR/ref3.xwd"
check_all "$T_DIR/ref3.xwd"

t_step "a colour-map client connecting later gets its map and the display"
t_grab_start d --format cmap "$XRFB_ADDR"
t_cmd_ok d check-cmap
t_cmd_ok d match "$T_DIR/ref3.xwd"

for n in a b c d; do
	t_cmd_ok "$n" stats
	t_grab_stop "$n"
done
t_xrfb_alive
t_pass
