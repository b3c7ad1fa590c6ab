#!/bin/bash
# noVNC in headless Chromium logs in with a user name and password that
# xrfb checks with PAM (a private service through pam_wrapper and
# pam_matrix, as in pam.sh): Debian's noVNC 1.3 with VeNCrypt's Plain
# subtype, and the npm release (1.7) with RSA-AES RA2ne, which asks for
# a user name too (subtype 1); the page is on http://127.0.0.1, a secure
# context, as RA2ne's WebCrypto needs. The server key's fingerprint noVNC
# is shown equals the one xrfb printed; a wrong password is refused; each
# canvas equals xwd -root pixel for pixel (Hextile, lossless). Then noVNC
# 1.7 with RA2ne again, asked for the password alone (subtype 2) from a
# password file.
. "$(dirname "$0")/../lib.sh"
. "$XRFB_TOP_SRCDIR/tests/browser/browser.sh"

tb_setup
t_pam_require
t_require "$XPAINT"

echo "alice:wonder1:xrfbtest" >"$T_DIR/passdb"
for kind in auth account; do
	echo "$kind required $PAM_MATRIX passdb=$T_DIR/passdb"
done >"$T_DIR/pam.d/xrfbtest"

W=640
H=480
t_start_xvfb DPY ${W}x${H}x24
t_paint "$DPY" 21
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
# RA2ne first: noVNC 1.7 takes the server's first type it knows; 1.3
# knows no RSA-AES and takes VeNCrypt
t_start_xrfb_pam --display "$DPY" --listen 127.0.0.1 --web "$TB_WEB" \
	--pam-service xrfbtest --security RA2ne,Plain
fp=$(sed -n 's/^xrfb: its fingerprint (as TigerVNC shows it): \([0-9a-f-]*\)$/\1/p' \
	"$XRFB_ERR")
[ -n "$fp" ] || t_fail "xrfb printed no RSA-AES fingerprint"
tb_serve "$XRFB_PORT"
tb_start_chromium
tb_driver_start

t_step "noVNC 1.7, RA2ne with a user name and password"
tb_cmd_ok open npm hextile alice wonder1
[[ $TB_REPLY == *" security=6 "* ]] || t_fail "noVNC 1.7 did not use RA2ne"
[[ $TB_REPLY == *" fingerprint=$fp"* ]] ||
	t_fail "noVNC was shown another key than xrfb's $fp"
tb_cmd_ok match "$T_DIR/ref.xwd"
grep -q 'user "alice" authenticated$' "$XRFB_ERR" ||
	t_fail "xrfb did not log alice's login"
tb_cmd_ok disconnect
tb_cmd open npm hextile alice wonder2 &&
	t_fail "noVNC 1.7 got in with a wrong password"
t_log "a wrong password: $TB_REPLY"
grep -q 'user "alice" refused$' "$XRFB_ERR" ||
	t_fail "xrfb did not log the refusal"

t_step "noVNC 1.3, VeNCrypt Plain"
tb_cmd_ok open debian hextile alice wonder1
tb_cmd_ok match "$T_DIR/ref.xwd"
# (1.3 does not keep the type it chose: xrfb's log says it)
grep -q 'VeNCrypt subtype Plain$' "$XRFB_ERR" ||
	t_fail "noVNC 1.3 did not use VeNCrypt Plain"
[ "$(grep -c 'user "alice" authenticated$' "$XRFB_ERR")" -eq 2 ] ||
	t_fail "xrfb did not log alice's second login"
tb_cmd_ok disconnect
tb_cmd open debian hextile alice wonder2 &&
	t_fail "noVNC 1.3 got in with a wrong password"
t_log "a wrong password: $TB_REPLY"

t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "noVNC 1.7, RA2ne with the password file's password"
printf 'phrase-7x\n' >"$T_DIR/passwd"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --web "$TB_WEB" \
	--password-file "$T_DIR/passwd" --security RA2ne
tb_serve "$XRFB_PORT"
tb_cmd_ok base "$TB_BASE"
tb_cmd_ok open npm hextile - phrase-7x
[[ $TB_REPLY == *" security=6 "* ]] || t_fail "noVNC 1.7 did not use RA2ne"
tb_cmd_ok match "$T_DIR/ref.xwd"
t_xrfb_alive
t_pass
