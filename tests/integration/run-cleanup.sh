#!/bin/bash
# xrfb run leaves nothing behind. CMD is a shell with a child of its own.
# A SIGTERM to xrfb goes on to CMD's process group and xrfb exits with
# CMD's status; a SIGKILL of xrfb is cleaned up by its guard process; an
# X server killed during the run gives the documented status 123 (and an
# x-lost event). Every
# time: no Xvfb, no CMD, no grandchild (checked in /proc), no private
# directory, no X socket or lock file, no control or RFB socket.
. "$(dirname "$0")/../lib.sh"

t_require "$XRFB" python3

# Gone: no such process, or a zombie waiting for init to reap it.
gone() {
	local state
	[ -e "/proc/$1" ] || return 0
	state=$(sed -n 's/^[^)]*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -z "$state" ] || [ "$state" = Z ]
}

# The lock file and socket of display @1, whose server was @2, are gone
# (another X server may have taken the number since: then its lock holds
# another pid and its socket answers).
x_files_gone() {
	local owner
	owner=$(tr -d ' \n' <"/tmp/.X$1-lock" 2>/dev/null) || owner=
	[ "$owner" != "$2" ] || return 1
	! test -e "/tmp/.X11-unix/X$1" || python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "/tmp/.X11-unix/X$1" 2>/dev/null
}

# Control socket @1 of the run with PID @2 is gone. Its default path is
# named after the display, which a parallel test may get as soon as this
# run is gone: a socket there on which another server answers is not
# this run's.
control_gone() {
	! test -e "$1" && return 0
	"$XRFB" ctl --control "$1" status >"$T_DIR/control-now.json" \
		2>/dev/null &&
		[ "$(t_json "$T_DIR/control-now.json" pid)" != "$2" ]
}

# Start a run whose CMD leaves a grandchild; sets RUN_PID, REC, GRANDCHILD.
#   start_run NAME
start_run() {
	local name=$1
	REC=$T_DIR/$name.json
	cat >"$T_DIR/$name.sh" <<CMD
#!/bin/sh
sleep 600 &
echo \$! >"$T_DIR/$name.grandchild"
exec sleep 601
CMD
	t_spawn "$name" "$XRFB" run --size 320x240x24 --ready-file "$REC" -- \
		sh "$T_DIR/$name.sh"
	RUN_PID=$T_LAST_PID
	t_wait_for "$T_TIMEOUT" "the ready record of $name" test -s "$REC"
	t_wait_for "$T_TIMEOUT" "the grandchild of $name" \
		test -s "$T_DIR/$name.grandchild"
	GRANDCHILD=$(cat "$T_DIR/$name.grandchild")
	t_log "$name: $(cat "$REC")"
}

# Everything of the run in $REC is gone (bounded wait).
check_gone() {
	local what=$1 xvfb cmd dir dpy num control pid
	xvfb=$(t_json "$REC" xvfb_pid)
	cmd=$(t_json "$REC" cmd_pid)
	dir=$(dirname "$(t_json "$REC" xauthority)")
	dpy=$(t_json "$REC" display)
	control=$(t_json "$REC" control)
	sock=$(t_json "$REC" unix.0)
	num=${dpy#:}
	for pid in "$xvfb" "$cmd" "$GRANDCHILD"; do
		t_wait_for 10 "$what: process $pid to end" gone "$pid"
	done
	t_wait_for 10 "$what: $dir to go" bash -c "! test -e '$dir'"
	t_wait_for 10 "$what: the X socket and lock of $dpy to go" \
		x_files_gone "$num" "$xvfb"
	t_wait_for 10 "$what: the control socket to go" \
		control_gone "$control" "$(t_json "$REC" pid)"
	t_wait_for 10 "$what: the Unix socket to go" bash -c "! test -e '$sock'"
	t_log "$what: nothing left"
}

t_step "SIGTERM: passed on to CMD, whose status xrfb returns"
start_run term
status=0
t_stop "$RUN_PID" || status=$?
[ $status -eq 143 ] || t_fail "after SIGTERM: status $status, not 143"
check_gone SIGTERM

t_step "SIGKILL: the guard cleans up"
start_run kill
kill -KILL "$RUN_PID"
t_wait_exit "$RUN_PID" "$T_TIMEOUT" || t_fail "xrfb survived SIGKILL"
check_gone SIGKILL

t_step "the X server killed during the run: status 123"
start_run xlost
t_spawn xlost-events "$XRFB" ctl --control "$(t_json "$REC" control)" events
t_wait_for "$T_TIMEOUT" "ctl events" grep -q subscribed \
	"$T_DIR/xlost-events.log"
kill -KILL "$(t_json "$REC" xvfb_pid)"
t_wait_exit "$RUN_PID" "$T_TIMEOUT" || t_fail "xrfb did not end without X"
[ "$T_EXIT" -eq 123 ] || t_fail "X killed: status $T_EXIT, not 123"
grep -q '"event":"x-lost"' "$T_DIR/xlost-events.log" ||
	t_fail "no x-lost event: $(cat "$T_DIR/xlost-events.log")"
check_gone "X killed"

t_step "an X server that cannot start: status 122"
mkdir -p "$T_DIR/bin"
printf '#!/bin/sh\necho "Fatal server error:" >&2\necho "no screens for you" >&2\nexit 1\n' >"$T_DIR/bin/Xvfb"
chmod +x "$T_DIR/bin/Xvfb"
t_spawn xfail env PATH="$T_DIR/bin:$PATH" "$XRFB" run -- true
t_wait_exit "$T_LAST_PID" "$T_TIMEOUT" || t_fail "xrfb hangs without X"
[ "$T_EXIT" -eq 122 ] || t_fail "no X: status $T_EXIT, not 122"
grep -q "no screens for you" "$T_DIR/xfail.log" ||
	t_fail "Xvfb's own error is not in the log"

t_pass
