#!/bin/bash
# VNC authentication (RFC 6143 7.2.2) with --password-file, as a text file
# and as a vncpasswd (obfuscated) file: the right password lets libvncclient
# (RFB 3.8, 3.7 and 3.3), vncsnapshot and TigerVNC vncviewer in and shows
# the display exactly; a wrong one is refused with SecurityResult "failed"
# (plus a reason in 3.8) and the connection is closed; a client may not
# pick security type None when it is not offered. Failed attempts do not
# disturb a client already connected. Only the first 8 characters of a
# password count.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$RFB_PROBE" "$XPAINT" tigervncpasswd

t_start_xvfb DPY 800x600x24
t_paint "$DPY" 3
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"

printf 'secret12\n' >"$T_DIR/passwd.txt"
printf 'longpass\n' | tigervncpasswd -f >"$T_DIR/passwd.vnc" ||
	t_fail "tigervncpasswd -f failed"
[ "$(stat -c %s "$T_DIR/passwd.vnc")" -eq 8 ] ||
	t_fail "tigervncpasswd wrote no 8-byte password file"
printf 'abcdefgh-and-more\n' >"$T_DIR/passwd.long"

# password_checks PASSWORD WRONG: the server runs with a password file
# holding PASSWORD
password_checks() {
	local pw=$1 wrong=$2 v
	for v in 3.8 3.7 3.3; do
		t_step "RFB $v, right password"
		t_run "libvncclient $v with the right password" \
			t_grab --version "$v" --password "$pw" \
			--encodings "raw copyrect" --compare "$T_DIR/ref.xwd" \
			"$XRFB_ADDR"
		t_step "RFB $v, wrong password"
		t_run_fails "libvncclient $v with a wrong password" 4 \
			t_grab --version "$v" --password "$wrong" "$XRFB_ADDR"
	done

	t_step "the handshake byte by byte"
	out=$(t_run "3.8 right password" "$RFB_PROBE" "$XRFB_ADDR" \
		--password "$pw" --expect-result 0 --request-update \
		--expect-update --expect-open --wait-ms 500)
	echo "$out"
	grep -qx 'security-types 2' <<<"$out" ||
		t_fail "with a password the server must offer VNC auth only"
	out=$(t_run "3.8 wrong password" "$RFB_PROBE" "$XRFB_ADDR" \
		--password "$wrong" --expect-result 1 --expect-close)
	echo "$out"
	grep -q '^reason ' <<<"$out" ||
		t_fail "a 3.8 SecurityResult failure must carry a reason"
	t_run "3.7 wrong password" "$RFB_PROBE" "$XRFB_ADDR" --version 3.7 \
		--password "$wrong" --expect-result 1 --expect-close
	out=$(t_run "3.3 right password" "$RFB_PROBE" "$XRFB_ADDR" \
		--version 3.3 --password "$pw" --expect-result 0 \
		--request-update --expect-update --wait-ms 500)
	echo "$out"
	grep -qx 'security-type 2' <<<"$out" ||
		t_fail "a 3.3 client must be told security type 2"
	t_run "3.3 wrong password" "$RFB_PROBE" "$XRFB_ADDR" --version 3.3 \
		--password "$wrong" --expect-result 1 --expect-close
	t_run "choosing None when it is not offered" "$RFB_PROBE" \
		"$XRFB_ADDR" --security 1 --expect-close
}

t_step "text password file"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --security VncAuth \
	--password-file "$T_DIR/passwd.txt"
t_grab_start watcher --password secret12 --encodings "raw copyrect" \
	"$XRFB_ADDR"
password_checks secret12 secret13
t_step "the connected client still gets changes"
t_paint "$DPY" 13
t_xwd_stable "$DPY" "$T_DIR/ref13.xwd"
t_cmd_ok watcher match "$T_DIR/ref13.xwd"
t_grab_stop watcher
t_paint "$DPY" 3
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "vncpasswd file"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --security VncAuth \
	--password-file "$T_DIR/passwd.vnc"
password_checks longpass longpasx

t_step "vncsnapshot with the right and a wrong password file"
t_check_vncsnapshot "vncsnapshot with password" "$XRFB_ADDR" \
	"$T_DIR/ref.xwd" -encodings "raw copyrect" -passwd "$T_DIR/passwd.vnc"
printf 'longpasx\n' | tigervncpasswd -f >"$T_DIR/wrong.vnc"
t_run_fails "vncsnapshot with a wrong password" any \
	timeout "$T_TIMEOUT" vncsnapshot -quiet -nojpeg -passwd "$T_DIR/wrong.vnc" \
	"127.0.0.1::$XRFB_PORT" "$T_DIR/wrong.jpg"

t_step "TigerVNC vncviewer with the right and a wrong password file"
t_check_vncviewer "vncviewer with password" "$XRFB_ADDR" "$T_DIR/ref.xwd" \
	800x600x24 8,8,8 -FullColor -SecurityTypes VncAuth \
	-PasswordFile "$T_DIR/passwd.vnc"
t_start_xvfb VDPY 320x240x24
t_spawn vncviewer-wrong vncviewer -display "$VDPY" -AlertOnFatalError=0 \
	-ReconnectOnError=0 -SecurityTypes VncAuth \
	-PasswordFile "$T_DIR/wrong.vnc" "127.0.0.1::$XRFB_PORT"
t_wait_exit "$T_LAST_PID" "$T_TIMEOUT" ||
	t_fail "vncviewer with a wrong password did not give up"
# TigerVNC 1.12 exits 0 even then: read what it was told
grep -q 'Authentication failure' "$T_DIR/vncviewer-wrong.log" ||
	t_fail "vncviewer did not report the refused password"
t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "only the first 8 characters count"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --security VncAuth \
	--password-file "$T_DIR/passwd.long"
t_run "the first 8 characters" t_grab --password abcdefgh \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR"
t_run "the whole password" t_grab --password abcdefgh-and-more \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR"
t_run_fails "7 characters" 4 t_grab --password abcdefg "$XRFB_ADDR"

t_xrfb_alive
t_pass
