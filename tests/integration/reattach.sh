#!/bin/bash
# --reattach: xrfb serves a display it did not start; the X server is
# killed and another one started on the same display number (as a display
# manager restarts X), at another size and with a new cookie written into
# the XAUTHORITY file xrfb was given. The control socket's event stream
# says x-lost, then x-back with the new size; the viewer that stayed
# connected through it (libvncclient) is resized and shows the new
# server's screen exactly (against xwd), and its clicks reach an X client
# there. With --reattach=SECS a display that stays away ends xrfb with
# status 1; without --reattach the loss ends it at once.
. "$(dirname "$0")/../lib.sh"

t_require "$XRFB" "$XPAINT" "$VNC_GRAB" "$IMGCMP" "$XEVENTS" Xvfb xwd \
	xsetroot python3

# Start Xvfb on display @1 (a number), @2 the geometry, with a fresh
# cookie in $XAUTHORITY; its PID in T_LAST_PID once it accepts
# connections (-displayfd with the number given: it writes it when
# ready). It listens on the socket in the file system only: the abstract
# one stays with hold_display. With @3 "try", a display number that is
# taken returns 1 instead of failing the test.
xvfb_on() {
	local num=$1 geometry=$2 try=${3:-} dfile=$T_DIR/xvfb-$1-$2.display
	: >"$dfile"
	xauth -q add ":$num" . "$(python3 -c 'import secrets
print(secrets.token_hex(16))')" || t_fail "xauth add"
	Xvfb ":$num" -displayfd 3 -nolisten tcp -nolisten local -noreset \
		-screen 0 "$geometry" -auth "$XAUTHORITY" \
		3>"$dfile" >"$T_DIR/xvfb-$num-$geometry.log" 2>&1 &
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
	T_PROC_NAME[$T_LAST_PID]=xvfb-$num-$geometry
	t_wait_for "$T_TIMEOUT" "Xvfb :$num ($geometry)" \
		bash -c "[ -s '$dfile' ] || ! kill -0 $T_LAST_PID"
	if [ ! -s "$dfile" ] && [ -n "$try" ]; then
		wait "$T_LAST_PID" 2>/dev/null
		return 1
	fi
	[ -s "$dfile" ] || t_fail "Xvfb :$num did not start: \
$(cat "$T_DIR/xvfb-$num-$geometry.log")"
	xsetroot -display ":$num" -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR"
}

# Take the abstract socket of display @1 as soon as its X server lets it
# go (an X server looking for a free display skips a number whose socket
# is taken), and keep it until the test ends.
hold_display() {
	cat >"$T_DIR/hold.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
end = time.monotonic() + float(sys.argv[2])
while True:
    try:
        s.bind("\0/tmp/.X11-unix/X" + sys.argv[1])
        break
    except OSError:
        if time.monotonic() > end:
            sys.exit("cannot take display :" + sys.argv[1])
        time.sleep(0.001)
print("held", flush=True)
time.sleep(3600)
PY
	t_spawn "hold-$1" python3 "$T_DIR/hold.py" "$1" "$T_TIMEOUT"
}

# Paint pattern @2 on display @1 and save it in $T_DIR/@3.xwd.
paint() {
	"$XPAINT" -display "$1" pattern "$2" || t_fail "xpaint on $1"
	xwd -display "$1" -root -silent >"$T_DIR/$3.xwd" || t_fail "xwd on $1"
}

# The viewer's screen is @1 (WxH), and `xrfb ctl status` says x_lost
# is @2 (True or False).
check_state() {
	local f=$T_DIR/status-$2.json
	t_cmd_ok G size
	[ "$T_REPLY" = "ok size $1" ] || t_fail "the viewer: $T_REPLY"
	"$XRFB" ctl --control "$T_DIR/ctl.sock" status >"$f" ||
		t_fail "ctl status (x_lost $2 expected)"
	[ "$(t_json "$f" x_lost)" = "$2" ] ||
		t_fail "status, x_lost not $2: $(cat "$f")"
}

t_blank_cursor_file
# xrfb and the test's X clients read their cookies here
export XAUTHORITY=$T_DIR/xauthority
: >"$XAUTHORITY"
# A display number far above those that X servers looking for a free one
# take (the lowest free, tests beside this one included), so that none
# of theirs starts on it while it is away: holding its abstract socket
# (hold_display) does not keep them all off.
for try in 1 2 3 4 5 6 7 8; do
	num=$((600 + RANDOM % 300))
	[ ! -e "/tmp/.X$num-lock" ] && [ ! -e "/tmp/.X11-unix/X$num" ] &&
		xvfb_on "$num" 320x240x24 try && break
	[ "$try" -lt 8 ] || t_fail "no free display number from 600 on"
