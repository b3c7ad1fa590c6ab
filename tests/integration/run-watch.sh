#!/bin/bash
# Watching a run from a browser: with the web client on, `xrfb run` makes
# a random view token; the ready record ("url", "view_token") and the log
# carry noVNC's view-only URL with it. A WebSocket whose path carries the
# token gets in without the password (None is the only type offered) and
# receives the desktop (equal to xwd -root), but its keys, clicks and
# clipboard never reach X: xevents sees nothing of them, while a key from
# a viewer that gave the password, sent after them, arrives. `ctl events`
# reports that viewer as view-only. A wrong token is refused (HTTP 403);
# no token means the password is asked for. A bad --view-token is a usage
# error.
. "$(dirname "$0")/../lib.sh"

WS_PROBE=$XRFB_TOP_SRCDIR/tests/tools/ws-probe.py
t_require "$XRFB" "$XPAINT" "$XEVENTS" "$VNC_GRAB" "$IMGCMP" python3 xwd \
	xsetroot

t_step "a bad --view-token is a usage error"
t_run_fails "--view-token too short" 2 \
	"$XRFB" run --view-token short -- true

t_blank_cursor_file
echo "watchwd" >"$T_DIR/password"
cat >"$T_DIR/session.sh" <<CMD
#!/bin/sh
xsetroot -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" || exit 2
"$XPAINT" pattern 4 || exit 3
touch "$T_DIR/painted"
while [ ! -e "$T_DIR/go" ]; do sleep 0.1; done
exit 0
CMD

t_step "xrfb run with a password and the web client"
# WebSocket on a port of its own: on a shared port, a silent connection
# from an address that just made HTTP requests waits long to be RFB.
t_spawn run "$XRFB" run --size 400x300x24 --port 0 \
	--websocket-detect 0 --websocket-port 0 --security VncAuth --password-file "$T_DIR/password" \
	--ready-file "$T_DIR/ready.json" -- sh "$T_DIR/session.sh"
run_pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the ready record" test -s "$T_DIR/ready.json"
port=$(t_json "$T_DIR/ready.json" listen.0.port)
dpy=$(t_json "$T_DIR/ready.json" display)
token=$(t_json "$T_DIR/ready.json" view_token)
url=$(t_json "$T_DIR/ready.json" url)
control=$(t_json "$T_DIR/ready.json" control)
XAUTHORITY=$(t_json "$T_DIR/ready.json" xauthority)
export XAUTHORITY
t_log "url: $url"
[[ $token =~ ^[0-9a-f]{32}$ ]] || t_fail "view token '$token'"
[[ $url =~ ^http://127.0.0.1:([0-9]+)/ ]] || t_fail "url is $url"
ws_port=${BASH_REMATCH[1]}
[ "$ws_port" != "$port" ] || t_fail "the WebSocket port is the RFB port"
want="http://127.0.0.1:$ws_port/vnc.html?autoconnect=1&view_only=1&resize=scale&path=websockify%3Ftoken%3D$token"
[ "$url" = "$want" ] || t_fail "url is $url, not $want"
grep -qF "watch (view-only) at $want" "$T_DIR/run.log" ||
	t_fail "the log does not carry the URL"

t_spawn events "$XRFB" ctl --control "$control" events
t_wait_for "$T_TIMEOUT" "ctl events" grep -q subscribed "$T_DIR/events.log"

t_step "the token viewer sees the desktop; its input is ignored"
t_wait_for "$T_TIMEOUT" "the session's painting" test -e "$T_DIR/painted"
t_spawn xevents "$XEVENTS" -display "$dpy" --geometry 200x200+0+0
t_wait_for "$T_TIMEOUT" "xevents" grep -q '^ready' "$T_DIR/xevents.log"
t_xwd_stable "$dpy" "$T_DIR/ref.xwd"
t_run "ws-probe view-token" python3 "$WS_PROBE" --port "$ws_port" \
	--token "$token" --save "$T_DIR/view.ppm" view-token
t_same "the token viewer's desktop against xwd -root" "$T_DIR/view.ppm" \
	"$T_DIR/ref.xwd"
t_wait_for "$T_TIMEOUT" "a view-only viewer-connected event" python3 -c '
import json, sys
sys.exit(0 if any(e["event"] == "viewer-connected" and e["view_only"]
                  for e in map(json.loads, open(sys.argv[1]))) else 1)' \
	"$T_DIR/events.log"
# A viewer with the password types after the token viewer's input was
# read (ws-probe waited for an update asked for after it): its key
# arrives, and nothing came before it.
t_grab_start K --password watchwd "127.0.0.1:$port"
t_cmd_ok K key b
t_wait_for "$T_TIMEOUT" "the password viewer's key in X" \
	grep -qE '^key press [0-9]+ b ' "$T_DIR/xevents.log"
if grep -E '^button|^key (press|release) [0-9]+ a ' "$T_DIR/xevents.log"; then
	t_fail "the token viewer's input reached X"
fi
t_log "xevents: $(grep -c '^key' "$T_DIR/xevents.log") key lines, all from the password viewer"
if grep -F "token=$token" "$T_DIR/run.log" | grep -v "watch (view-only)"; then
	t_fail "the token is logged elsewhere than the URL"
fi
t_grab_stop K

t_step "the run ends with CMD's status"
touch "$T_DIR/go"
t_wait_exit "$run_pid" "$T_TIMEOUT" || t_fail "xrfb run did not end"
[ "$T_EXIT" = 0 ] || t_fail "xrfb run exited with $T_EXIT"
t_pass
