#!/bin/bash
# Reverse connections: TigerVNC's vncviewer listens (-listen PORT, full
# screen on its own Xvfb) and xrfb --connect reaches it; the viewer's
# display must equal the served one pixel for pixel. Then the viewer is
# killed: xrfb, with --connect-retry, keeps trying (refused meanwhile) and
# reconnects as soon as a new listening viewer is up on the same port.
# Without --connect-retry a refused connection is one log line, and the
# server goes on serving.
. "$(dirname "$0")/../lib.sh"

t_require xwd vncviewer python3 "$XPAINT"

geometry=1024x768x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 7
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xvfb VDPY "$geometry"

port=$(t_free_port)

# Start a viewer listening on $port; wait for it to say so.
start_viewer() {
	local log=$T_DIR/vncviewer-$1.log
	vncviewer -display "$VDPY" -listen "$port" -FullScreen -ViewOnly \
		-Shared -AlertOnFatalError=0 -ReconnectOnError=0 -AutoSelect=0 \
		-NoJPEG -FullColor -PreferredEncoding=ZRLE >"$log" 2>&1 &
	VIEWER_PID=$!
	T_PIDS+=("$VIEWER_PID")
	T_PROC_NAME[$VIEWER_PID]=vncviewer-$1
	t_wait_for "$T_TIMEOUT" "vncviewer listening on port $port" \
		grep -q -e "Listening on port $port" -e "failed to bind" "$log"
	! grep -q "failed to bind" "$log"
}

t_step "a listening viewer receives --connect"
# A port found free may be taken by a parallel test before the viewer
# binds it: then another one.
for try in 1 2 3 4 5; do
	start_viewer "1-$try" && break
	[ "$try" -lt 5 ] || t_fail "vncviewer could not bind a free port"
	port=$(t_free_port)
done
t_start_xrfb --display "$DPY" --connect "127.0.0.1:$port" \
	--connect-retry 1
XRFB1_ERR=$XRFB_ERR
t_wait_display_match "viewer after --connect" "$VDPY" "$T_DIR/ref.xwd" \
	--bits 8,8,8
grep -q "client .*(127.0.0.1:$port (reverse)): connected" "$XRFB1_ERR" ||
	t_fail "xrfb did not log the reverse client"

t_step "the viewer is killed: xrfb retries until a new one listens"
kill -KILL "$VIEWER_PID"
t_stop "$VIEWER_PID" 2>/dev/null || true
t_wait_for "$T_TIMEOUT" "xrfb noticing the viewer left" \
	grep -q "viewer 127.0.0.1:$port: connection ended" "$XRFB1_ERR"
t_wait_for "$T_TIMEOUT" "a refused retry" \
	grep -q "cannot connect to viewer 127.0.0.1:$port: Connection refused; trying again" \
	"$XRFB1_ERR"
# the old picture must not linger: the viewer's display is blank now
t_xwd "$VDPY" "$T_DIR/blank.xwd"
"$IMGCMP" "$T_DIR/blank.xwd" "$T_DIR/ref.xwd" >/dev/null 2>&1 &&
	t_fail "the viewer's display still shows the desktop"
start_viewer 2 || t_fail "the second vncviewer could not bind port $port"
t_wait_display_match "viewer after reconnecting" "$VDPY" "$T_DIR/ref.xwd" \
	--bits 8,8,8
t_xrfb_alive

t_step "an IPv6 literal in brackets"
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	2>/dev/null; then
	# a listener on ::1 that prints the first 12 bytes it receives
	t_spawn v6-listener python3 -u -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))
s.listen(1)
print("port", s.getsockname()[1], flush=True)
c, _ = s.accept()
data = b""
while len(data) < 12:
    data += c.recv(12 - len(data))
print("got", data.decode().strip(), flush=True)'
	t_wait_for "$T_TIMEOUT" "the IPv6 listener" \
		grep -q '^port ' "$T_DIR/v6-listener.log"
	v6port=$(sed -n 's/^port //p' "$T_DIR/v6-listener.log")
	t_start_xrfb --display "$DPY" --connect "[::1]:$v6port"
	t_wait_for "$T_TIMEOUT" "the greeting over IPv6" \
		grep -q '^got RFB 003.008$' "$T_DIR/v6-listener.log"
	t_stop "$XRFB_PID" || true
else
	t_log "no IPv6 loopback here: skipping the IPv6 literal"
fi

t_step "without --connect-retry a refused connection is one line"
closed=$(t_free_port)
t_start_xrfb --display "$DPY" --connect "127.0.0.1:$closed"
t_wait_for "$T_TIMEOUT" "the failure line" \
	grep -q "cannot connect to viewer 127.0.0.1:$closed: Connection refused$" \
	"$XRFB_ERR"
n=$(grep -c "127.0.0.1:$closed" "$XRFB_ERR")
[ "$n" -eq 1 ] || t_fail "expected one line about the failure, got $n"
# and it goes on serving its listener
t_grab --compare "$T_DIR/ref.xwd" "$XRFB_ADDR" >/dev/null ||
	t_fail "the server stopped serving after the failed connect"
t_xrfb_alive

t_pass
