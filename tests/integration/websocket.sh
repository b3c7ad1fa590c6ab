#!/bin/bash
# WebSocket and HTTP on xrfb's own listeners, checked by a client written
# from RFC 6455 and RFC 9112 (tests/tools/ws-probe.py):
# - on the RFB port (first bytes decide) and on --websocket-port: files
#   from --web with their content types, several requests on one
#   connection; path traversal, malformed and oversized heads refused
#   with 4xx/505 and closed;
# - the upgrade: Sec-WebSocket-Accept, no subprotocol when none is
#   offered, "binary" echoed, base64 for clients that ask only for it,
#   426/400/403 refusals; RFB through the WebSocket up to ServerInit with
#   the version split in fragments around a Ping (answered) and an
#   unasked Pong (ignored), a 70 KB message in a 64-bit-length frame, a
#   Close answered with the same code; bad frames answered with Close 1002
#   or 1003;
# - origins: our own page's origin, --websocket-origin, others refused;
#   any origin with a password;
# - the RFB port still speaks RFB: to a client that sends its version
#   first, to one that waits, and to libvncclient, pixel for pixel;
#   --websocket-detect 0 makes it RFB only; a Unix socket (--listen
#   unix:) tells them apart the same way; after an address made HTTP
#   requests, a silent connection from it is a browser's spare connection
#   and is still served a file when a request comes a second later.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-web.sh"

t_require python3 xwd "$VNC_GRAB"

W=640
H=480
t_start_xvfb DPY ${W}x${H}x24
t_paint "$DPY" 12
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"

tw_web_root

# the WebSocket listener's port from xrfb's ready line
ws_port() {
	sed -n 's/^xrfb: WebSocket on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
		"$XRFB_OUT" | head -n 1
}

t_start_xrfb --display "$DPY" --listen 127.0.0.1 --websocket-port 0 \
	--web "$WEB" --log-level debug
WS_PORT=$(ws_port)
[ -n "$WS_PORT" ] || t_fail "no WebSocket ready line"
grep -q "^xrfb: web client in $WEB at http://127.0.0.1:$XRFB_PORT/\$" \
	"$XRFB_OUT" || t_fail "no web client ready line"

t_step "the RFB port: HTTP, WebSocket and RFB by the first bytes"
probe --port "$XRFB_PORT" --web "$WEB" --size ${W}x$H \
	rfb-silent rfb-first http-file http-late http-errors ws-refusals \
	ws-rfb ws-binary ws-base64 ws-bad-frames
grep -q "connection, RFB or HTTP? (a browser's address" "$XRFB_ERR" ||
	t_fail "a silent connection after HTTP requests did not wait longer"
t_run "libvncclient on the RFB port" t_grab --encodings "raw" \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR"

t_step "the WebSocket port"
probe --port "$WS_PORT" --web "$WEB" --size ${W}x$H --http-only \
	--origin-ok "http://127.0.0.1:$XRFB_PORT" \
	--origin-ok "http://127.0.0.1:$WS_PORT" \
	--origin-bad "http://127.0.0.1:1" \
	--origin-bad "http://evil.example" \
	--origin-bad "https://127.0.0.1:$XRFB_PORT" \
	--origin-bad "null" \
	http-file http-errors ws-rfb ws-origins ws-bad-frames
t_xrfb_alive
grep -q 'WebSocket from origin http://evil.example refused' "$XRFB_ERR" ||
	t_fail "a refused origin is not logged"

t_step "--websocket-origin, --no-web"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --no-web \
	--websocket-origin https://viewer.example \
	--websocket-origin http://other.example:8080/
probe --port "$XRFB_PORT" --origin-ok https://viewer.example \
	--origin-ok http://other.example:8080 \
	--origin-bad https://viewer.example:444 \
	--origin-bad http://other.example ws-origins
out=$(python3 "$WS_PROBE" --timeout "$T_TIMEOUT" --port "$XRFB_PORT" \
	--web "$WEB" http-file 2>&1) && t_fail "--no-web: files were served"
echo "$out"
[[ $out == *"vnc.html: 404"* ]] || t_fail "--no-web: no 404 for vnc.html"

t_step "a password lets any origin in"
printf 'secret12\n' >"$T_DIR/passwd"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 \
	--password-file "$T_DIR/passwd"
probe --port "$XRFB_PORT" --origin-ok http://evil.example ws-origins

t_step "a Unix socket: HTTP, WebSocket and RFB by the first bytes"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 \
	--listen "unix:$T_DIR/xrfb.sock" --web "$WEB"
probe --unix "$T_DIR/xrfb.sock" --web "$WEB" --size ${W}x$H \
	rfb-first http-file ws-binary ws-base64 ws-bad-frames

t_step "--websocket-detect 0: the RFB port speaks RFB only"
t_start_xrfb --display "$DPY" --websocket-detect 0
out=$(python3 "$WS_PROBE" --timeout 5 --port "$XRFB_PORT" ws-rfb 2>&1) &&
	t_fail "a WebSocket upgrade worked with --websocket-detect 0"
echo "$out"
probe --port "$XRFB_PORT" rfb-silent rfb-first
t_pass
