#!/bin/bash
# The control socket of xrfb run and `xrfb ctl`. The socket is private
# (mode 0600). `ctl events` sees a viewer connect and leave (with its id
# and address), its clipboard (the length), a resize it asks for, a
# screenshot, and the session's end with its status; `ctl status` and
# `ctl clients` answer JSON; `ctl disconnect` ends a viewer; `ctl
# screenshot` writes a PNG equal to `xwd -root` pixel for pixel (with
# --cursor, the cursor drawn in where it is), and so does
# --screenshot-on-failure when CMD fails; `ctl connect` reaches a
# listening TigerVNC viewer, which shows the desktop, and fails with the
# reason when the viewer's port refuses. Malformed and
# overlong requests cost only their own connection. `ctl stop` ends a
# plain `xrfb --create --control`, and `--display --control` serves
# screenshots of a display xrfb did not start. A display-named socket
# still held by a server whose X has gone is taken over by the run that
# gets the number next.
. "$(dirname "$0")/../lib.sh"

t_require "$XRFB" "$XPAINT" "$VNC_GRAB" "$IMGCMP" "$T_TOOLS/rfb-ext" xwd xsetroot \
	xdotool vncviewer python3 pngtopnm

# Wait for an event line matching the Python expression @2 (on e, the
# event) in the output of `ctl events`.
wait_event() {
	local what=$1 expr=$2
	t_wait_for "$T_TIMEOUT" "event: $what" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if '"$expr"':
        sys.exit(0)
sys.exit(1)' "$T_DIR/events.log"
}

t_blank_cursor_file
cat >"$T_DIR/session.sh" <<CMD
#!/bin/sh
xsetroot -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" || exit 2
"$XPAINT" pattern 4 || exit 3
touch "$T_DIR/painted"
while [ ! -e "$T_DIR/go" ]; do sleep 0.1; done
exit 5
CMD

t_step "xrfb run with its control socket"
t_spawn run "$XRFB" run --size 480x320x24 --port 0 \
	--ready-file "$T_DIR/ready.json" \
	--screenshot-on-failure "$T_DIR/failures" -- sh "$T_DIR/session.sh"
run_pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the ready record" test -s "$T_DIR/ready.json"
control=$(t_json "$T_DIR/ready.json" control)
# the default path is named after the display, which a parallel test may
# get once this one is gone: "left behind" means this very socket
control_inode=$(stat -c %i "$control") || t_fail "no control socket $control"
port=$(t_json "$T_DIR/ready.json" listen.0.port)
dpy=$(t_json "$T_DIR/ready.json" display)
XAUTHORITY=$(t_json "$T_DIR/ready.json" xauthority)
export XAUTHORITY
[ "$(stat -c %a "$control")" = 600 ] ||
	t_fail "the control socket has mode $(stat -c %a "$control")"
CTL=("$XRFB" ctl --control "$control")

t_step "ctl events"
t_spawn events "${CTL[@]}" events
events_pid=$T_LAST_PID
wait_event subscribed 'e["event"] == "subscribed"'

t_step "ctl status"
"${CTL[@]}" status >"$T_DIR/status.json" || t_fail "ctl status failed"
[ "$(t_json "$T_DIR/status.json" ok)" = True ] || t_fail "status not ok"
[ "$(t_json "$T_DIR/status.json" display)" = "$dpy" ] ||
	t_fail "ctl status names another display"
[ "$(t_json "$T_DIR/status.json" viewers)" = 0 ] || t_fail "viewers?"
# the default path of the display's socket, found through DISPLAY
DISPLAY=$dpy "$XRFB" ctl status >/dev/null ||
	t_fail "ctl does not find the socket of DISPLAY=$dpy"

