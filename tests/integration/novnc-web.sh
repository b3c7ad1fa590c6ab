#!/bin/bash
# noVNC in headless Chromium connects straight to xrfb, with no proxy:
# the page comes from xrfb's --web, the WebSocket goes to xrfb's RFB port
# (told apart from RFB by the first bytes) or to its --websocket-port.
# For both noVNC trees (Debian's 1.3.0 and the npm release, see
# novnc.sh): the canvas equals xwd -root (Hextile, lossless) on either
# port, also with the page loaded from the WebSocket port; Debian noVNC's
# own vnc.html connects with autoconnect; text typed into the page reaches an
# X client (tests/tools/xevents); a page from another origin (a second
# xrfb on another port serving the same files) is refused and the
# refusal logged; and xrfb with no --web serves Debian's noVNC itself.
. "$(dirname "$0")/../lib.sh"
. "$XRFB_TOP_SRCDIR/tests/browser/browser.sh"

tb_setup
t_require "$XPAINT" "$XEVENTS"

W=640
H=480
t_start_xvfb DPY ${W}x${H}x24
t_paint "$DPY" 71
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --websocket-port 0 \
	--web "$TB_WEB" --log-level debug
RFB_PORT=$XRFB_PORT
RFB_ERR=$XRFB_ERR
WS_PORT=$(sed -n 's/^xrfb: WebSocket on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	"$XRFB_OUT" | head -n 1)
[ -n "$WS_PORT" ] || t_fail "no WebSocket ready line"
tb_serve "$RFB_PORT"
tb_start_chromium
tb_driver_start

for lib in debian npm; do
	tb_view $lib "page and WebSocket on the RFB port" c0ffee
	tb_cmd_ok target "127.0.0.1:$WS_PORT"
	tb_view $lib "page from the RFB port, WebSocket on \
--websocket-port" c0ffee
	tb_cmd_ok base "http://127.0.0.1:$WS_PORT/"
	tb_cmd_ok target -
	tb_view $lib "page and WebSocket on --websocket-port" c0ffee
	tb_cmd_ok base "$TB_BASE"
done
# the npm package is the library alone, without noVNC's page
t_step "Debian's noVNC: its own vnc.html"
tb_cmd_ok ui debian/vnc.html
grep -q 'WebSocket on /websockify, binary frames' "$RFB_ERR" ||
	t_fail "xrfb logged no WebSocket connection"

t_step "typing in the page reaches an X client"
t_spawn xevents "$XEVENTS" -display "$DPY" --text "$T_DIR/typed.txt"
t_wait_for "$T_TIMEOUT" "xevents to map its window" \
	grep -q '^ready' "$T_DIR/xevents.log"
: >"$T_DIR/typed.txt"
tb_cmd_ok open npm hextile
# noVNC sends QEMU key events (scancodes) where it can, so Shift counts
# only when it is pressed, as on a real keyboard: Playwright's type()
# sends "H" without it, hence lower case and an explicit chord
text='hello, world 0123 xyz'
tb_cmd_ok type "$text"
tb_cmd_ok key Shift+KeyA
tb_cmd_ok key Enter
t_wait_for "$T_TIMEOUT" "the typed text to arrive" \
	bash -c '[ "$(cat "$1")" = "$2" ]' _ "$T_DIR/typed.txt" "${text}A"$'\r'
t_log "xevents received: $(cat "$T_DIR/typed.txt")"
tb_cmd_ok disconnect

t_step "a page from another origin is refused"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --web "$TB_WEB"
OTHER_PORT=$XRFB_PORT
tb_cmd_ok base "http://127.0.0.1:$OTHER_PORT/"
tb_cmd_ok target "127.0.0.1:$RFB_PORT"
if tb_cmd open npm hextile; then
	t_fail "a page from 127.0.0.1:$OTHER_PORT connected: $TB_REPLY"
fi
t_log "refused as it must be: $TB_REPLY"
grep -q "WebSocket from origin http://127.0.0.1:$OTHER_PORT refused" \
	"$RFB_ERR" || t_fail "xrfb did not log the refused origin"
tb_cmd_ok target -

t_step "with no --web, xrfb serves Debian's noVNC itself"
t_start_xrfb --display "$DPY" --listen 127.0.0.1
grep -q "^xrfb: web client in $TB_DEBIAN_NOVNC at http://127.0.0.1:$XRFB_PORT/\$" \
	"$XRFB_OUT" || t_fail "no web client ready line for $TB_DEBIAN_NOVNC"
tb_cmd_ok base "http://127.0.0.1:$XRFB_PORT/"
tb_cmd_ok ui vnc.html
t_pass
