#!/bin/bash
# Service managers. systemd socket activation: xrfb started the way
# systemd starts it (tests/tools/sd-tool.py: a listening socket as fd 3,
# LISTEN_FDS=1, LISTEN_PID=its pid) serves that socket and no default
# address (one on every address only with a password), and sends READY=1 to NOTIFY_SOCKET once it serves; the same
# under systemd's own systemd-socket-activate. --inetd: xrfb serves the
# one connection on its standard input, over a socketpair, and exits with
# status 0 when the viewer leaves; the same under
# systemd-socket-activate --inetd --accept, with a TCP socket.
. "$(dirname "$0")/../lib.sh"

t_require xwd python3 ss "$XPAINT" "$VNC_GRAB"

SD_TOOL=$XRFB_TOP_SRCDIR/tests/tools/sd-tool.py
geometry=640x480x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 3
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"

t_spawn notify python3 -u "$SD_TOOL" notify-sink "$T_DIR/notify.sock"
t_wait_for "$T_TIMEOUT" "the notify socket" test -S "$T_DIR/notify.sock"

# True once NOTIFY_SOCKET has received more than @n READY=1 messages.
more_ready_than() {
	[ "$(grep -c '^READY=1' "$T_DIR/notify.log")" -gt "$1" ]
}

# The TCP ports process @pid listens on, one per line.
listening_ports() {
	ss -Hltnp | grep "pid=$1," | awk '{ n = split($4, a, ":"); print a[n] }'
}

t_step "started as systemd does: the passed socket, readiness"
NOTIFY_SOCKET=$T_DIR/notify.sock t_spawn xrfb-activated python3 \
	"$SD_TOOL" activate "$T_DIR/port" -- "$XRFB" --display "$DPY"
pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the socket's port" test -s "$T_DIR/port"
port=$(cat "$T_DIR/port")
t_wait_for "$T_TIMEOUT" "READY=1 on NOTIFY_SOCKET" \
	grep -q '^READY=1' "$T_DIR/notify.log"
grep -q "^xrfb: serving $DPY on 127.0.0.1:$port (fd 3)$" \
	"$T_DIR/xrfb-activated.log" || t_fail "no ready line for fd 3"
t_run "vnc-grab on the passed socket" t_grab --compare "$T_DIR/ref.xwd" \
	"127.0.0.1:$port"
ports=$(listening_ports "$pid" | sort -u)
[ "$ports" = "$port" ] ||
	t_fail "xrfb listens on '$ports', not only on the passed $port"
t_stop "$pid" || true

t_step "a passed socket on every address needs a password"
rm -f "$T_DIR/port"
t_run_fails "xrfb on a passed 0.0.0.0 socket" 1 env SD_TOOL_ADDR=0.0.0.0 \
	python3 "$SD_TOOL" activate "$T_DIR/port" -- "$XRFB" --display "$DPY" \
	>"$T_DIR/any.out" 2>&1
grep -q "socket passed as fd 3 (0.0.0.0:[0-9]*) is not a loopback address" \
	"$T_DIR/any.out" || {
	cat "$T_DIR/any.out"
	t_fail "the refusal does not say why"
}

if command -v systemd-socket-activate >/dev/null 2>&1; then
	t_step "under systemd-socket-activate"
	before=$(grep -c '^READY=1' "$T_DIR/notify.log")
	t_spawn_free_port sd-activate "Listening on 127.0.0.1:@PORT@" "" \
		systemd-socket-activate -l "127.0.0.1:@PORT@" \
		-E "NOTIFY_SOCKET=$T_DIR/notify.sock" \
		"$XRFB" --display "$DPY"
	port=$T_PORT
	# xrfb starts with the first connection, which waits in the backlog
	t_run "vnc-grab, starting xrfb" t_grab --compare "$T_DIR/ref.xwd" \
		"127.0.0.1:$port"
	t_wait_for "$T_TIMEOUT" "READY=1 from the activated xrfb" \
		more_ready_than "$before"
	t_run "a second vnc-grab" t_grab --compare "$T_DIR/ref.xwd" \
		"127.0.0.1:$port"
	t_stop "$T_LAST_PID" || true
elif [ -n "${CI:-}" ]; then
	t_fail "systemd-socket-activate is not installed"
fi

t_step "--inetd over a socketpair"
t_spawn inetd python3 -u "$SD_TOOL" inetd "$T_DIR/inetd-port" -- \
	"$XRFB" --inetd --display "$DPY"
pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the inetd bridge's port" test -s "$T_DIR/inetd-port"
t_run "vnc-grab through inetd" t_grab --compare "$T_DIR/ref.xwd" \
	"127.0.0.1:$(cat "$T_DIR/inetd-port")"
t_wait_for "$T_TIMEOUT" "xrfb --inetd exiting" grep -q '^exit ' \
	"$T_DIR/inetd.log"
grep -q '^exit 0$' "$T_DIR/inetd.log" || {
	cat "$T_DIR/inetd.log"
	t_fail "xrfb --inetd did not exit with status 0"
}
grep -q '^xrfb: serving' "$T_DIR/inetd.log" &&
	t_fail "xrfb --inetd printed its ready line into the connection"
t_wait_exit "$pid" || t_fail "the inetd bridge did not exit"

if command -v systemd-socket-activate >/dev/null 2>&1; then
	t_step "--inetd under systemd-socket-activate --inetd --accept"
	t_spawn_free_port sd-inetd "Listening on 127.0.0.1:@PORT@" "" \
		systemd-socket-activate --inetd -a -l "127.0.0.1:@PORT@" \
		"$XRFB" --inetd --display "$DPY"
	port=$T_PORT
	t_run "vnc-grab, one xrfb per connection" t_grab \
		--compare "$T_DIR/ref.xwd" "127.0.0.1:$port"
	t_run "vnc-grab again" t_grab --compare "$T_DIR/ref.xwd" \
		"127.0.0.1:$port"
fi

t_step "--inetd needs a socket on standard input"
t_run_fails "xrfb --inetd on a pipe" 2 "$XRFB" --inetd --display "$DPY" \
	</dev/null
t_pass
