#!/bin/bash
# Password guessing is slowed per source address: five wrong passwords
# from 127.0.0.1 are answered "failed"; the sixth attempt from there is
# refused before authentication with "Too many security failures" (one
# log line each) while 127.0.0.2, another host to the server, still logs
# in at once; the refusal ends (its first period is made short here with
# XRFB_AUTH_BAN_MS) and the right password works again. Connections that
# merely come and go count for nothing. A client that connects and sends
# nothing is closed after --handshake-timeout. At most 16 connections
# from one address may wait in their handshake; another address still
# gets in then.
. "$(dirname "$0")/../lib.sh"

t_require "$RFB_PROBE" "$XPAINT"

t_start_xvfb DPY 320x240x24
printf 'rightpw1\n' >"$T_DIR/passwd.txt"
# long enough that the steps below happen inside it on a loaded machine
ban_ms=8000
XRFB_AUTH_BAN_MS=$ban_ms t_start_xrfb --display "$DPY" --listen 0.0.0.0 \
	--security VncAuth --password-file "$T_DIR/passwd.txt" \
	--handshake-timeout 2
addr=127.0.0.1:$XRFB_PORT

t_step "connections that come and go are not failures"
for i in 1 2 3 4 5 6 7; do
	t_run "connect and leave ($i)" "$RFB_PROBE" "$addr" \
		--stop-after version --wait-ms 1 >/dev/null || true
done

t_step "five wrong passwords are answered 'failed'"
for i in 1 2 3 4 5; do
	t_run "wrong password $i" "$RFB_PROBE" "$addr" --security 2 \
		--password wrongpw --expect-result 1 --expect-close >/dev/null
done
grep -q "127.0.0.1 refused for 8 s" "$XRFB_ERR" ||
	t_fail "the fifth failure did not start a refusal"

t_step "the sixth attempt is refused, another address gets in"
out=$(t_run "sixth attempt" "$RFB_PROBE" "$addr" --security 2 \
	--password rightpw1 --expect-failure)
echo "$out"
grep -q 'Too many security failures' <<<"$out" ||
	t_fail "the refusal did not give the reason"
TOOL_SOURCE=127.0.0.2 t_run "127.0.0.2, right password" "$RFB_PROBE" \
	"127.0.0.2:$XRFB_PORT" --security 2 --password rightpw1 \
	--expect-result 0 >/dev/null
[ "$(grep -c 'refused: Too many security failures' "$XRFB_ERR")" -eq 1 ] ||
	t_fail "not one log line for the refused attempt"

t_step "the refusal ends"
t_wait_for $((T_TIMEOUT)) "the refusal to end" \
	"$RFB_PROBE" "$addr" --security 2 --password rightpw1 --expect-result 0

t_step "a client that sends nothing is closed after the timeout"
exec {silent}<>/dev/tcp/127.0.0.1/"$XRFB_PORT"
t_wait_for "$T_TIMEOUT" "the silent client to be closed" \
	grep -q 'no complete handshake within 2000 ms' "$XRFB_ERR"
exec {silent}>&-
t_xrfb_alive
t_stop "$XRFB_PID" || true

t_step "at most 16 connections from one address wait in the handshake"
t_start_xrfb --display "$DPY" --listen 0.0.0.0 --security VncAuth \
	--password-file "$T_DIR/passwd.txt"
addr=127.0.0.1:$XRFB_PORT
fds=()
for i in $(seq 16); do
	exec {fd}<>/dev/tcp/127.0.0.1/"$XRFB_PORT"
	fds+=("$fd")
	# each is heard before the next (its ProtocolVersion arrives)
	read -r -t "$T_TIMEOUT" -u "$fd" line || t_fail "connection $i silent"
done
exec {fd}<>/dev/tcp/127.0.0.1/"$XRFB_PORT"
if read -r -t "$T_TIMEOUT" -u "$fd" line; then
	t_fail "a 17th waiting connection was served: $line"
fi
exec {fd}>&-
grep -q 'too many connections waiting to authenticate' "$XRFB_ERR" ||
	t_fail "the refused connection was not logged"
TOOL_SOURCE=127.0.0.2 t_run "127.0.0.2 meanwhile" "$RFB_PROBE" \
	"127.0.0.2:$XRFB_PORT" --security 2 --password rightpw1 \
	--expect-result 0 >/dev/null
for fd in "${fds[@]}"; do
	exec {fd}>&-
done
t_xrfb_alive
t_pass