t_step "a viewer connects and leaves"
t_wait_for "$T_TIMEOUT" "the session's painting" test -e "$T_DIR/painted"
t_xwd_stable "$dpy" "$T_DIR/ref.xwd"
t_grab_start v1 --format 32 --encodings "raw copyrect" "127.0.0.1:$port"
wait_event "viewer-connected" 'e["event"] == "viewer-connected"'
"${CTL[@]}" clients >"$T_DIR/clients.json" || t_fail "ctl clients failed"
id=$(t_json "$T_DIR/clients.json" clients.0.id)
addr=$(t_json "$T_DIR/clients.json" clients.0.address)
[[ $addr == 127.0.0.1:* ]] || t_fail "the viewer's address is $addr"
t_cmd_ok v1 match "$T_DIR/ref.xwd"
t_cmd_ok v1 cut "hello, clipboard"
wait_event "clipboard" 'e["event"] == "clipboard" and e["length"] == 16'
t_run "ctl disconnect $id" "${CTL[@]}" disconnect "$id"
wait_event "viewer-disconnected" \
	"e[\"event\"] == \"viewer-disconnected\" and e[\"id\"] == $id and e[\"address\"] == \"$addr\" and e[\"user\"] is None and e[\"view_only\"] is False"
t_grab_stop v1
t_run_fails "ctl disconnect of a viewer that is gone" 1 \
	"${CTL[@]}" disconnect "$id"

t_step "ctl screenshot equals xwd -root"
t_run "ctl screenshot" "${CTL[@]}" screenshot "$T_DIR/shot.png"
wait_event screenshot "e[\"event\"] == \"screenshot\" and e[\"file\"] == \"$T_DIR/shot.png\""
pngtopnm "$T_DIR/shot.png" >"$T_DIR/shot.ppm" || t_fail "not a PNG"
t_same "ctl screenshot against xwd -root" "$T_DIR/shot.ppm" "$T_DIR/ref.xwd"
# the screen changes: a new screenshot shows it at once, no viewer needed
"$XPAINT" -display "$dpy" pattern 6 || t_fail "xpaint failed"
t_xwd_stable "$dpy" "$T_DIR/ref6.xwd"
t_run "ctl screenshot" "${CTL[@]}" screenshot "$T_DIR/shot6.png"
pngtopnm "$T_DIR/shot6.png" >"$T_DIR/shot6.ppm" || t_fail "not a PNG"
t_same "a screenshot of the changed screen" "$T_DIR/shot6.ppm" "$T_DIR/ref6.xwd"

t_step "a viewer resizes the desktop: a resize event"
printf 'resize 400 300\nwait-size 400 300\n' |
	"$T_TOOLS/rfb-ext" --timeout-ms $((T_TIMEOUT * 1000)) \
		"127.0.0.1:$port" >"$T_DIR/rfb-ext.out" 2>&1 ||
	t_fail "rfb-ext could not resize: $(cat "$T_DIR/rfb-ext.out")"
wait_event "resize" 'e["event"] == "resize" and e["width"] == 400 and e["height"] == 300'

t_step "ctl screenshot --cursor draws the cursor where it is"
# X's default cursor (Xvfb gives no image of one set by a client that
# has gone), and the default background with it
xsetroot -display "$dpy" -def || t_fail "xsetroot failed"
DISPLAY=$dpy xdotool mousemove --screen 0 100 80 || t_fail "xdotool failed"
t_xwd_stable "$dpy" "$T_DIR/ref-def.xwd"
t_run "ctl screenshot --cursor" "${CTL[@]}" screenshot --cursor \
	"$T_DIR/cursor.png"
pngtopnm "$T_DIR/cursor.png" >"$T_DIR/cursor.ppm" || t_fail "not a PNG"
out=$("$IMGCMP" "$T_DIR/cursor.ppm" "$T_DIR/ref-def.xwd" 2>&1) &&
	t_fail "no cursor in the screenshot"
t_log "with the cursor: $out"
# "N pixels differ in WxH+X+Y": all within a cursor's reach of (100, 80)
box=$(sed -n 's/.* differ in \([0-9]*\)x\([0-9]*\)+\([0-9]*\)+\([0-9]*\).*/\1 \2 \3 \4/p' <<<"$out")
read -r bw bh bx by <<<"$box"
[ -n "$by" ] && [ "$bx" -ge 68 ] && [ "$by" -ge 48 ] &&
	[ $((bx + bw)) -le 132 ] && [ $((by + bh)) -le 112 ] ||
	t_fail "the cursor is not at (100, 80): $out"
