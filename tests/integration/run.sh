#!/bin/bash
# xrfb run: CMD runs in a private X server and xrfb exits with its status.
# By default it listens on a private Unix socket only.
# An xterm in the run's display, typed into with xdotool, decides the
# status (0, 1 and 7 come back unchanged); a missing CMD gives 127. The
# ready record (--ready-fd) is parsed and used: its display, XAUTHORITY
# and port lead to the desktop, which libvncclient shows exactly as xwd
# sees it. NOTIFY_SOCKET gets READY=1 and is not passed on to CMD. Twenty
# runs at once each get a display of their own and their own status.
. "$(dirname "$0")/../lib.sh"

t_require "$XRFB" "$XPAINT" "$VNC_GRAB" xterm xdotool xwd xsetroot python3

NOTIFY_LISTEN=$XRFB_TOP_SRCDIR/tests/tools/notify-listen.py

# Run xrfb to its end (bounded); its status goes to T_EXIT.
#   run_to_end NAME [xrfb run argument]...
run_to_end() {
	local name=$1
	shift
	t_spawn "$name" "$XRFB" run "$@"
	t_wait_exit "$T_LAST_PID" "$T_TIMEOUT" ||
		t_fail "$name: xrfb run did not end"
}

# The session: an xterm that reads a status; xdotool types it in.
cat >"$T_DIR/gui.sh" <<'GUI'
#!/bin/sh
# $1: the status to type, $2: where the xterm leaves what it read
rm -f "$2"
xterm -geometry 20x3+0+0 -e sh -c "read code; echo \$code >$2.tmp; mv $2.tmp $2" &
xt=$!
win=$(xdotool search --sync --onlyvisible --pid $xt | head -n 1)
[ -n "$win" ] || exit 90
xdotool windowfocus --sync "$win" || exit 91
xdotool type --delay 10 "$1" || exit 92
xdotool key Return || exit 93
wait $xt
[ -s "$2" ] || exit 94
exit "$(cat "$2")"
GUI
chmod +x "$T_DIR/gui.sh"

for code in 0 1 7; do
	t_step "an xterm typed into says $code: xrfb run exits with $code"
	run_to_end "gui-$code" --size 320x240x24 -- \
		timeout "$T_TIMEOUT" "$T_DIR/gui.sh" "$code" "$T_DIR/typed-$code"
	[ "$T_EXIT" -eq "$code" ] ||
		t_fail "xrfb run exited with $T_EXIT, the command with $code"
	[ "$(cat "$T_DIR/typed-$code")" = "$code" ] ||
		t_fail "the xterm did not read what xdotool typed"
done

t_step "CMD has our stdin and stdout, and stdout is CMD's alone"
out=$(echo "to CMD" | "$XRFB" run --size 320x240x24 -- \
	sh -c 'read -r line && echo "CMD read: $line"' 2>"$T_DIR/stdio.err") ||
	t_fail "xrfb run with a pipe failed: $(cat "$T_DIR/stdio.err")"
[ "$out" = "CMD read: to CMD" ] || t_fail "CMD's stdout: '$out'"

t_step "a missing command: 127, a file that is no program: 126"
run_to_end missing --size 320x240x24 -- no-such-command-here
[ "$T_EXIT" -eq 127 ] || t_fail "missing command: status $T_EXIT, not 127"
grep -q "no-such-command-here: command not found" "$T_DIR/missing.log" ||
	t_fail "no word about the missing command"
: >"$T_DIR/not-a-program"
run_to_end noexec --size 320x240x24 -- "$T_DIR/not-a-program"
[ "$T_EXIT" -eq 126 ] || t_fail "not executable: status $T_EXIT, not 126"

t_step "the ready record, NOTIFY_SOCKET, and a viewer through them"
t_spawn notify python3 "$NOTIFY_LISTEN" "$T_DIR/notify.sock" \
	"$T_DIR/notify.out" "$T_TIMEOUT"
notify_pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the notify socket" test -S "$T_DIR/notify.sock"
t_blank_cursor_file
cat >"$T_DIR/paint.sh" <<PAINT
#!/bin/sh
env >"$T_DIR/cmd-env.tmp" && mv "$T_DIR/cmd-env.tmp" "$T_DIR/cmd-env"
# no cursor drawn into the pixels of a viewer without cursor shapes
xsetroot -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" || exit 2
"$XPAINT" pattern 3 || exit 3
exec sleep 600
PAINT
t_spawn ready env NOTIFY_SOCKET="$T_DIR/notify.sock" bash -c \
	'exec "$@" 3>"$0"' "$T_DIR/ready.json" \
	"$XRFB" run --ready-fd 3 --size 400x300x24 -- \
	sh "$T_DIR/paint.sh"
