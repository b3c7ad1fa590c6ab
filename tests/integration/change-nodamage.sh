#!/bin/bash
# Without XDamage (Xvfb -extension DAMAGE) the server polls the screen,
# and says so once; with --poll it polls even where XDamage exists.
# Either way every change must arrive, and moves are still found in the
# pixels: scrolling and a dragged window give CopyRect.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-change.sh"

t_require xwd "$VNC_GRAB" "$XPAINT" "$XMOTION"

run_changes() {
	local xm=$1 before
	t_paint "$DPY" 31
	t_expect_match "$DPY" g
	t_run "rect" "$XPAINT" -display "$DPY" rect 3 5 1 1 ffffff
	t_expect_match "$DPY" g
	t_copyrects g
	before=$T_COPYRECTS
	t_xm "$xm" new 0 100 100 500 300 6
	t_expect_match "$DPY" g
	t_xm "$xm" vscroll 0 45
	t_expect_match "$DPY" g
	t_xm "$xm" move 0 180 160
	t_expect_match "$DPY" g
	t_xm "$xm" hscroll 0 -30
	t_expect_match "$DPY" g
	t_copyrects g
	t_log "CopyRects while polling: $((T_COPYRECTS - before)) ($T_STATS)"
	[ "$T_COPYRECTS" -gt "$before" ] ||
		t_fail "no CopyRect while polling"
}

t_step "Xvfb without DAMAGE"
t_start_xvfb_args DPY 800x600x24 -extension DAMAGE
t_start_xrfb --display "$DPY"
grep -q 'XDamage not available, polling' "$XRFB_ERR" ||
	t_fail "no log line saying XDamage is missing and polling is on"
t_xmotion_start xm1 "$DPY"
t_grab_start g --format 32 --encodings "copyrect zrle raw" "$XRFB_ADDR"
run_changes xm1
t_xrfb_alive
t_grab_stop g
t_stop "$XRFB_PID" || true

t_step "--poll where XDamage exists"
t_start_xvfb DPY 800x600x24
t_start_xrfb --display "$DPY" --poll
grep -q 'polling the screen (--poll)' "$XRFB_ERR" ||
	t_fail "no log line saying --poll polls"
t_xmotion_start xm2 "$DPY"
t_grab_start g --format 32 --encodings "copyrect zrle raw" "$XRFB_ADDR"
run_changes xm2
t_xrfb_alive
t_pass
