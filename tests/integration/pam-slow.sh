#!/bin/bash
# A user name and password check that takes long stalls nobody else: xrfb
# runs PAM on a thread of its own. The private PAM service (pam_wrapper,
# as in pam.sh) holds the check of user "slow" in pam_exec, whose script
# waits on a FIFO until the test writes to it. While it waits, a viewer
# already connected keeps receiving updates, and a second viewer logs in
# (X509Plain) and sees the desktop exactly; only then is the slow check
# let go, and its viewer gets in too. Ordered by events alone: the
# script's mark that it waits, the log lines, the FIFO.
. "$(dirname "$0")/../lib.sh"

PAM_EXEC=${PAM_EXEC:-/usr/lib/x86_64-linux-gnu/security/pam_exec.so}
t_require xwd "$VNC_GRAB" "$XPAINT" timeout
t_pam_require
[ -f "$PAM_EXEC" ] || t_skip "$PAM_EXEC is missing (libpam-modules)"
cat >"$T_DIR/passdb" <<EOT
alice:wonder1:xrfbtest
slow:tortoise4:xrfbtest
EOT
mkfifo "$T_DIR/gate"
# The check of "slow" waits until the test writes to the FIFO (bounded,
# so that nothing outlives a failed test for long).
cat >"$T_DIR/gate.sh" <<EOT
#!/bin/sh
[ "\$PAM_USER" = slow ] || exit 0
: >"$T_DIR/gate-entered"
timeout $((T_TIMEOUT * 2)) cat "$T_DIR/gate" >/dev/null
exit 0
EOT
chmod +x "$T_DIR/gate.sh"
{
	echo "auth requisite $PAM_EXEC quiet $T_DIR/gate.sh"
	echo "auth required $PAM_MATRIX passdb=$T_DIR/passdb"
	echo "account required $PAM_MATRIX passdb=$T_DIR/passdb"
} >"$T_DIR/pam.d/xrfbtest"

geometry=480x360x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 4
t_xwd_stable "$DPY" "$T_DIR/ref1.xwd"
t_start_xrfb_pam --display "$DPY" --listen 127.0.0.1 \
	--pam-service xrfbtest --security X509Plain
cert=$XDG_STATE_HOME/xrfb/tls-cert.pem
creds=(--x509-ca "$cert" --encodings "raw copyrect")

t_step "a viewer logs in"
t_grab_start watcher --user alice --password wonder1 "${creds[@]}" \
	"$XRFB_ADDR"
t_cmd_ok watcher match "$T_DIR/ref1.xwd"

t_step "the check of a second viewer is held in PAM"
t_spawn slow "$VNC_GRAB" --timeout-ms $((T_TIMEOUT * 3000)) --user slow \
	--password tortoise4 "${creds[@]}" --wait-ms 100 "$XRFB_ADDR"
slow_pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "PAM to hold the check of \"slow\"" \
	test -e "$T_DIR/gate-entered"

t_step "meanwhile the first viewer gets updates"
t_paint "$DPY" 14
t_xwd_stable "$DPY" "$T_DIR/ref2.xwd"
t_cmd_ok watcher match "$T_DIR/ref2.xwd"

t_step "meanwhile a third viewer logs in"
t_run "alice logs in" t_grab --user alice --password wonder1 \
	"${creds[@]}" --compare "$T_DIR/ref2.xwd" "$XRFB_ADDR"
[ "$(grep -c 'user "alice" authenticated$' "$XRFB_ERR")" -eq 2 ] ||
	t_fail "the server did not log alice's two logins"
! grep -q 'user "slow"' "$XRFB_ERR" ||
	t_fail "the check of \"slow\" ended before the gate was opened"
t_alive "$slow_pid" || t_fail "the held viewer gave up"

t_step "the held check ends"
echo go >"$T_DIR/gate"
t_wait_exit "$slow_pid" "$T_TIMEOUT" || t_fail "the held viewer hangs"
[ "$T_EXIT" -eq 0 ] || t_fail "the held viewer failed ($T_EXIT)"
grep -q 'user "slow" authenticated$' "$XRFB_ERR" ||
	t_fail "the server did not log the held login"
t_cmd_ok watcher match "$T_DIR/ref2.xwd"
t_grab_stop watcher
t_xrfb_alive
t_pass
