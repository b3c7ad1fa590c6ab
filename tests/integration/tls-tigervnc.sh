#!/bin/bash
# VeNCrypt with TigerVNC's vncviewer: TLSNone, TLSVnc, X509None and
# X509Vnc each show the served display exactly. The X509 types use the
# self-signed certificate xrfb makes on first use in its state directory
# (mode 0600, fingerprint printed at start-up), given to the viewer as its
# CA; a second start reuses it.
. "$(dirname "$0")/../lib.sh"

t_require xwd vncviewer "$XPAINT" tigervncpasswd openssl

# vncviewer keeps its settings and known hosts under $HOME
export HOME=$T_DIR/home
mkdir -p "$HOME"

geometry=800x600x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 5
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
printf 'tlspass1\n' >"$T_DIR/passwd.txt"
printf 'tlspass1\n' | tigervncpasswd -f >"$T_DIR/passwd.vnc"

t_step "the server makes its certificate and prints the fingerprint"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 \
	--password-file "$T_DIR/passwd.txt" \
	--security X509Vnc,TLSVnc,X509None,TLSNone
cert=$XDG_STATE_HOME/xrfb/tls-cert.pem
key=$XDG_STATE_HOME/xrfb/tls-key.pem
[ -f "$cert" ] && [ -f "$key" ] || t_fail "no certificate in $XDG_STATE_HOME"
for f in "$cert" "$key"; do
	[ "$(stat -c %a "$f")" = 600 ] || t_fail "$f is not mode 0600"
done
fpr=$(sed -n 's/^xrfb: its SHA-256 fingerprint: //p' "$XRFB_ERR")
want=$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | sed 's/.*=//')
[ -n "$fpr" ] && [ "$fpr" = "$want" ] ||
	t_fail "printed fingerprint '$fpr', the certificate's is '$want'"
grep -q 'security types in the clear' "$XRFB_ERR" &&
	t_fail "no type in the clear is on, yet one is announced"

for type in TLSNone TLSVnc X509None X509Vnc; do
	t_step "vncviewer with $type"
	t_check_vncviewer "vncviewer $type" "$XRFB_ADDR" "$T_DIR/ref.xwd" \
		"$geometry" 8,8,8 -FullColor -SecurityTypes "$type" \
		-PasswordFile "$T_DIR/passwd.vnc" -X509CA "$cert"
	grep -q "VeNCrypt subtype $type" "$XRFB_ERR" ||
		t_fail "the server did not log subtype $type"
done
grep -q 'TLS (TLS1\.[23])' "$XRFB_ERR" ||
	t_fail "no TLS session was logged"

t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "a second start reuses the certificate"
sum=$(sha256sum "$cert")
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --security X509None
[ "$(sha256sum "$cert")" = "$sum" ] || t_fail "the certificate changed"
grep -q "^xrfb: its SHA-256 fingerprint: $fpr\$" "$XRFB_ERR" ||
	t_fail "another fingerprint the second time"
grep -q 'security types in the clear' "$XRFB_ERR" &&
	t_fail "X509None announced as a type in the clear"
t_check_vncviewer "vncviewer X509None again" "$XRFB_ADDR" "$T_DIR/ref.xwd" \
	"$geometry" 8,8,8 -FullColor -SecurityTypes X509None -X509CA "$cert"
t_xrfb_alive
t_pass
