#!/bin/bash
# A password file's second line (or the second 8 bytes of a vncpasswd
# file) is a view-only password, as in TigerVNC and x11vnc: a viewer
# that gives it sees the display but its keys never reach X (xevents
# records what X delivers), while the first password types. Shown with
# VNC authentication (libvncclient, TigerVNC's vncviewer through a
# 16-byte vncpasswd file) and inside TLS with X509Vnc (libvncclient).
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$XEVENTS" "$XPAINT" tigervncpasswd

t_start_xvfb DPY 640x480x24
t_paint "$DPY" 6
t_spawn xevents "$XEVENTS" -display "$DPY" --text "$T_DIR/typed.txt"
t_wait_for "$T_TIMEOUT" "xevents to map its window" \
	grep -q '^ready' "$T_DIR/xevents.log"
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"

printf 'typist12\nwatcher3\n' >"$T_DIR/passwd.txt"
printf 'typist12\nwatcher3\n' | tigervncpasswd -f >"$T_DIR/passwd.vnc" ||
	t_fail "tigervncpasswd -f failed"
[ "$(stat -c %s "$T_DIR/passwd.vnc")" -eq 16 ] ||
	t_fail "tigervncpasswd wrote no 16-byte password file"
printf 'watcher3\n' | tigervncpasswd -f >"$T_DIR/view.vnc"

# typing KEY ARGS...: a viewer with ARGS types KEY (and waits a little
# so that the key, if let through, is on its way before it leaves)
typing() {
	local key=$1
	shift
	t_grab "$@" --type "$key" --wait-ms 300 "$XRFB_ADDR"
}

# view_checks ARGS...: the view-only password sees the display and types
# in vain, then the password types; X delivers keys in order, so the
# viewer's key would have come first
view_checks() {
	: >"$T_DIR/typed.txt"
	t_run "view-only password, display" t_grab "$@" --password watcher3 \
		--encodings "raw copyrect" --compare "$T_DIR/ref.xwd" \
		"$XRFB_ADDR"
	t_run "view-only password types" typing v "$@" --password watcher3
	t_run "password types" typing a "$@" --password typist12
	t_wait_for "$T_TIMEOUT" "the typed key" grep -q a "$T_DIR/typed.txt"
	[ "$(cat "$T_DIR/typed.txt")" = a ] ||
		t_fail "a view-only key reached X: '$(cat "$T_DIR/typed.txt")'"
	t_run_fails "another password" 4 t_grab "$@" --password watcher4 \
		"$XRFB_ADDR"
}

t_step "text file, VNC authentication"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --security VncAuth \
	--password-file "$T_DIR/passwd.txt"
grep -q 'second password lets clients watch only' "$XRFB_ERR" ||
	t_fail "the view-only password was not announced"
view_checks
grep -q 'view-only password$' "$XRFB_ERR" ||
	t_fail "the server did not log the view-only login"
t_stop "$XRFB_PID" || true

t_step "vncpasswd file of 16 bytes, X509Vnc"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --security X509Vnc \
	--password-file "$T_DIR/passwd.vnc"
cert=$XDG_STATE_HOME/xrfb/tls-cert.pem
out=$(t_run "libvncclient X509Vnc" t_grab --info --password typist12 \
	--x509-ca "$cert" "$XRFB_ADDR")
grep -q ' security 19 subtype 261 ' <<<"$out" ||
	t_fail "libvncclient did not use X509Vnc"
view_checks --x509-ca "$cert"
t_stop "$XRFB_PID" || true

t_step "vncviewer with the view-only vncpasswd file"
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY" --listen 127.0.0.1 --security VncAuth \
	--password-file "$T_DIR/passwd.vnc"
t_check_vncviewer "vncviewer with the view-only password" "$XRFB_ADDR" \
	"$T_DIR/ref.xwd" 640x480x24 8,8,8 -FullColor -SecurityTypes VncAuth \
	-PasswordFile "$T_DIR/view.vnc"
grep -q 'view-only password$' "$XRFB_ERR" ||
	t_fail "vncviewer did not log in with the view-only password"

t_xrfb_alive
t_pass
