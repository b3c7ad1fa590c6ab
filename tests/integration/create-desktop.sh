#!/bin/bash
# The default virtual desktop (xrfb --create without --session): a window
# manager that runs and frames the terminal's window, and a background
# that is not black, as a viewer sees them. Then what goes wrong says so
# in one line and leaves no zombie: a window manager that fails at start
# (a stand-in that prints its reason and exits 3), twm alone (its default
# fonts are missing on most systems), and a session program that cannot
# be found.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"

t_require openbox xterm twm xsetroot xprop xwininfo xdotool "$RFB_EXT"

# The background of the default desktop (xsession/session.c).
BACKGROUND=36587a

# XAUTHORITY of xrfb's Xvfb, from the environment of its session (the
# terminal, a child of xrfb), into XAUTH.
find_xauth() {
	local pid
	for pid in $(ps -o pid= --ppid "$XRFB_PID"); do
		XAUTH=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
			sed -n 's/^XAUTHORITY=//p')
		[ -n "$XAUTH" ] && return 0
	done
	return 1
}

# Succeeds when the window manager on $XRFB_DPY announces itself
# (EWMH _NET_SUPPORTING_WM_CHECK on the root window).
wm_announced() {
	DISPLAY=$XRFB_DPY XAUTHORITY=$XAUTH xprop -root \
		_NET_SUPPORTING_WM_CHECK | grep -q 'window id # 0x'
}

# Succeeds when the xterm's window on $XRFB_DPY is mapped with a parent
# other than the root window: a window manager's frame.
terminal_framed() {
	local id root parent
	id=$(DISPLAY=$XRFB_DPY XAUTHORITY=$XAUTH xdotool search --onlyvisible \
		--class xterm 2>/dev/null | head -n 1)
	[ -n "$id" ] || return 1
	root=$(DISPLAY=$XRFB_DPY XAUTHORITY=$XAUTH xwininfo -root |
		sed -n 's/.*Window id: \(0x[0-9a-f]*\).*/\1/p')
	parent=$(DISPLAY=$XRFB_DPY XAUTHORITY=$XAUTH xwininfo -children \
		-id "$id" | sed -n 's/.*Parent window id: \(0x[0-9a-f]*\).*/\1/p')
	[ -n "$parent" ] && [ $((parent)) -ne $((root)) ]
}

# Start xrfb with PATH set to @1 (its session finds its programs there).
#   start_xrfb_path PATH [xrfb option]...
start_xrfb_path() {
	local wrapper=$T_DIR/xrfb-path-$RANDOM
	printf '#!/bin/sh\nPATH=%q exec %q "$@"\n' "$1" "$XRFB" >"$wrapper"
	chmod +x "$wrapper"
	shift
	XRFB=$wrapper t_start_xrfb "$@"
}

# The zombies below xrfb (children, their children...), one per line.
zombies() {
	ps -e -o pid=,ppid=,stat=,args= | awk -v top="$XRFB_PID" '
		{ parent[$1] = $2; stat[$1] = $3; line[$1] = $0 }
		END {
			for (p in parent) {
				q = parent[p]
				while (q != "" && q != top && q > 1)
					q = parent[q]
				if (q == top && stat[p] ~ /^Z/)
					print line[p]
			}
		}'
}

# Fail if a zombie below xrfb stays one: a process that ended a moment
# ago may not be reaped yet (the terminal's shell's children), a lost
# one never is.
has_no_zombies() {
	[ -z "$(zombies)" ]
}
no_zombies() {
	has_no_zombies ||
		t_wait_for "$T_TIMEOUT" "no zombies below xrfb: $(zombies)" \
			has_no_zombies
}

t_step "the default desktop"
t_start_xrfb --create=800x600x24
t_wait_for "$T_TIMEOUT" "the session to start" find_xauth
t_wait_for "$T_TIMEOUT" "the window manager to announce itself" wm_announced
wm=$(DISPLAY=$XRFB_DPY XAUTHORITY=$XAUTH xprop -root _NET_SUPPORTING_WM_CHECK)
wm=${wm##* }
name=$(DISPLAY=$XRFB_DPY XAUTHORITY=$XAUTH xprop -id "$wm" _NET_WM_NAME)
t_log "window manager: $name"
[[ $name == *'"Openbox"'* ]] || t_fail "the window manager is not openbox: $name"
t_wait_for "$T_TIMEOUT" "the terminal's window to be framed" terminal_framed
if grep -q '^xrfb: the window manager' "$XRFB_ERR"; then
	t_fail "xrfb says: $(grep '^xrfb: the window manager' "$XRFB_ERR")"
fi

t_step "a viewer sees the background"
# corners the terminal never covers: it is mapped at 0,0 or placed
# by the window manager, depending on which of them came first
d_ext_start viewer --encodings raw
t_cmd_ok viewer wait-pixel 797 597 "$BACKGROUND"
t_cmd_ok viewer wait-pixel 2 597 "$BACKGROUND"
no_zombies
t_stop "$XRFB_PID" || true

t_step "a window manager that fails at start: one line, no zombie"
mkdir -p "$T_DIR/bin"
printf '#!/bin/sh\necho "openbox: no screen for me today" >&2\nexit 3\n' \
	>"$T_DIR/bin/openbox"
chmod +x "$T_DIR/bin/openbox"
start_xrfb_path "$T_DIR/bin:$PATH" --create=640x480x24
t_wait_for "$T_TIMEOUT" "xrfb to report the window manager" \
	grep -q '^xrfb: the window manager' "$XRFB_ERR"
line=$(grep '^xrfb: the window manager' "$XRFB_ERR")
t_log "$line"
[ "$line" = 'xrfb: the window manager openbox ended with status 3: openbox: no screen for me today' ] ||
	t_fail "unexpected report: $line"
t_wait_for "$T_TIMEOUT" "the session to start" find_xauth
no_zombies
t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "twm alone starts and frames the terminal"
rm -f "$T_DIR/bin/openbox"
for p in Xvfb xsetroot twm xterm; do
	ln -s "$(command -v "$p")" "$T_DIR/bin/$p"
done
start_xrfb_path "$T_DIR/bin" --create=640x480x24
t_wait_for "$T_TIMEOUT" "the session to start" find_xauth
t_wait_for "$T_TIMEOUT" "twm to frame the terminal's window" terminal_framed
t_xrfb_alive
if grep -q '^xrfb: the window manager' "$XRFB_ERR"; then
	t_fail "xrfb says: $(grep '^xrfb: the window manager' "$XRFB_ERR")"
fi
no_zombies
t_stop "$XRFB_PID" || true

t_step "a session program that cannot be found: one line, its status"
t_spawn xrfb-nosuch "$XRFB" --port 0 --create=320x240x24 \
	--session 'no-such-program-xrfb'
pid=$T_LAST_PID
t_wait_exit "$pid" "$T_TIMEOUT" || t_fail "xrfb kept running"
[ "$T_EXIT" -eq 127 ] || t_fail "xrfb exited with $T_EXIT, expected 127"
grep -qx 'xrfb: the session could not start with status 127 (not found): no-such-program-xrfb' \
	"$T_DIR/xrfb-nosuch.log" ||
	t_fail "no clear line about the session: $(cat "$T_DIR/xrfb-nosuch.log")"

t_pass
