#!/bin/bash
# xrfb --create: xrfb starts its own Xvfb and a session in it. The session
# paints the test pattern and dumps the root window; libvncclient (several
# pixel formats), vncsnapshot and TigerVNC vncviewer must all show exactly
# that. Changes made later arrive. SIGTERM ends xrfb (status 143), the
# session and the X server; a session that ends takes xrfb down with its
# exit status.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$XPAINT"

t_blank_cursor_file
cat >"$T_DIR/session.sh" <<SESSION
#!/bin/sh
echo "\$DISPLAY" >"$T_DIR/session.display.tmp"
# no cursor to be drawn into the pixels of clients without cursor shapes
xsetroot -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" || exit 5
echo "\${XAUTHORITY:-}" >"$T_DIR/session.xauth"
echo \$\$ >"$T_DIR/session.pid"
"$XPAINT" pattern 5 || exit 3
xwd -root -silent >"$T_DIR/ref.tmp" || exit 4
mv "$T_DIR/ref.tmp" "$T_DIR/ref.xwd"
mv "$T_DIR/session.display.tmp" "$T_DIR/session.display"
exec sleep 3600
SESSION

t_step "start xrfb --create with a session that paints"
t_start_xrfb --create=900x700x24 --session "sh $T_DIR/session.sh"
t_wait_for "$T_TIMEOUT" "the session's reference dump" \
	test -s "$T_DIR/session.display"
session_dpy=$(cat "$T_DIR/session.display")
[ "$session_dpy" = "$XRFB_DPY" ] ||
	t_fail "the session runs on $session_dpy, xrfb serves $XRFB_DPY"
session_pid=$(cat "$T_DIR/session.pid")
export XAUTHORITY
XAUTHORITY=$(cat "$T_DIR/session.xauth")

t_step "libvncclient sees the session's pattern"
for f in 32 16 8tc cmap; do
	t_run "format $f on the created display" \
		t_grab --format "$f" --encodings "raw copyrect" \
		--fail-out "$T_DIR/fail-$f.ppm" --compare "$T_DIR/ref.xwd" \
		"$XRFB_ADDR"
done

t_step "vncsnapshot"
t_check_vncsnapshot "vncsnapshot of the created display" "$XRFB_ADDR" \
	"$T_DIR/ref.xwd" -encodings "raw copyrect"

t_step "TigerVNC vncviewer"
t_check_vncviewer "vncviewer of the created display" "$XRFB_ADDR" \
	"$T_DIR/ref.xwd" 900x700x24 8,8,8 -FullColor

t_step "a change on the created display arrives"
t_grab_start c1 --format 32 --encodings "raw copyrect" "$XRFB_ADDR"
t_paint "$XRFB_DPY" 6
t_xwd_stable "$XRFB_DPY" "$T_DIR/ref2.xwd"
t_cmd_ok c1 match "$T_DIR/ref2.xwd"
t_grab_stop c1

t_step "SIGTERM ends xrfb, the session and the X server"
dnum=${XRFB_DPY#:}
dnum=${dnum%%.*}
t_alive "$session_pid" || t_fail "the session died early"
status=0
t_stop "$XRFB_PID" || status=$?
[ $status -eq 143 ] || t_fail "xrfb exited with $status after SIGTERM, expected 143"
t_wait_for 10 "the session to end" bash -c "! kill -0 $session_pid"
t_wait_for 10 "the X server of $XRFB_DPY to end" \
	bash -c "! test -e /tmp/.X11-unix/X$dnum && ! test -e /tmp/.X$dnum-lock"

t_step "when the session ends, xrfb ends with its status"
# not t_start_xrfb: the session may end before the ready line is printed
t_spawn xrfb-exit7 "$XRFB" --port 0 --create=320x240x24 --session "exit 7"
t_wait_exit "$T_LAST_PID" "$T_TIMEOUT" ||
	t_fail "xrfb kept running after its session ended"
[ "$T_EXIT" -eq 7 ] || t_fail "xrfb exited with $T_EXIT, the session with 7"

t_pass
