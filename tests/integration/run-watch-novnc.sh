#!/bin/bash
# The view-only URL of `xrfb run` in a real browser: the ready record's
# "url" (with the run's random view token) opened as it is in headless
# Chromium loads Debian's noVNC (vnc.html, from xrfb) and connects without
# the password; its canvas equals xwd -root. A click and text typed into
# the page, as it is and then with its view-only setting turned off (the
# page then sends them: counted on its WebSocket), never reach X: an X
# client (xevents) gets none of it, while a key of a viewer that gave
# the password, sent after them, arrives. The token is the run's: a
# second page with the URL connects too while the run lasts, and the next
# run refuses it (its page shows the refusal, xrfb logs it).
. "$(dirname "$0")/../lib.sh"
. "$XRFB_TOP_SRCDIR/tests/browser/browser.sh"

tb_setup
t_require "$XPAINT" "$XEVENTS" "$VNC_GRAB" xsetroot xwd

t_blank_cursor_file
echo "watchpw" >"$T_DIR/password"
cat >"$T_DIR/session.sh" <<CMD
#!/bin/sh
xsetroot -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" || exit 2
"$XPAINT" pattern \$1 || exit 3
touch "$T_DIR/painted\$1"
while [ ! -e "$T_DIR/go\$1" ]; do sleep 0.1; done
exit 0
CMD

# Start run @1 (its number); ready record in $T_DIR/ready@1.json.
start_run() {
	t_spawn "run$1" "$XRFB" run --size 400x300x24 --port 0 \
		--websocket-detect 0 --websocket-port 0 --security VncAuth \
		--password-file "$T_DIR/password" \
		--ready-file "$T_DIR/ready$1.json" -- sh "$T_DIR/session.sh" "$1"
	RUN_PID=$T_LAST_PID
	t_wait_for "$T_TIMEOUT" "ready record $1" test -s "$T_DIR/ready$1.json"
	t_wait_for "$T_TIMEOUT" "the painting of run $1" \
		test -e "$T_DIR/painted$1"
}

t_step "xrfb run with a password, the web client and a view token"
start_run 1
run1=$RUN_PID
url=$(t_json "$T_DIR/ready1.json" url)
port=$(t_json "$T_DIR/ready1.json" listen.0.port)
dpy=$(t_json "$T_DIR/ready1.json" display)
XAUTHORITY=$(t_json "$T_DIR/ready1.json" xauthority)
export XAUTHORITY
t_log "the ready record's url: $url"
[[ $url == http://127.0.0.1:*/vnc.html\?*view_only=1*token%3D* ]] ||
	t_fail "not a view-only noVNC URL: $url"
TB_BASE=${url%%vnc.html*}
TB_WEB=$T_DIR/web
tb_start_chromium
tb_driver_start

t_step "Chromium opens the URL: noVNC shows the desktop"
t_spawn xevents "$XEVENTS" -display "$dpy" --geometry 400x300+0+0
t_wait_for "$T_TIMEOUT" "xevents" grep -q '^ready' "$T_DIR/xevents.log"
t_xwd_stable "$dpy" "$T_DIR/ref.xwd"
tb_cmd_ok watch "$url"
tb_cmd_ok watch-match "$T_DIR/ref.xwd"

t_step "clicks and keys in the page do not reach X"
tb_cmd_ok watch-input "aaa"
# noVNC sent key (4, or 255 for QEMU key events) and pointer (5) messages
[[ $TB_REPLY =~ (^| )5:[1-9] ]] || t_fail "the page sent no pointer event"
[[ $TB_REPLY =~ (^| )(4|255):[1-9] ]] || t_fail "the page sent no key event"
# a viewer with the password, after them: its key arrives, alone
t_grab_start K --password watchpw "127.0.0.1:$port"
t_cmd_ok K key b
t_wait_for "$T_TIMEOUT" "the password viewer's key in X" \
	grep -qE '^key press [0-9]+ b ' "$T_DIR/xevents.log"
if grep -E '^button|^key (press|release) [0-9]+ a ' "$T_DIR/xevents.log"; then
	t_fail "the page's input reached X"
fi
t_log "xevents: $(grep -c '^key' "$T_DIR/xevents.log") key lines, none of a button, all from the password viewer"
t_grab_stop K
tb_cmd_ok watch-match "$T_DIR/ref.xwd"

t_step "the URL again while the run lasts: the token is the run's"
tb_cmd_ok watch "$url"
tb_cmd_ok watch-match "$T_DIR/ref.xwd"
tb_cmd_ok watch-close
touch "$T_DIR/go1"
t_wait_exit "$run1" "$T_TIMEOUT" || t_fail "run 1 did not end"
[ "$T_EXIT" = 0 ] || t_fail "run 1 exited with $T_EXIT"

t_step "the next run refuses the first run's token"
start_run 2
run2=$RUN_PID
url2=$(t_json "$T_DIR/ready2.json" url)
ws2=$(sed -n 's|^http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' <<<"$url2")
token1=${url##*token%3D}
token2=${url2##*token%3D}
[ "$token1" != "$token2" ] || t_fail "two runs share a token"
stale=http://127.0.0.1:$ws2/${url#http://127.0.0.1:*/}
tb_cmd_ok watch-refused "$stale"
t_wait_for "$T_TIMEOUT" "xrfb to log the refusal" \
	grep -q 'wrong view token refused' "$T_DIR/run2.log"
tb_cmd_ok watch "$url2"
tb_cmd_ok watch-close
touch "$T_DIR/go2"
t_wait_exit "$run2" "$T_TIMEOUT" || t_fail "run 2 did not end"
t_pass
