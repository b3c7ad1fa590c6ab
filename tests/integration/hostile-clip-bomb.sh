#!/bin/bash
# Small zlib bombs: extended-clipboard provide messages of about 11 KB
# that inflate to 11 MiB. The text comes first in a provide and its size
# before it, so the server inflates the size and the text it announces
# and nothing more: the short text at the start of each bomb is taken
# (an extended viewer E receives it), where inflating everything would
# have judged the whole message over the limit and dropped it. 200 of
# them over 10 connections leave the good viewer's updates flowing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"
. "$(dirname "$0")/../lib-hostile.sh"

t_require "$RFB_EXT"
h_start --log-level info
d_ext_start E
t_cmd_ok E sync

t_step "200 bombs from 10 connections"
cpu0=$(h_cpu_ticks)
pids=()
for ((i = 0; i < 10; i++)); do
	t_spawn "bomb$i" "$RFB_HOSTILE" "$XRFB_ADDR" clip-provide 20 11 \
		"bomb text $i"
	pids+=("$T_LAST_PID")
done
for ((i = 0; i < 10; i++)); do
	t_wait_exit "${pids[$i]}" $((T_TIMEOUT * 2)) ||
		t_fail "bomb client $i did not finish"
	[ "$T_EXIT" -eq 0 ] || t_fail "bomb client $i: $(cat "$T_DIR/bomb$i.log")"
done
t_log "bomb client 0: $(cat "$T_DIR/bomb0.log")"
cpu1=$(h_cpu_ticks)
t_log "server CPU time for the bombs: $(((cpu1 - cpu0) * 1000 / $(getconf CLK_TCK))) ms"

t_step "the text at the start of a bomb was taken"
t_cmd_ok E sync
t_cmd_ok E stats
[[ $T_REPLY =~ \ clip\ ([0-9]+)\  ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] ||
	t_fail "no bomb's text reached the extended viewer: $T_REPLY"
! grep -q 'over the .*limit' "$XRFB_ERR" ||
	t_fail "a bomb was judged whole instead of by its announced size"
h_good_flows
t_xrfb_alive
t_pass