t_run "ctl screenshot without the cursor" "${CTL[@]}" screenshot \
	"$T_DIR/nocursor.png"
pngtopnm "$T_DIR/nocursor.png" >"$T_DIR/nocursor.ppm" || t_fail "not a PNG"
t_same "a screenshot without the cursor" "$T_DIR/nocursor.ppm" \
	"$T_DIR/ref-def.xwd"
# back to the pattern and no cursor for what follows
xsetroot -display "$dpy" -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" ||
	t_fail "xsetroot failed"
"$XPAINT" -display "$dpy" pattern 6 || t_fail "xpaint failed"
t_xwd_stable "$dpy" "$T_DIR/ref6.xwd"

t_step "ctl connect: a listening TigerVNC viewer gets the desktop"
t_start_xvfb VDPY 400x300x24
t_spawn_free_port vncviewer "Listening on port @PORT@" "failed to bind" \
	vncviewer -display "$VDPY" -listen @PORT@ -FullScreen \
	-ViewOnly -Shared -AlertOnFatalError=0 -ReconnectOnError=0 \
	-AutoSelect=0 -NoJPEG -FullColor -PreferredEncoding=ZRLE
vport=$T_PORT
t_run "ctl connect" "${CTL[@]}" connect "127.0.0.1:$vport"
t_wait_display_match "the viewer reached by ctl connect" "$VDPY" \
	"$T_DIR/ref6.xwd" --bits 8,8,8
wait_event "the reverse viewer" \
	"e[\"event\"] == \"viewer-connected\" and \"$vport\" in e[\"address\"]"
t_run_fails "ctl connect to a bad target" 1 "${CTL[@]}" connect "::1"
# A port bound without listening refuses at once: the answer waits for
# that outcome, so the command fails and says why.
t_spawn closedport python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
time.sleep(600)' "$T_DIR/closed.port"
closedport=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "a bound port" test -s "$T_DIR/closed.port"
cport=$(cat "$T_DIR/closed.port")
"${CTL[@]}" connect "127.0.0.1:$cport" >"$T_DIR/refused.out" 2>&1 &&
	t_fail "ctl connect to a port that refuses succeeded"
grep -q "refused" "$T_DIR/refused.out" ||
	t_fail "ctl connect does not say why: $(cat "$T_DIR/refused.out")"
t_stop "$closedport" || true

t_step "bad requests cost only their connection"
python3 - "$control" <<'PY' || t_fail "bad requests were not answered"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
for req in [b"nonsense\n", b'{"cmd":"nope"}\n', b'{"cmd":1}\n',
            b'{"cmd":"disconnect","id":"x"}\n', b'{"a":{"b":1}}\n']:
    f.write(req); f.flush()
    line = f.readline()
    assert line.startswith(b'{"ok":false,"error":'), line
f.write(b'{"cmd":"clients"}\n'); f.flush()
assert f.readline().startswith(b'{"ok":true'), "no answer after errors"
f.write(b"x" * 10000); f.flush()
assert f.readline().startswith(b'{"ok":false'), "overlong line not refused"
assert f.readline() == b"", "connection not closed after an overlong line"
PY
t_run "ctl still works" "${CTL[@]}" status
t_run_fails "an unknown command" 2 "${CTL[@]}" frobnicate
t_run_fails "no server" 3 "$XRFB" ctl --control "$T_DIR/nothing.sock" status