ready_pid=$T_LAST_PID
# The descriptor is closed after the record: a complete line.
t_wait_for "$T_TIMEOUT" "the ready record" \
	bash -c "[ \"\$(tail -c 1 '$T_DIR/ready.json')\" = '' ] && test -s '$T_DIR/ready.json'"
t_log "ready record: $(cat "$T_DIR/ready.json")"
[ "$(t_json "$T_DIR/ready.json" pid)" = "$ready_pid" ] ||
	t_fail "the ready record's pid is not xrfb's"
dpy=$(t_json "$T_DIR/ready.json" display)
sock=$(t_json "$T_DIR/ready.json" unix.0)
XAUTHORITY=$(t_json "$T_DIR/ready.json" xauthority)
export XAUTHORITY
[ "$(t_json "$T_DIR/ready.json" listen)" = "[]" ] ||
	t_fail "run listens on TCP without --port"
[ -S "$sock" ] || t_fail "no Unix socket at $sock"
[ "$(stat -c %a "$sock")" = 600 ] || t_fail "$sock is not private"
control=$(t_json "$T_DIR/ready.json" control)
[ -S "$control" ] || t_fail "the control socket $control is not there"
t_wait_for "$T_TIMEOUT" "the command's environment" test -s "$T_DIR/cmd-env"
grep -qx "DISPLAY=$dpy" "$T_DIR/cmd-env" || t_fail "CMD has another DISPLAY"
grep -qx "XAUTHORITY=$XAUTHORITY" "$T_DIR/cmd-env" ||
	t_fail "CMD has another XAUTHORITY"
! grep -q NOTIFY_SOCKET "$T_DIR/cmd-env" ||
	t_fail "NOTIFY_SOCKET was passed on to CMD"
t_wait_exit "$notify_pid" "$T_TIMEOUT" || t_fail "no notification arrived"
[ "$T_EXIT" -eq 0 ] || t_fail "no READY=1: $(cat "$T_DIR/notify.out")"
grep -q "STATUS=serving $dpy" "$T_DIR/notify.out" ||
	t_fail "no STATUS= with the display: $(cat "$T_DIR/notify.out")"
# the X server needs its cookie: without XAUTHORITY, no access
! env -u XAUTHORITY xwd -display "$dpy" -root -silent >/dev/null 2>&1 ||
	t_fail "the X server of the run lets anyone in"
t_xwd_stable "$dpy" "$T_DIR/ref.xwd"
t_run "libvncclient through the ready record" t_grab --format 32 \
	--encodings "raw copyrect" --compare "$T_DIR/ref.xwd" "$sock"
status=0
t_stop "$ready_pid" || status=$?
[ $status -eq 143 ] || t_fail "SIGTERM: status $status, not 143 (CMD's)"
[ ! -e "$sock" ] || t_fail "the Unix socket is left behind"

t_step "twenty runs side by side"
declare -a pids
for i in $(seq 1 20); do
	# each waits for all the others, so all twenty run at once
	t_spawn "par-$i" "$XRFB" run --size 320x240x24 -- sh -c "
		echo \$DISPLAY >'$T_DIR/par-$i.dpy.tmp'
		mv '$T_DIR/par-$i.dpy.tmp' '$T_DIR/par-$i.dpy'
		n=0
		while [ \$(ls '$T_DIR'/par-*.dpy | wc -l) -lt 20 ] &&
		      [ \$n -lt 1200 ]; do
			sleep 0.1; n=\$((n + 1))
		done
		exit $((i % 6))"
	pids[i]=$T_LAST_PID
done
for i in $(seq 1 20); do
	t_wait_exit "${pids[i]}" 120 || t_fail "run $i did not end"
	[ "$T_EXIT" -eq $((i % 6)) ] ||
		t_fail "run $i exited with $T_EXIT, its command with $((i % 6))"
	[ -s "$T_DIR/par-$i.dpy" ] || t_fail "run $i: no display"
done
dups=$(cat "$T_DIR"/par-*.dpy | sort | uniq -d)
[ -z "$dups" ] || t_fail "displays shared by parallel runs: $dups"

t_pass
