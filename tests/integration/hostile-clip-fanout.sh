#!/bin/bash
# Clipboard fan-out to viewers that never read. Six viewers stop reading
# (a tiny receive buffer); client A then sets 40 clipboards of 900 KiB.
# A viewer that does not read is owed the newest text instead of being
# queued every one, and the text queued is one buffer shared by all of
# them: the server's peak memory stays far below six times 40 copies,
# and the good viewer keeps getting updates.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"
. "$(dirname "$0")/../lib-hostile.sh"

t_require "$RFB_EXT"
h_start --log-level info --viewer-clipboard-max 1M

t_step "six viewers that stop reading"
for ((i = 0; i < 6; i++)); do
	h_hostile_start "S$i" --rcvbuf 4096 "$XRFB_ADDR" stall
done
d_ext_start A
t_cmd_ok A sync
before=$(h_peak_kb)

t_step "client A sets 40 clipboards of 900 KiB"
head -c $((700 * 1024)) /dev/urandom | base64 -w 0 | head -c $((900 * 1024)) \
	>"$T_DIR/t0.txt"
sed 's/^./X/' "$T_DIR/t0.txt" >"$T_DIR/t1.txt"
for ((i = 0; i < 40; i++)); do
	t_cmd A clip-offer "$T_DIR/t$((i % 2)).txt" >/dev/null ||
		t_fail "A: $T_REPLY"
	t_cmd A sync >/dev/null || t_fail "A: $T_REPLY"
done
h_good_flows
t_xrfb_alive
after=$(h_peak_kb)
t_log "peak memory ${before} KiB before, ${after} KiB after"
# queued one copy per viewer per change, that is over 200 MiB
[ $((after - before)) -lt $((48 * 1024)) ] ||
	t_fail "peak memory grew by $(((after - before) / 1024)) MiB"
t_pass
