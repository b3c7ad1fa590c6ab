#!/bin/bash
# A burst of extended-clipboard requests from a viewer that does not read.
# Client A sets a 9 MiB clipboard; client B, with a tiny receive buffer,
# announces the Extended Clipboard (taking text up to 16 MiB) and sends 30
# requests for the text in one write, then never reads. The text is compressed once for all of
# them, and B is owed the rest instead of having 30 copies queued: the
# server's peak memory grows by far less than 30 compressed copies, and
# the good viewer keeps getting updates.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"
. "$(dirname "$0")/../lib-hostile.sh"

t_require "$RFB_EXT"
h_start --log-level debug --viewer-clipboard-max 16M

t_step "client A sets a 9 MiB clipboard (hard to compress)"
head -c $((8 * 1024 * 1024)) /dev/urandom | base64 -w 100 |
	head -c $((9 * 1024 * 1024)) >"$T_DIR/big.txt"
d_ext_start A
t_cmd_ok A clip-offer "$T_DIR/big.txt"
t_wait_for "$T_TIMEOUT" "the text to reach the server" \
	grep -q "client [0-9]*: clipboard, [0-9]* bytes" "$XRFB_ERR"
t_grab_stop A
before=$(h_peak_kb)

t_step "client B: 30 requests in one write, then it stops reading"
h_hostile_start B --rcvbuf 4096 "$XRFB_ADDR" clip-requests 30 0x1000000
# B's burst arrived before G's request: one update later, it is handled
t_cmd_ok G sync
t_cmd_ok G sync
h_good_flows
t_xrfb_alive
after=$(h_peak_kb)
built=$(grep -c 'clipboard provide built' "$XRFB_ERR")
t_log "peak memory ${before} KiB before B, ${after} KiB after;" \
	"provide messages built: $built"
[ "$built" -eq 1 ] ||
	t_fail "the clipboard was compressed $built times, not once"
# 30 compressed copies of this text would be over 200 MiB
[ $((after - before)) -lt $((64 * 1024)) ] ||
	t_fail "peak memory grew by $(((after - before) / 1024)) MiB"
t_pass
