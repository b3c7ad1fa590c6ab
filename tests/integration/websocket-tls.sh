#!/bin/bash
# HTTPS and WSS on xrfb's own listeners, told apart from RFB and plain
# HTTP by the first byte, checked by tests/tools/ws-probe.py (Python's
# ssl module and a WebSocket client written from RFC 6455):
# - --https makes the self-signed certificate; the ready lines name the
#   https:// address; every connection must present that certificate;
# - on the RFB port and on --websocket-port: files from --web, request
#   errors, the upgrade, RFB through the WebSocket (fragments, Ping,
#   Close, bad frames), base64, origins (https:// pages of our own ports
#   allowed, others refused), and the whole desktop in Raw equal to
#   xwd -root, all inside TLS;
# - the same port still speaks RFB to libvncclient (pixel for pixel) and
#   plain HTTP and WebSocket;
# - a 0x16 followed by nonsense is closed without an answer in the
#   clear; 17 unfinished handshakes from one address: the 17th is
#   refused at once; a half ClientHello is closed by the handshake
#   timeout;
# - without a certificate a 0x16 is not TLS (the port answers RFB);
# - --websocket-unix: a WebSocket-only Unix socket (mode 0600) serves
#   HTTP, WebSocket and WSS, and the desktop through it; curl fetches a
#   file over it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-web.sh"

t_require python3 xwd "$VNC_GRAB" "$IMGCMP" curl

W=640
H=480
t_start_xvfb DPY ${W}x${H}x24
t_paint "$DPY" 23
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"

tw_web_root

# the desktop as ws-probe saved it equals xwd -root
#   desktop_matches WHAT PROBE-ARG...
desktop_matches() {
	local what=$1 ppm=$T_DIR/desktop-$RANDOM.ppm
	shift
	probe --save "$ppm" "$@" ws-desktop
	t_same "$what" "$T_DIR/ref.xwd" "$ppm"
}

t_start_xrfb --display "$DPY" --listen 127.0.0.1 --websocket-port 0 \
	--web "$WEB" --https --websocket-unix "$T_DIR/ws.sock" \
	--log-level debug
WS_PORT=$(sed -n 's/^xrfb: WebSocket on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	"$XRFB_OUT" | head -n 1)
[ -n "$WS_PORT" ] || t_fail "no WebSocket ready line"
CERT=$XDG_STATE_HOME/xrfb/tls-cert.pem
[ -f "$CERT" ] || t_fail "--https made no certificate in $XDG_STATE_HOME"
grep -q "^xrfb: web client also at https://127.0.0.1:$XRFB_PORT/\$" \
	"$XRFB_OUT" || t_fail "no https ready line"
grep -q "^xrfb: WebSocket on unix:$T_DIR/ws.sock\$" "$XRFB_OUT" ||
	t_fail "no ready line for --websocket-unix"

# first, before any HTTP from this address makes a silent client wait
# longer (a browser's spare connection)
t_step "the RFB port still speaks RFB to libvncclient"
t_run "libvncclient on the RFB port" t_grab --encodings "raw" \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR"

t_step "the RFB port: HTTPS and WSS"
probe --tls "$CERT" --port "$XRFB_PORT" --web "$WEB" --size ${W}x$H \
	--origin-ok "https://127.0.0.1:$XRFB_PORT" \
	--origin-ok "https://127.0.0.1:$WS_PORT" \
	--origin-ok "http://127.0.0.1:$XRFB_PORT" \
	--origin-bad "https://127.0.0.1:1" \
	--origin-bad "https://evil.example" \
	http-file http-errors ws-refusals ws-rfb ws-binary ws-base64 \
	ws-bad-frames ws-origins
desktop_matches "WSS on the RFB port" --tls "$CERT" --port "$XRFB_PORT"
grep -q 'WebSocket on /websockify, binary frames, over TLS' "$XRFB_ERR" ||
	t_fail "no WebSocket over TLS logged"
grep -q 'TLS (TLS1\.[23])' "$XRFB_ERR" || t_fail "no TLS session logged"

t_step "the RFB port still speaks plain HTTP and WebSocket"
probe --port "$XRFB_PORT" --web "$WEB" rfb-first http-file ws-binary
desktop_matches "plain WebSocket on the RFB port" --port "$XRFB_PORT"

t_step "the WebSocket port: HTTPS and WSS, and plain"
probe --tls "$CERT" --port "$WS_PORT" --web "$WEB" --size ${W}x$H \
	--http-only --origin-ok "https://127.0.0.1:$WS_PORT" \
	--origin-bad "https://evil.example" \
	http-file http-errors ws-rfb ws-base64 ws-bad-frames ws-origins
desktop_matches "WSS on --websocket-port" --tls "$CERT" --port "$WS_PORT"
probe --port "$WS_PORT" --web "$WEB" --http-only http-file ws-binary

t_step "bad and unfinished TLS"
probe --port "$XRFB_PORT" tls-garbage
probe --port "$WS_PORT" tls-garbage
probe --port "$WS_PORT" tls-limit
grep -q 'too many connections waiting to authenticate' "$XRFB_ERR" ||
	t_fail "the refused handshake was not logged"
t_xrfb_alive
# once those are gone, TLS works again
probe --tls "$CERT" --port "$XRFB_PORT" --web "$WEB" http-file

t_step "--websocket-unix: HTTP, WebSocket and WSS on a Unix socket"
[ "$(stat -c %a "$T_DIR/ws.sock")" = 600 ] ||
	t_fail "the WebSocket socket is not mode 0600"
probe --unix "$T_DIR/ws.sock" --web "$WEB" --http-only \
	http-file http-errors ws-binary ws-base64 ws-bad-frames
desktop_matches "WebSocket on --websocket-unix" --unix "$T_DIR/ws.sock"
desktop_matches "WSS on --websocket-unix" --unix "$T_DIR/ws.sock" \
	--tls "$CERT"
curl -sS --fail --unix-socket "$T_DIR/ws.sock" -o "$T_DIR/curl.html" \
	http://localhost/vnc.html || t_fail "curl over the Unix socket failed"
cmp "$T_DIR/curl.html" "$WEB/vnc.html" || t_fail "curl got another vnc.html"
t_log "curl --unix-socket fetched vnc.html"
t_xrfb_alive

t_step "a half ClientHello is closed by the handshake timeout"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --https \
	--handshake-timeout 1
probe --port "$XRFB_PORT" tls-silent
grep -q 'no TLS handshake within 1000 ms, closing' "$XRFB_ERR" ||
	t_fail "the handshake timeout was not logged"

t_step "without a certificate, 0x16 is not TLS"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --web "$WEB"
grep -q 'https://' "$XRFB_OUT" && t_fail "https announced without a certificate"
out=$(python3 "$WS_PROBE" --timeout 5 --tls "$CERT" --port "$XRFB_PORT" \
	--web "$WEB" http-file 2>&1) && t_fail "TLS worked without a certificate"
echo "$out"
[[ $out == *SSL* ]] || t_fail "not a failed TLS handshake: $out"
t_run "libvncclient" t_grab --encodings "raw" --compare "$T_DIR/ref.xwd" \
	"$XRFB_ADDR"
t_pass
