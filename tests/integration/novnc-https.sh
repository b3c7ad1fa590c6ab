#!/bin/bash
# noVNC in headless Chromium over HTTPS and WSS, straight to xrfb: the
# page comes from xrfb's --web over https:// and the WebSocket goes over
# wss:// to the RFB port and to --websocket-port, TLS told apart from
# RFB and plain HTTP by the first byte. The certificate is the
# self-signed one --https makes; Chromium is told to accept exactly its
# public key (--ignore-certificate-errors-spki-list), and curl checks it
# as the CA. For both noVNC trees (Debian's 1.3.0 and the npm release):
# the canvas equals xwd -root (Hextile, lossless) on either port;
# Debian noVNC's own vnc.html, loaded over https://, connects over
# wss:// by itself (autoconnect). On the same port, libvncclient still
# gets RFB, pixel for pixel.
. "$(dirname "$0")/../lib.sh"
. "$XRFB_TOP_SRCDIR/tests/browser/browser.sh"

tb_setup
t_require "$XPAINT" openssl curl

W=640
H=480
t_start_xvfb DPY ${W}x${H}x24
t_paint "$DPY" 37
t_xwd_stable "$DPY" "$T_DIR/ref0.xwd"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --websocket-port 0 \
	--web "$TB_WEB" --https --log-level debug
RFB_PORT=$XRFB_PORT
RFB_ERR=$XRFB_ERR
WS_PORT=$(sed -n 's/^xrfb: WebSocket on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	"$XRFB_OUT" | head -n 1)
[ -n "$WS_PORT" ] || t_fail "no WebSocket ready line"
CERT=$XDG_STATE_HOME/xrfb/tls-cert.pem
[ -f "$CERT" ] || t_fail "--https made no certificate"

# before the browser: a silent client from a browser's address waits
t_step "libvncclient on the same port gets RFB"
t_run "libvncclient" t_grab --encodings "raw" --compare "$T_DIR/ref0.xwd" \
	"$XRFB_ADDR"

tb_serve_https "$RFB_PORT" "$CERT"
SPKI=$(tb_spki "$CERT")
[ -n "$SPKI" ] || t_fail "no SPKI hash of $CERT"
tb_start_chromium --ignore-certificate-errors-spki-list="$SPKI"
tb_driver_start

for lib in debian npm; do
	tb_view $lib "https:// page, wss:// on the RFB port" 0ff1ce
	tb_cmd_ok target "127.0.0.1:$WS_PORT"
	tb_view $lib "https:// page from the RFB port, wss:// on \
--websocket-port" 0ff1ce
	tb_cmd_ok target -
done
n=$(grep -c 'WebSocket on /websockify, binary frames, over TLS' "$RFB_ERR")
[ "$n" -ge 4 ] || t_fail "$n WebSockets over TLS logged, not 4"
grep -q 'WebSocket on /websockify, binary frames$' "$RFB_ERR" &&
	t_fail "a WebSocket in the clear from an https:// page"

t_step "Debian's noVNC: its own vnc.html over https://"
tb_cmd_ok ui debian/vnc.html
[ "$(grep -c 'binary frames, over TLS' "$RFB_ERR")" -gt "$n" ] ||
	t_fail "vnc.html did not connect over wss://"
t_xrfb_alive
t_pass
