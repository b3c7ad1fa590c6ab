#!/bin/bash
# The Plain VeNCrypt types check a user name and password with PAM, here
# a private service through Debian's pam_wrapper (LD_PRELOADed into xrfb
# only) and its pam_matrix module, which reads a file: no system file is
# touched. TigerVNC's viewer logs in with TLSPlain and X509Plain (the
# generated certificate as its CA) and shows the display exactly;
# libvncclient logs in with X509Plain; the RSA-AES types ask for a user
# name and password (subtype 1), which the viewer written from the
# specification (tests/tools/ra2-client.py) gives with RA2_256 and RA2ne;
# a wrong password, an unknown user and a user not in --users are
# refused; a --view-only-users user sees the desktop but cannot type
# (libvncclient with X509Plain and the RSA-AES viewer).
. "$(dirname "$0")/../lib.sh"

t_require xwd vncviewer "$VNC_GRAB" "$XEVENTS" "$XPAINT"
t_pam_require
cat >"$T_DIR/passdb" <<EOT
alice:wonder1:xrfbtest
carol:viewonly2:xrfbtest
bob:builder3:xrfbtest
EOT
for kind in auth account; do
	echo "$kind required $PAM_MATRIX passdb=$T_DIR/passdb"
done >"$T_DIR/pam.d/xrfbtest"

geometry=640x480x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 9
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb_pam --display "$DPY" --listen 127.0.0.1 \
	--pam-service xrfbtest --users alice --view-only-users carol
grep -q '^xrfb: security types (encrypted): RA2_256, RA2, X509Plain, TLSPlain$' \
	"$XRFB_ERR" && grep -q '^xrfb: security types in the clear: RA2ne_256, RA2ne$' \
	"$XRFB_ERR" || t_fail "not the default types with PAM"
cert=$XDG_STATE_HOME/xrfb/tls-cert.pem

for type in TLSPlain X509Plain; do
	t_step "vncviewer with $type"
	VNC_USERNAME=alice VNC_PASSWORD=wonder1 t_check_vncviewer \
		"vncviewer $type" "$XRFB_ADDR" "$T_DIR/ref.xwd" "$geometry" \
		8,8,8 -FullColor -SecurityTypes "$type" -X509CA "$cert"
done
[ "$(grep -c 'user "alice" authenticated$' "$XRFB_ERR")" -eq 2 ] ||
	t_fail "the server did not log alice's two logins"

t_step "libvncclient with X509Plain, and refusals"
out=$(t_run "libvncclient alice" t_grab --info --user alice \
	--password wonder1 --x509-ca "$cert" --encodings "raw copyrect" \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR")
grep -q ' security 19 subtype 262 ' <<<"$out" ||
	t_fail "libvncclient did not use X509Plain"
t_run_fails "a wrong password" 4 t_grab --user alice --password wonder2 \
	--x509-ca "$cert" "$XRFB_ADDR"
t_run_fails "an unknown user" 4 t_grab --user mallory --password wonder1 \
	--x509-ca "$cert" "$XRFB_ADDR"
t_run_fails "a user not in --users" 4 t_grab --user bob \
	--password builder3 --x509-ca "$cert" "$XRFB_ADDR"

t_step "a view-only user sees but cannot type"
t_spawn xevents "$XEVENTS" -display "$DPY" --text "$T_DIR/typed.txt"
t_wait_for "$T_TIMEOUT" "xevents to map its window" \
	grep -q '^ready' "$T_DIR/xevents.log"
: >"$T_DIR/typed.txt"
t_run "carol types" t_grab --user carol --password viewonly2 \
	--x509-ca "$cert" --type v --wait-ms 300 "$XRFB_ADDR"
grep -q 'user "carol" authenticated (view only)' "$XRFB_ERR" ||
	t_fail "carol was not let in as a viewer"
t_run "alice types" t_grab --user alice --password wonder1 \
	--x509-ca "$cert" --type a --wait-ms 300 "$XRFB_ADDR"
# X delivers injected keys in order: carol's would have come first
t_wait_for "$T_TIMEOUT" "alice's key" grep -q a "$T_DIR/typed.txt"
[ "$(cat "$T_DIR/typed.txt")" = a ] ||
	t_fail "a view-only user's key reached X: '$(cat "$T_DIR/typed.txt")'"

t_step "RSA-AES with a user name and password"
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"	# xevents' window is up now
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import Cryptodome' 2>/dev/null; then
	ra2() {
		timeout "$T_TIMEOUT" "$PY" \
			"$XRFB_TOP_SRCDIR/tests/tools/ra2-client.py" \
			"$XRFB_ADDR" --timeout "$T_TIMEOUT" "$@"
	}
	for t in 129 6; do
		out=$(t_run "type $t, alice" ra2 --type "$t" --user alice \
			--password wonder1 --out "$T_DIR/ra2-$t.ppm")
		echo "$out"
		grep -qx "subtype 1" <<<"$out" ||
			t_fail "with PAM the RSA-AES subtype must be 1"
		t_same "type $t update" "$T_DIR/ra2-$t.ppm" "$T_DIR/ref.xwd"
		t_run_fails "type $t, a wrong password" 3 ra2 --type "$t" \
			--user alice --password wonder2
		t_run_fails "type $t, a user not in --users" 3 ra2 \
			--type "$t" --user bob --password builder3
		t_run_fails "type $t, no user name" 3 ra2 --type "$t" \
			--password wonder1
	done
	: >"$T_DIR/typed.txt"
	t_run "RA2 carol types" ra2 --type 5 --user carol \
		--password viewonly2 --key v
	t_run "RA2 alice types" ra2 --type 5 --user alice \
		--password wonder1 --key a
	t_wait_for "$T_TIMEOUT" "alice's key" grep -q a "$T_DIR/typed.txt"
	[ "$(cat "$T_DIR/typed.txt")" = a ] ||
		t_fail "RA2: a view-only user's key reached X"
else
	t_log "python3-pycryptodome is missing: RSA-AES not tried"
	[ -z "$CI" ] || t_fail "CI=true: python3-pycryptodome is missing"
fi
t_xrfb_alive
t_pass
