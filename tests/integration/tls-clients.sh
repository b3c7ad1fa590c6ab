#!/bin/bash
# VeNCrypt with libvncclient (Debian's is built with GnuTLS) and gtk-vnc:
# with a password and the default types (X509Vnc, TLSVnc, VncAuth)
# libvncclient takes X509Vnc when given the generated certificate as its
# CA, and plain VncAuth when it asks for that alone; with anonymous TLS
# only, libvncclient takes TLSNone and gtk-vnc's gvnccapture captures the
# desktop through TLSNone too (gtk-vnc offers only the ANON-DH key
# exchange). Each picture equals the served display exactly.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$XPAINT" "$IMGCMP" gvnccapture pngtopnm

t_start_xvfb DPY 640x480x24
t_paint "$DPY" 7
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
printf 'grabpass\n' >"$T_DIR/passwd.txt"

t_step "a password: RSA-AES, X509Vnc, TLSVnc, VncAuth by default"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 \
	--password-file "$T_DIR/passwd.txt"
grep -q '^xrfb: security types (encrypted): RA2_256, RA2, X509Vnc, TLSVnc$' \
	"$XRFB_ERR" ||
	t_fail "not the default encrypted types"
grep -q '^xrfb: security types in the clear: RA2ne_256, RA2ne, VncAuth$' \
	"$XRFB_ERR" ||
	t_fail "start-up did not say VncAuth leaves the session in the clear"
cert=$XDG_STATE_HOME/xrfb/tls-cert.pem
out=$(t_run "libvncclient X509Vnc" t_grab --info --password grabpass \
	--x509-ca "$cert" --encodings "raw copyrect" \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR")
echo "$out"
grep -q '^connected version 3.8 security 19 subtype 261 ' <<<"$out" ||
	t_fail "libvncclient did not use VeNCrypt X509Vnc"
t_run_fails "libvncclient X509Vnc with a wrong password" 4 \
	t_grab --password grabpasx --x509-ca "$cert" "$XRFB_ADDR"
out=$(t_run "libvncclient VncAuth" t_grab --info --security vnc \
	--password grabpass --encodings "raw copyrect" \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR")
echo "$out"
grep -q '^connected version 3.8 security 2 ' <<<"$out" ||
	t_fail "libvncclient did not use VncAuth"
t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "anonymous TLS: libvncclient and gtk-vnc"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --security TLSNone
out=$(t_run "libvncclient TLSNone" t_grab --info --encodings "hextile" \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR")
echo "$out"
grep -q '^connected version 3.8 security 19 subtype 257 ' <<<"$out" ||
	t_fail "libvncclient did not use VeNCrypt TLSNone"
# gvnccapture takes HOST:DISPLAY, the port being 5900 + DISPLAY
t_run "gvnccapture TLSNone" timeout "$T_TIMEOUT" gvnccapture \
	"127.0.0.1:$((XRFB_PORT - 5900))" "$T_DIR/gvnc.png"
pngtopnm "$T_DIR/gvnc.png" >"$T_DIR/gvnc.ppm" ||
	t_fail "gvnccapture wrote no PNG"
t_run "gvnccapture's picture" "$IMGCMP" "$T_DIR/gvnc.ppm" "$T_DIR/ref.xwd"
[ "$(grep -c 'VeNCrypt subtype TLSNone' "$XRFB_ERR")" -eq 2 ] ||
	t_fail "the server did not see two TLSNone clients"
grep -q 'TLS (TLS1.2)-(ANON-DH' "$XRFB_ERR" ||
	t_fail "gtk-vnc's session did not use ANON-DH"
t_xrfb_alive
t_pass
