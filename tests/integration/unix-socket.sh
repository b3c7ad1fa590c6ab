#!/bin/bash
# --listen unix:PATH: the socket is created with mode 0600 (or
# --unix-mode) and named in the ready record, libvncclient (vnc-grab) and TigerVNC's vncviewer (which
# takes a socket path) show the desktop exactly through it, a second
# server refuses to take over a live socket, a socket left behind by a
# killed server is replaced, and a server that exits removes its socket.
. "$(dirname "$0")/../lib.sh"

t_require xwd vncviewer stat "$XPAINT" "$VNC_GRAB"

geometry=800x600x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 5
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
sock=$T_DIR/vnc.sock

t_step "a Unix socket with mode 0600"
t_start_xrfb --display "$DPY" --listen "unix:$sock" \
	--ready-file "$T_DIR/ready.json"
t_wait_for "$T_TIMEOUT" "the ready record" test -s "$T_DIR/ready.json"
[ "$(t_json "$T_DIR/ready.json" unix.0)" = "$sock" ] ||
	t_fail "the ready record does not name $sock"
[ "$XRFB_ADDR" = "$sock" ] || t_fail "ready line names $XRFB_ADDR, not $sock"
[ -S "$sock" ] || t_fail "$sock is not a socket"
mode=$(stat -c %a "$sock")
[ "$mode" = 600 ] || t_fail "$sock has mode $mode, not 600"

t_step "libvncclient through the socket"
t_run "vnc-grab on $sock" t_grab --compare "$T_DIR/ref.xwd" "$sock"

t_step "TigerVNC's vncviewer through the socket"
t_check_vncviewer "vncviewer on $sock" "$sock" "$T_DIR/ref.xwd" \
	"$geometry" 8,8,8 -FullColor -PreferredEncoding=ZRLE

t_step "a live socket is not taken over"
t_run_fails "a second server on $sock" 1 "$XRFB" --display "$DPY" \
	--listen "unix:$sock" >"$T_DIR/second.out" 2>&1
grep -q "cannot listen on unix:$sock: a server is listening there" \
	"$T_DIR/second.out" || {
	cat "$T_DIR/second.out"
	t_fail "the refusal does not say why"
}
t_run "the first server still serves" t_grab --compare "$T_DIR/ref.xwd" \
	"$sock"

t_step "a stale socket is replaced"
first=$XRFB_PID
kill -KILL "$first"
t_stop "$first" 2>/dev/null || true
[ -S "$sock" ] || t_fail "the killed server's socket is gone already"
t_start_xrfb --display "$DPY" --listen "unix:$sock" --unix-mode 0660
grep -q "replacing the stale socket $sock" "$XRFB_ERR" ||
	t_fail "no word of the stale socket"
mode=$(stat -c %a "$sock")
[ "$mode" = 660 ] || t_fail "--unix-mode 0660 gave mode $mode"
t_run "vnc-grab on the new socket" t_grab --compare "$T_DIR/ref.xwd" "$sock"

t_step "the socket goes with the server"
t_stop "$XRFB_PID" || true
[ -e "$sock" ] && t_fail "$sock is still there after the server exited"

t_step "a file that is not a socket is never removed"
echo data >"$sock"
t_run_fails "a server on a regular file" 1 "$XRFB" --display "$DPY" \
	--listen "unix:$sock"
[ "$(cat "$sock")" = data ] || t_fail "the file was changed"
t_pass
