#!/bin/bash
# UltraVNC repeater, mode II: xrfb --repeater waits at a repeater
# (tests/tools/repeater.py, which also checks that the server's 250-byte
# "ID:<id>" block is exact and comes before the RFB greeting) until a
# viewer asks for the same ID. libvncclient's own repeater support
# (vnc-grab --repeater-id) decodes the desktop exactly; when it leaves,
# xrfb goes back to the repeater and a second viewer gets in; when the
# repeater itself goes away and comes back, so does xrfb. ssvnc's viewer
# (-repeater ID:n) shows the desktop too, and x11vnc's
# --connect repeater=ID:n+HOST:PORT form works the same way. With a
# password, a viewer through the repeater must give it.
. "$(dirname "$0")/../lib.sh"

t_require xwd python3 "$XPAINT" "$VNC_GRAB"

REPEATER=$XRFB_TOP_SRCDIR/tests/tools/repeater.py

# Start the repeater (on given ports, or any); sets REPEATER_PID,
# VIEWER_PORT, SERVER_PORT and REPEATER_LOG.
start_repeater() {
	local n=$1
	shift
	REPEATER_LOG=$T_DIR/repeater$n.log
	t_spawn "repeater$n" python3 -u "$REPEATER" "$@"
	REPEATER_PID=$T_LAST_PID
	t_wait_for "$T_TIMEOUT" "the repeater's ports" \
		grep -q '^ports ' "$REPEATER_LOG"
	read -r _ VIEWER_PORT SERVER_PORT < <(grep -m1 '^ports ' "$REPEATER_LOG")
	t_log "repeater (pid $REPEATER_PID): viewers $VIEWER_PORT, servers $SERVER_PORT"
}

# True if @file has at least @count lines matching @pattern.
has_lines() {
	[ "$(grep -c -- "$2" "$1")" -ge "$3" ]
}

# Wait until the repeater has logged @pattern @count times.
wait_repeater() {
	local what=$1 pattern=$2 count=${3:-1}
	t_wait_for "$T_TIMEOUT" "$what" \
		has_lines "$REPEATER_LOG" "$pattern" "$count"
}

check_no_bad_block() {
	if grep -q '^bad' "$REPEATER_LOG"; then
		grep '^bad' "$REPEATER_LOG"
		t_fail "the repeater rejected what it was sent"
	fi
}

geometry=800x600x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 9
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"

t_step "xrfb waits at the repeater; a libvncclient viewer joins by ID"
start_repeater 1
t_start_xrfb --display "$DPY" --repeater "127.0.0.1:$SERVER_PORT" \
	--repeater-id 4711
wait_repeater "xrfb at the repeater" '^server ID:4711 waiting'
t_run "viewer 1 through the repeater" "$VNC_GRAB" \
	--timeout-ms $((T_TIMEOUT * 1000)) --repeater-id 4711 \
	--compare "$T_DIR/ref.xwd" "127.0.0.1:$VIEWER_PORT"
check_no_bad_block
wait_repeater "the first session's end" '^ended ID:4711'

t_step "after the first viewer left, a second one gets in"
wait_repeater "xrfb back at the repeater" '^server ID:4711 waiting' 2
t_run "viewer 2 through the repeater" "$VNC_GRAB" \
	--timeout-ms $((T_TIMEOUT * 1000)) --repeater-id 4711 \
	--encodings "zrle raw" --compare "$T_DIR/ref.xwd" \
	"127.0.0.1:$VIEWER_PORT"
wait_repeater "the second session's end" '^ended ID:4711' 2

t_step "the repeater goes away and comes back"
wait_repeater "xrfb back at the repeater" '^server ID:4711 waiting' 3
t_stop "$REPEATER_PID" || true
t_wait_for "$T_TIMEOUT" "xrfb noticing the repeater left" \
	grep -q "repeater 127.0.0.1:$SERVER_PORT: connection ended" "$XRFB_ERR"
start_repeater 2 "$VIEWER_PORT" "$SERVER_PORT"
wait_repeater "xrfb at the new repeater" '^server ID:4711 waiting'
t_run "viewer 3 through the new repeater" "$VNC_GRAB" \
	--timeout-ms $((T_TIMEOUT * 1000)) --repeater-id 4711 \
	--compare "$T_DIR/ref.xwd" "127.0.0.1:$VIEWER_PORT"
check_no_bad_block
t_xrfb_alive

t_step "x11vnc's form: --connect repeater=ID:n+HOST:PORT"
t_start_xrfb --display "$DPY" \
	--connect "repeater=ID:99+127.0.0.1:$SERVER_PORT"
wait_repeater "the second xrfb at the repeater" '^server ID:99 waiting'
t_run "a viewer for ID 99" "$VNC_GRAB" \
	--timeout-ms $((T_TIMEOUT * 1000)) --repeater-id 99 \
	--compare "$T_DIR/ref.xwd" "127.0.0.1:$VIEWER_PORT"
check_no_bad_block

t_step "with a password, a viewer through the repeater must give it"
# VNC authentication alone: libvncclient would take the encrypted types
# offered first by default, which need certificates this test is not about
t_start_xrfb --display "$DPY" --security VncAuth \
	--password-file "$XRFB_TOP_SRCDIR/tests/data/vncpasswd-secret" \
	--repeater "127.0.0.1:$SERVER_PORT" --repeater-id 7
wait_repeater "the third xrfb at the repeater" '^server ID:7 waiting'
t_run_fails "a viewer without the password" 4 "$VNC_GRAB" \
	--timeout-ms $((T_TIMEOUT * 1000)) --repeater-id 7 \
	--password wrong --compare "$T_DIR/ref.xwd" "127.0.0.1:$VIEWER_PORT"
wait_repeater "xrfb back at the repeater" '^server ID:7 waiting' 2
t_run "a viewer with the password" "$VNC_GRAB" \
	--timeout-ms $((T_TIMEOUT * 1000)) --repeater-id 7 \
	--password secret --compare "$T_DIR/ref.xwd" "127.0.0.1:$VIEWER_PORT"
t_xrfb_alive

if command -v ssvncviewer >/dev/null 2>&1; then
	t_step "ssvnc's viewer through the repeater"
	wait_repeater "xrfb back at the repeater" '^server ID:99 waiting' 2
	t_start_xvfb VDPY "$geometry"
	vxvfb=$T_LAST_PID
	t_spawn ssvncviewer ssvncviewer -display "$VDPY" -viewonly \
		-fullscreen -encodings "zrle raw" -repeater ID:99 \
		"127.0.0.1::$VIEWER_PORT"
	sspid=$T_LAST_PID
	t_wait_display_match "ssvncviewer through the repeater" "$VDPY" \
		"$T_DIR/ref.xwd" --bits 8,8,8
	t_stop "$sspid" || true
	t_stop "$vxvfb" || true
elif [ -n "${CI:-}" ]; then
	t_fail "ssvncviewer is not installed"
fi
check_no_bad_block
t_xrfb_alive
t_pass
