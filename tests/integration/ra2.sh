#!/bin/bash
# RSA-AES (RA2 5, RA2ne 6, RA2_256 129, RA2ne_256 130): a viewer written
# from the specification (tests/tools/ra2-client.py) completes each type
# and decodes a full Raw update equal to xwd -root; a wrong password is
# refused with a reason; a record with a flipped bit closes the connection
# (in the handshake for every type, in the session for RA2 and RA2_256);
# the server key made on first use is kept (mode 0600, same fingerprint
# after a restart) and the fingerprint printed at start-up is the one the
# viewer computes; --rsa-key reads a PKCS#8 key from openssl.
. "$(dirname "$0")/../lib.sh"

RA2_CLIENT=$XRFB_TOP_SRCDIR/tests/tools/ra2-client.py
PY=/usr/bin/python3
t_require xwd xsetroot "$XPAINT" "$IMGCMP" "$PY"
"$PY" -c 'import Cryptodome' 2>/dev/null ||
	t_skip "python3-pycryptodome is not installed"

ra2() {
	timeout "$T_TIMEOUT" "$PY" "$RA2_CLIENT" "$XRFB_ADDR" \
		--timeout "$T_TIMEOUT" "$@"
}

# The fingerprint xrfb printed at start-up.
server_fingerprint() {
	sed -n 's/^xrfb: its fingerprint (as TigerVNC shows it): \([0-9a-f-]*\)$/\1/p' \
		"$XRFB_ERR"
}

t_start_xvfb DPY 320x240x24
t_blank_cursor "$DPY"
t_paint "$DPY" 5
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
printf 'correct horse battery\n' >"$T_DIR/passwd"

t_step "a key is made in the state directory"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 \
	--password-file "$T_DIR/passwd"
key=$XDG_STATE_HOME/xrfb/rsa-key.pem
[ -f "$key" ] || t_fail "no key in $key"
[ "$(stat -c %a "$key")" = 600 ] || t_fail "$key is not mode 0600"
fp=$(server_fingerprint)
[[ $fp =~ ^([0-9a-f]{2}-){7}[0-9a-f]{2}$ ]] ||
	t_fail "no fingerprint line at start-up: $(cat "$XRFB_ERR")"

for t in 129 5 130 6; do
	t_step "type $t, right password"
	out=$(t_run "type $t" ra2 --type "$t" --password "correct horse battery" \
		--out "$T_DIR/fb$t.ppm")
	echo "$out"
	# RSA-AES first; then VeNCrypt (if built with GnuTLS), VNC auth
	grep -Eqx "security-types 129 5 130 6( 19)? 2" <<<"$out" ||
		t_fail "RSA-AES must be offered first, then VNC auth"
	grep -qx "fingerprint $fp" <<<"$out" ||
		t_fail "the viewer sees another fingerprint than the one printed"
	grep -qx "subtype 2" <<<"$out" || t_fail "subtype must be 2"
	t_same "type $t update" "$T_DIR/fb$t.ppm" "$T_DIR/ref.xwd"

	t_step "type $t, wrong password"
	# Same length and a prefix of it: the whole password counts.
	out=$(t_run_fails "type $t wrong password" 3 ra2 --type "$t" \
		--password "correct horse batterz")
	echo "$out"
	grep -qx "reason Authentication failed" <<<"$out" ||
		t_fail "type $t: no failure reason"
	t_run_fails "type $t prefix of the password" 3 ra2 --type "$t" \
		--password "correct horse"

	t_step "type $t, tampered credentials record"
	out=$(t_run "type $t tampered" ra2 --type "$t" \
		--password "correct horse battery" --tamper credentials)
	grep -qx closed <<<"$out" || t_fail "type $t: tampered record answered"
done

for t in 129 5; do
	t_step "type $t, tampered record in the session"
	out=$(t_run "type $t session tampered" ra2 --type "$t" \
		--password "correct horse battery" --tamper session)
	grep -qx closed <<<"$out" || t_fail "type $t: tampered record answered"
done
t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "the key is kept across restarts"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 \
	--password-file "$T_DIR/passwd"
[ "$(server_fingerprint)" = "$fp" ] ||
	t_fail "the fingerprint changed after a restart"
t_stop "$XRFB_PID" || true

t_step "--rsa-key with a PKCS#8 key"
if command -v openssl >/dev/null; then
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$T_DIR/own.pem" 2>/dev/null || t_fail "openssl genpkey failed"
	t_start_xrfb --display "$DPY" --listen 127.0.0.1 \
		--password-file "$T_DIR/passwd" --rsa-key "$T_DIR/own.pem"
	own=$(server_fingerprint)
	[ -n "$own" ] && [ "$own" != "$fp" ] ||
		t_fail "--rsa-key: wrong fingerprint '$own'"
	out=$(t_run "RA2_256 with --rsa-key" ra2 --type 129 \
		--password "correct horse battery" --out "$T_DIR/own.ppm")
	grep -qx "fingerprint $own" <<<"$out" ||
		t_fail "--rsa-key: the viewer sees another key"
	t_same "--rsa-key update" "$T_DIR/own.ppm" "$T_DIR/ref.xwd"
	t_stop "$XRFB_PID" || true
fi

t_step "a key file that is no key is an error"
echo "not a key" >"$T_DIR/bad.pem"
if "$XRFB" --display "$DPY" --port 0 --listen 127.0.0.1 \
	--password-file "$T_DIR/passwd" --rsa-key "$T_DIR/bad.pem" \
	>"$T_DIR/bad.out" 2>&1; then
	t_fail "xrfb started with a bad --rsa-key"
fi
grep -q "cannot use the RSA key" "$T_DIR/bad.out" ||
	t_fail "no error for a bad --rsa-key: $(cat "$T_DIR/bad.out")"

t_pass
