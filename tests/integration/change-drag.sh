#!/bin/bash
# A window dragged across a patterned desktop with XMoveWindow in small
# steps, diagonally both ways, in one piece while the server is stopped
# (as a loaded machine may make it), by one long jump, and over another
# window:
# the client must receive CopyRect rectangles for the moved window and,
# once the window rests, equal the screen.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-change.sh"

t_require xwd "$VNC_GRAB" "$XPAINT" "$XMOTION"

t_start_xvfb DPY 1024x768x24
t_paint "$DPY" 11
t_start_xrfb --display "$DPY"
t_xmotion_start xm "$DPY"
t_xm xm new 0 60 50 320 240 4
t_xm xm new 1 600 420 300 200 8
t_grab_start g --format 32 --encodings "copyrect zrle raw" "$XRFB_ADDR"
t_grab_start h --format 16 --encodings "copyrect hextile raw" "$XRFB_ADDR"
t_expect_match "$DPY" g h

drag() {
	local id=$1 x=$2 y=$3 dx=$4 dy=$5 steps=$6 i
	for ((i = 1; i <= steps; i++)); do
		t_xm xm move "$id" $((x + i * dx)) $((y + i * dy))
	done
}

t_step "small steps down and right"
t_copyrects g
before=$T_COPYRECTS
drag 0 60 50 12 7 30
t_expect_match "$DPY" g h
t_copyrects g
t_log "drag: $((T_COPYRECTS - before)) CopyRects ($T_STATS)"
[ "$T_COPYRECTS" -gt "$before" ] || t_fail "the drag produced no CopyRect"

t_step "a drag the server sleeps through, after a new wallpaper"
# Under load the server may see a whole drag as one large damage, just
# after a large change that held no move (here a new wallpaper): the
# move must still be found. SIGSTOP makes that happen every time.
t_paint "$DPY" 12
t_expect_match "$DPY" g h
t_copyrects g
before=$T_COPYRECTS
kill -STOP "$XRFB_PID"
drag 1 600 420 -20 -12 20
kill -CONT "$XRFB_PID"
t_expect_match "$DPY" g h
t_copyrects g
t_log "drag while stopped: $((T_COPYRECTS - before)) CopyRects ($T_STATS)"
[ "$T_COPYRECTS" -gt "$before" ] ||
	t_fail "a drag seen as one large damage produced no CopyRect"
t_xm xm move 1 600 420
t_expect_match "$DPY" g h

t_step "back up and left, each step checked"
for i in 1 2 3 4 5 6; do
	t_xm xm move 0 $((420 - i * 40)) $((260 - i * 25))
	t_expect_match "$DPY" g h
done

t_step "one long jump"
before=$T_COPYRECTS
t_xm xm move 0 640 40
t_expect_match "$DPY" g h
t_copyrects g
[ "$T_COPYRECTS" -gt "$before" ] || t_fail "the long jump produced no CopyRect"

t_step "across the other window"
t_xm xm raise 0
drag 0 640 40 -6 20 20
t_expect_match "$DPY" g h
t_xm xm raise 1
drag 1 600 420 -25 -9 16
t_expect_match "$DPY" g h

t_copyrects h
t_log "16 bpp client: $T_STATS"
t_damage_trusted
t_xrfb_alive
t_pass
