#!/bin/bash
# A window scrolled with XCopyArea, vertically and horizontally, by whole
# lines and by odd pixel counts, in a window that does not fill the
# screen: the moved content must reach the client as CopyRect (counted
# by the client), and after every step the client's framebuffer must
# equal the screen. A second client without CopyRect must see the same.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-change.sh"

t_require xwd "$VNC_GRAB" "$XPAINT" "$XMOTION"

t_start_xvfb DPY 1024x768x24
t_paint "$DPY" 5
t_start_xrfb --display "$DPY"
t_xmotion_start xm "$DPY"
t_xm xm new 0 90 70 610 420 7
t_grab_start g --format 32 --encodings "copyrect zrle raw" "$XRFB_ADDR"
t_grab_start r --format 32 --encodings "hextile raw" "$XRFB_ADDR"
t_expect_match "$DPY" g r

t_step "vertical scrolling: lines and odd pixel counts, both ways"
t_copyrects g
before=$T_COPYRECTS
for dy in 15 15 45 1 7 -15 -60 120 33; do
	t_xm xm vscroll 0 "$dy"
	t_expect_match "$DPY" g r
done
t_copyrects g
t_log "vertical: $((T_COPYRECTS - before)) CopyRects ($T_STATS)"
[ "$T_COPYRECTS" -gt "$before" ] ||
	t_fail "vertical scrolling produced no CopyRect"

t_step "fast vertical scrolling, the client catching up"
for i in $(seq 1 40); do
	t_xm xm vscroll 0 15
done
t_expect_match "$DPY" g r

t_step "horizontal scrolling"
t_copyrects g
before=$T_COPYRECTS
for dx in 8 8 40 -24 3 -100 64; do
	t_xm xm hscroll 0 "$dx"
	t_expect_match "$DPY" g r
done
t_copyrects g
t_log "horizontal: $((T_COPYRECTS - before)) CopyRects ($T_STATS)"
[ "$T_COPYRECTS" -gt "$before" ] ||
	t_fail "horizontal scrolling produced no CopyRect"

t_step "two windows scrolling at once"
t_xm xm new 1 720 100 280 500 9
t_expect_match "$DPY" g r
for i in 1 2 3 4 5; do
	t_xm xm "vscroll 0 15; vscroll 1 -30"
	t_expect_match "$DPY" g r
done

t_copyrects r
[ "$T_COPYRECTS" -eq 0 ] || t_fail "a client without CopyRect got one"
t_damage_trusted
t_xrfb_alive
t_pass
