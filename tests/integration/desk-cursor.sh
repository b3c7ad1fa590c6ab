#!/bin/bash
# The cursor. An X application sets an ARGB cursor (opaque, 3/4 and 1/4
# transparent pixels); it must reach, pixel for pixel (colours without
# premultiplied alpha, visible where alpha >= 1/2):
#   - libvncclient (Cursor pseudo-encoding, through desk-grab),
#   - our spec client (Cursor, and XCursor's size and hotspot),
#   - TigerVNC's vncviewer, whose own X cursor on its display must then
#     have the same signature.
# The pointer moved on the server (not by a viewer) reaches libvncclient
# as PointerPos. A client without cursor support gets the cursor drawn
# into its pixels, blended, and taken out again when the pointer leaves.
# When the application's cursor goes, the root cursor follows.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"

t_require xdotool vncviewer "$XDESK" "$RFB_EXT" "$DESK_GRAB"

t_start_xvfb DPY 640x480x24
t_start_xrfb --display "$DPY"

t_step "an X application sets its cursor"
d_xhelper xcursor "$XDESK" -display "$DPY" cursor
SIG=${D_READY#ready }
t_log "cursor set by the application: $SIG"

t_step "libvncclient gets the shape"
d_grab_start lvc --cursor
t_cmd_ok lvc sync
t_cmd_ok lvc wait-cursor "$SIG"

t_step "the spec client gets the shape (Cursor) and XCursor"
d_ext_start rich --encodings raw,cursor,pointerpos,eds
t_cmd_ok rich wait-cursor "$SIG"
d_ext_start xcur --encodings raw,xcursor
t_cmd_ok xcur sync
t_cmd_ok xcur cursor
[[ $T_REPLY == "ok cursor ${SIG%%:*}:"* ]] ||
	t_fail "XCursor size or hotspot wrong: $T_REPLY (want ${SIG%%:*})"

t_step "the pointer moved on the server arrives as PointerPos"
DISPLAY=$DPY xdotool mousemove 100 120
t_cmd_ok lvc wait-pos 100 120
t_cmd_ok rich wait-pos 100 120

t_step "a client without cursor support sees it in its pixels"
d_ext_start plain --encodings raw,eds
# hotspot 5,7: the cursor's pixel 5,7 is opaque (50,84,85); its pixel
# 14,4 is 3/4 opaque (128,255,64) and blends over the black window
t_cmd_ok plain wait-pixel 100 120 325455
t_cmd_ok plain wait-pixel 109 117 60c030
DISPLAY=$DPY xdotool mousemove 300 300
t_cmd_ok plain wait-pixel 100 120 000000
t_cmd_ok plain wait-pixel 109 117 000000
t_cmd_ok plain wait-pixel 300 300 325455
# clients with shapes never get it in their pixels
t_cmd_ok rich wait-pos 300 300
t_cmd_ok rich pixel 300 300
[ "$T_REPLY" = "ok pixel 000000" ] ||
	t_fail "a client with cursor shapes got the cursor in its pixels"

t_step "TigerVNC's vncviewer shows the same cursor"
t_start_xvfb VDPY 640x480x24
d_vncviewer viewer "$VDPY" "$XRFB_ADDR" -FullScreen -RemoteResize=0
check_viewer_cursor() {
	local got
	DISPLAY=$VDPY xdotool mousemove 320 240 || return 1
	got=$("$XDESK" -display "$VDPY" cursor-sig) || return 1
	[ "$got" = "cursor $SIG" ]
}
t_wait_for "$T_TIMEOUT" "vncviewer to show the cursor $SIG" \
	check_viewer_cursor
t_log "vncviewer's cursor: $("$XDESK" -display "$VDPY" cursor-sig)"

t_step "the application goes: the root cursor follows"
t_stop "$D_PID" || true
ROOT_SIG=$("$XDESK" -display "$DPY" cursor-sig)
ROOT_SIG=${ROOT_SIG#cursor }
[ "$ROOT_SIG" != "$SIG" ] || t_fail "the cursor did not change"
t_cmd_ok lvc wait-cursor "$ROOT_SIG"
t_cmd_ok rich wait-cursor "$ROOT_SIG"

t_alive "$D_VIEWER_PID" || t_fail "vncviewer exited"
t_xrfb_alive
t_pass