t_step "the session fails: its status, an event, a screenshot"
touch "$T_DIR/go"
t_wait_exit "$run_pid" "$T_TIMEOUT" || t_fail "xrfb did not end with CMD"
[ "$T_EXIT" -eq 5 ] || t_fail "xrfb exited with $T_EXIT, CMD with 5"
t_wait_exit "$events_pid" "$T_TIMEOUT" || t_fail "ctl events did not end"
wait_event "session-exited" 'e["event"] == "session-exited" and e["status"] == 5'
shot=$(ls "$T_DIR"/failures/*.png 2>/dev/null | head -n 1)
[ -n "$shot" ] || t_fail "no screenshot of the failure"
pngtopnm "$shot" >"$T_DIR/failure.ppm" || t_fail "not a PNG: $shot"
t_same "the failure's screenshot" "$T_DIR/failure.ppm" "$T_DIR/ref6.xwd"
# The same inode number may be the new socket of another xrfb that got
# this display number (the file system reuses numbers at once): it is
# ours, left behind, only if no other server answers on it.
other_server() {
	"$XRFB" ctl --control "$control" status >"$T_DIR/after.json" &&
		[ "$(t_json "$T_DIR/after.json" pid)" != "$run_pid" ]
}
if [ "$(stat -c %i "$control" 2>/dev/null)" = "$control_inode" ] &&
	! other_server 2>/dev/null; then
	t_fail "the control socket is left behind"
fi

t_step "--create --control: ctl status and stop"
t_start_xrfb --create=320x240x24 --session "exec sleep 600" \
	--control="$T_DIR/create.sock"
"$XRFB" ctl --control "$T_DIR/create.sock" status >"$T_DIR/create.json" ||
	t_fail "ctl status of --create failed"
[ "$(t_json "$T_DIR/create.json" display)" = "$XRFB_DPY" ] ||
	t_fail "the --create control names another display"
t_run "ctl stop" "$XRFB" ctl --control "$T_DIR/create.sock" stop
t_wait_exit "$XRFB_PID" "$T_TIMEOUT" || t_fail "ctl stop did not stop xrfb"
[ "$T_EXIT" -eq 0 ] || t_fail "ctl stop: status $T_EXIT"

t_step "--display --control: a screenshot of a display xrfb did not start"
t_start_xvfb SDPY 320x240x24
t_paint "$SDPY" 9
t_xwd_stable "$SDPY" "$T_DIR/ref9.xwd"
t_start_xrfb --display "$SDPY" --control="$T_DIR/display.sock"
t_run "ctl screenshot of --display" "$XRFB" ctl --control \
	"$T_DIR/display.sock" screenshot "$T_DIR/display.png"
pngtopnm "$T_DIR/display.png" >"$T_DIR/display.ppm" || t_fail "not a PNG"
t_same "the screenshot of --display" "$T_DIR/display.ppm" "$T_DIR/ref9.xwd"

t_step "a socket still held by an xrfb whose X server has gone is taken over"
# Parallel runs: when an X server dies, its display number is free at
# once, while its xrfb still holds the socket named after it for a moment.
# Stand-ins hold every such name in a private runtime directory; the new
# run must take its name over, serve it and remove only its own file.
mkdir -p "$T_DIR/rt/xrfb" && chmod 700 "$T_DIR/rt" "$T_DIR/rt/xrfb"
t_spawn holders python3 -c '
import os, socket, sys, time
held = []
for n in range(200):
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.path.join(sys.argv[1], "%d.sock" % n))
    s.listen(1)
    held.append(s)
open(sys.argv[2], "w").close()
time.sleep(600)' "$T_DIR/rt/xrfb" "$T_DIR/held"
holders=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the stand-ins" test -e "$T_DIR/held"
XDG_RUNTIME_DIR=$T_DIR/rt t_run "xrfb run beside a stale holder" \
	"$XRFB" run --size 320x240x24 -- sh -c \
	"\"$XRFB\" ctl status >'$T_DIR/taken.json'"
tdpy=$(t_json "$T_DIR/taken.json" display)
[ -n "$tdpy" ] || t_fail "ctl status through the taken-over socket failed"
t_log "display $tdpy: its socket was taken over"
[ "${tdpy#:}" -lt 200 ] || t_fail "display $tdpy beyond the stand-ins"
[ ! -e "$T_DIR/rt/xrfb/${tdpy#:}.sock" ] ||
	t_fail "the taken-over socket was left behind"
[ -S "$T_DIR/rt/xrfb/$(( ${tdpy#:} + 1 )).sock" ] ||
	t_fail "another holder's socket was removed"
t_stop "$holders" || true

t_pass
