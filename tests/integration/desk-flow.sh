#!/bin/bash
# Flow control on a slow link. An X application redraws noise 25 times a
# second, far more than the link carries; TigerVNC's vncviewer (which
# uses ContinuousUpdates and Fence) watches through a proxy that passes
# 1 Mbit/s towards the viewer with 20 ms of delay. Typing on the viewer's
# display makes the application paint a marker in a new colour; every
# marker must reach the viewer's screen, and the noise must keep changing
# there. The time from key press to marker on screen is measured and
# printed, as are the bytes the link carried and what waited in the
# server's socket; nothing is asserted on time.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"

t_require xdotool vncviewer "$XDESK" "$THROTTLE_PROXY"

RATE=${DESK_FLOW_RATE:-125000}
t_start_xvfb DPY 640x480x24
t_start_xrfb --display "$DPY" --log-level debug
d_xhelper animate "$XDESK" -display "$DPY" animate 200 150

t_spawn proxy "$THROTTLE_PROXY" --rate "$RATE" --delay-ms 20 "$XRFB_ADDR"
PROXY=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the proxy" grep -q '^port ' "$T_DIR/proxy.log"
PROXY_PORT=$(sed -n 's/^port //p' "$T_DIR/proxy.log")
t_log "proxy on 127.0.0.1:$PROXY_PORT, $RATE bytes/s towards the viewer"

t_start_xvfb VDPY 640x480x24
d_vncviewer viewer "$VDPY" "127.0.0.1:$PROXY_PORT" -FullScreen \
	-RemoteResize=0

pixel() {
	"$XDESK" -display "$VDPY" pixel "$1" "$2" | sed -n 's/^pixel //p'
}
noise_arrived() {
	local p
	p=$(pixel 10 10) && [ -n "$p" ] && [ "$p" != 000000 ]
}
t_step "the viewer shows the animation"
t_wait_for "$T_TIMEOUT" "noise on the viewer's screen" noise_arrived
t_wait_for "$T_TIMEOUT" "vncviewer to turn on continuous updates" \
	grep -q 'continuous updates on' "$XRFB_ERR"

t_step "every key press comes back as a marker on the viewer's screen"
colours=(ff0000 00ff00 0000ff ffff00 ff00ff 00ffff ffffff 804000)
times=()
for ((i = 0; i < 8; i++)); do
	DISPLAY=$VDPY xdotool key a
	# lossy encodings may shift a colour by a few levels
	out=$("$XDESK" -display "$VDPY" wait-pixel 607 447 "${colours[$i]}" \
		$((T_TIMEOUT * 1000)) 24) ||
		t_fail "marker $i (${colours[$i]}) did not arrive: $out"
	ms=${out##* after }
	times+=("$ms")
	t_log "marker $i: $out"
	grep -q "^key [0-9]* ${colours[$i]}\$" "$T_DIR/animate.log" ||
		t_fail "the application saw no key press $i"
done
t_log "key press to marker on the viewer's screen (ms): ${times[*]}"

t_step "the animation keeps arriving"
declare -A seen=()
for ((i = 0; i < T_TIMEOUT * 10 && ${#seen[@]} < 4; i++)); do
	seen[$(pixel 10 10)-$(pixel 100 100)]=1
	sleep 0.1
done
[ ${#seen[@]} -ge 4 ] ||
	t_fail "the viewer's screen stopped changing (${#seen[@]} states)"
t_log "${#seen[@]} different frames seen on the viewer's screen"

t_step "measurements"
kill -USR1 "$PROXY"
t_wait_for "$T_TIMEOUT" "proxy statistics" grep -q '^stats ' "$T_DIR/proxy.log"
t_log "link: $(grep '^stats ' "$T_DIR/proxy.log" | tail -n 1)"
if command -v ss >/dev/null; then
	t_log "queued in xrfb's socket to the proxy: $(ss -tnH state \
		established "( sport = :${XRFB_PORT} )" |
		awk '{ print $2 " bytes" }' | tr '\n' ' ')"
fi
t_log "congestion window cuts: $(grep -c 'window [0-9]* KiB' "$XRFB_ERR");" \
	"last: $(grep -o 'rtt [0-9]* ms (min [0-9]*), window [0-9]* KiB' \
	"$XRFB_ERR" | tail -n 1)"

t_alive "$D_VIEWER_PID" || t_fail "vncviewer exited"
t_xrfb_alive
t_pass
