#!/bin/bash
# Desktop size. A viewer's SetDesktopSize resizes the Xvfb (a mode is
# created for the new size) and every viewer follows: the requester gets
# ExtendedDesktopSize reason 1, other ExtendedDesktopSize viewers reason
# 2, libvncclient and a DesktopSize-only client the new size, and a
# libvncclient viewer then holds exactly the new screen. A layout of two
# screens becomes two RandR monitors; impossible requests are refused with
# the right status and change nothing; requests sent back to back get one
# answer each, in order. An xrandr change on the server side reaches all
# viewers. TigerVNC's vncviewer resizes the server to its own screen
# (RemoteResize), and a windowed vncviewer follows a server-side change.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"

t_require xrandr xdpyinfo xdotool xwininfo vncviewer "$RFB_EXT" \
	"$DESK_GRAB" "$XPAINT"

t_start_xvfb DPY 1024x768x24
t_paint "$DPY" 3
t_start_xrfb --display "$DPY"

d_ext_start A
d_ext_start B
d_grab_start L
d_ext_start D --encodings raw,desktopsize
for c in A B L D; do
	t_cmd_ok $c sync
done
t_grab_start G "$XRFB_ADDR"

screen_is() {
	[ "$(d_screen_size "$DPY")" = "$1" ]
}

# Client @c sends SetDesktopSize with the rest of the arguments and must
# get an answer with @status; the answer is in T_REPLY.
#   resize_expect C STATUS W H [ID X Y W H]...
resize_expect() {
	local c=$1 status=$2 mark
	shift 2
	t_cmd_ok "$c" mark-eds
	mark=${T_REPLY##* }
	t_cmd_ok "$c" resize "$@"
	t_cmd_ok "$c" wait-eds 1 "$status" "$mark"
}

t_step "a viewer asks for 800x600: the Xvfb and every viewer follow"
t_cmd_ok B mark-eds
b_mark=${T_REPLY##* }
resize_expect A 0 800 600
[[ $T_REPLY == *" size 800x600 screens 1 "* ]] || t_fail "A: $T_REPLY"
t_cmd_ok B wait-eds 2 0 "$b_mark"
[[ $T_REPLY == *" size 800x600 "* ]] || t_fail "B: $T_REPLY"
t_wait_for "$T_TIMEOUT" "the Xvfb to be 800x600" screen_is 800x600
xrandr -display "$DPY" | grep -q '^ *xrfb-800x600 .*\*' ||
	t_fail "no current mode xrfb-800x600: $(xrandr -display "$DPY")"
t_cmd_ok L wait-size 800 600
t_cmd_ok D wait-size 800 600
t_paint "$DPY" 5
t_xwd_stable "$DPY" "$T_DIR/ref800.xwd"
t_cmd_ok G match "$T_DIR/ref800.xwd"

t_step "two screens become two RandR monitors"
resize_expect A 0 800 600 11 0 0 400 600 12 400 0 400 600
[[ $T_REPLY == *" screens 2 "* && $T_REPLY == *" 11:400x600+0+0"* &&
   $T_REPLY == *" 12:400x600+400+0"* ]] || t_fail "layout: $T_REPLY"
xrandr -display "$DPY" --listmonitors | tee "$T_DIR/monitors" |
	grep -q '^Monitors: 2' || t_fail "monitors: $(cat "$T_DIR/monitors")"
t_cmd_ok B eds
[[ $T_REPLY == *" screens 2 "* ]] || t_fail "B did not get the layout: $T_REPLY"

t_step "back to one screen, 640x480"
resize_expect A 0 640 480
t_wait_for "$T_TIMEOUT" "the Xvfb to be 640x480" screen_is 640x480
xrandr -display "$DPY" --listmonitors | grep -q '^Monitors: 1' ||
	t_fail "monitors: $(xrandr -display "$DPY" --listmonitors)"
t_cmd_ok L wait-size 640 480

t_step "requests that cannot be met change nothing"
resize_expect A 2 2000 1000
resize_expect A 3 640 480 7 100 100 640 480
screen_is 640x480 || t_fail "the screen changed to $(d_screen_size "$DPY")"
t_cmd_ok A size
[ "$T_REPLY" = "ok size 640x480" ] || t_fail "A: $T_REPLY"

t_step "requests back to back get one answer each, in order"
t_cmd_ok A clear-eds-log
t_cmd_ok A mark-eds
mark=${T_REPLY##* }
t_cmd_ok A resize 700 500
t_cmd_ok A resize 5000 500
t_cmd_ok A resize 720 540
t_cmd_ok A wait-eds 1 0 $((mark + 2))
t_cmd_ok A eds-log
answers=$(grep -o '1/[0-9]/[0-9x]*' <<<"${T_REPLY#ok eds-log }" | cut -d/ -f1,2 |
	tr '\n' ' ')
[ "$answers" = "1/0 1/2 1/0 " ] ||
	t_fail "answers to three requests: '$answers' ($T_REPLY)"
t_wait_for "$T_TIMEOUT" "the Xvfb to be 720x540" screen_is 720x540
for c in B L D; do
	t_cmd_ok $c wait-size 720 540
done

t_step "xrandr on the server side reaches every viewer"
t_cmd_ok A mark-eds
mark=${T_REPLY##* }
xrandr -display "$DPY" --output screen --mode 1024x768 --fb 1024x768 ||
	t_fail "xrandr failed"
t_cmd_ok A wait-eds 0 0 "$mark"
[[ $T_REPLY == *" size 1024x768 screens 1 "*":1024x768+0+0"* ]] ||
	t_fail "A: $T_REPLY"
for c in B L D; do
	t_cmd_ok $c wait-size 1024 768
done
t_paint "$DPY" 6
t_xwd_stable "$DPY" "$T_DIR/ref1024.xwd"
t_cmd_ok G match "$T_DIR/ref1024.xwd"

t_step "TigerVNC's vncviewer resizes the server to its own screen"
t_start_xvfb VDPY 800x600x24
VXVFB=$T_LAST_PID
d_vncviewer viewer "$VDPY" "$XRFB_ADDR" -FullScreen -RemoteResize=1
VIEWER=$D_VIEWER_PID
t_wait_for "$T_TIMEOUT" "vncviewer to make the Xvfb 800x600" \
	screen_is 800x600
for c in A B L D; do
	t_cmd_ok $c wait-size 800 600
done
t_stop "$VIEWER" || true
t_stop "$VXVFB" || true

t_step "a windowed vncviewer follows a server-side change"
t_start_xvfb WDPY 1280x1024x24
d_vncviewer window "$WDPY" "$XRFB_ADDR" -RemoteResize=0
viewer_is() {
	[ "$(d_viewer_size "$WDPY")" = "$1" ]
}
t_wait_for "$T_TIMEOUT" "the vncviewer window to be 800x600" \
	viewer_is 800x600
xrandr -display "$DPY" --output screen --mode 1024x768 --fb 1024x768 ||
	t_fail "xrandr failed"
t_wait_for "$T_TIMEOUT" "the vncviewer window to be 1024x768" \
	viewer_is 1024x768
t_alive "$D_VIEWER_PID" || t_fail "vncviewer exited"

for c in A B L D G; do
	t_alive "${T_GRAB_PID[$c]}" || t_fail "client $c is gone"
done
t_xrfb_alive
t_pass