done
xvfb1=$T_LAST_PID
DPY=:$num
t_log "Xvfb 320x240x24 on $DPY (pid $xvfb1)"
paint "$DPY" 1 first

t_step "serve :$num with --reattach, a viewer and the event stream"
t_start_xrfb --display "$DPY" --reattach --control="$T_DIR/ctl.sock"
t_spawn events "$XRFB" ctl --control "$T_DIR/ctl.sock" events
t_wait_for "$T_TIMEOUT" "ctl events" grep -q subscribed "$T_DIR/events.log"
t_grab_start G --format 32 --encodings "raw copyrect" "$XRFB_ADDR"
t_cmd_ok G match "$T_DIR/first.xwd"

t_step "the X server goes away"
hold_display "$num"
t_stop "$xvfb1" || true
t_wait_line "$T_DIR/hold-$num.log" '^held'
t_wait_line "$T_DIR/events.log" '"event":"x-lost"'
t_wait_line "$XRFB_ERR" 'waiting for it to come back'
t_xrfb_alive
# the viewer stays, with the last frame
check_state 320x240 True

t_step "another X server on :$num, at 400x300: x-back, resize, its screen"
xvfb_on "$num" 400x300x24
if XAUTHORITY=/dev/null xwd -display "$DPY" -root -silent >/dev/null 2>&1; then
	t_fail "the new X server lets clients in without its cookie"
fi
# An X server that a test beside this one starts may answer on :$num
# before ours does (xrfb rightly serves it until it goes): the x-back of
# ours has its size.
t_wait_line "$T_DIR/events.log" '"event":"x-back".*"width":400,"height":300'
t_log "event: $T_LINE"
if grep '"event":"x-back"' "$T_DIR/events.log" | grep -qv '"width":400,'; then
	t_log "another X server answered on :$num first:" \
		"$(grep '"event":"x-back"' "$T_DIR/events.log" | head -n 1)"
fi
t_wait_line "$T_DIR/events.log" '"event":"resize".*"width":400'
paint "$DPY" 2 second
t_cmd_ok G match "$T_DIR/second.xwd"
check_state 400x300 False

t_step "the viewer's pointer reaches the new X server"
t_spawn xevents "$XEVENTS" -display "$DPY" --geometry 200x200+0+0
t_wait_for "$T_TIMEOUT" "xevents" grep -q '^ready' "$T_DIR/xevents.log"
t_cmd_ok G click 50 60
t_wait_for "$T_TIMEOUT" "the click in X" \
	grep -q '^button release 1 50 60 ' "$T_DIR/xevents.log"
t_cmd_ok G size
t_xrfb_alive
t_grab_stop G
t_stop "$XRFB_PID" || true

t_step "--reattach=1: a display that stays away ends xrfb with status 1"
# A parallel test may start its X server on the freed display number
# within that second: xrfb then serves that one, as it should, and the
# step is tried again on another display.
for try in 1 2 3; do
	t_start_xvfb DPY2 320x240x24
	xvfb2=$T_LAST_PID
	t_start_xrfb --display "$DPY2" --reattach=1
	xrfb2=$XRFB_PID
	err2=$XRFB_ERR
	t_stop "$xvfb2" || true
	t_wait_exit "$xrfb2" "$T_TIMEOUT" && break
	grep -q "X display $DPY2 is back" "$err2" || t_fail "xrfb waits on"
	t_log "another X server took $DPY2: again"
	t_stop "$xrfb2" || true
	[ "$try" -lt 3 ] || t_fail "each display was taken by another X server"
done
[ "$T_EXIT" -eq 1 ] || t_fail "status $T_EXIT, not 1"
grep -q 'did not come back within 1 s' "$err2" ||
	t_fail "no word of it: $(cat "$err2")"

t_step "without --reattach the loss ends xrfb at once"
t_start_xvfb DPY3 320x240x24
xvfb3=$T_LAST_PID
t_start_xrfb --display "$DPY3"
xrfb3=$XRFB_PID
t_stop "$xvfb3" || true
t_wait_exit "$xrfb3" "$T_TIMEOUT" || t_fail "xrfb goes on without X"
[ "$T_EXIT" -eq 1 ] || t_fail "status $T_EXIT, not 1"

t_step "--reattach is refused where xrfb starts the X server"
t_run_fails "--create --reattach" 2 "$XRFB" --create --reattach
t_run_fails "run --reattach" 2 "$XRFB" run --reattach -- true

t_pass
