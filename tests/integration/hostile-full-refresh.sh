#!/bin/bash
# A viewer that asks for a full, non-incremental update after every
# update. Such requests are coalesced and rate limited per viewer, so
# for four seconds the hog gets a few full frames a second, not as many
# as the CPU can encode, and the good viewer keeps getting updates.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-hostile.sh"

h_start --log-level info

t_step "the hog asks for full updates for 4 s"
t_spawn hog "$RFB_HOSTILE" "$XRFB_ADDR" full-refresh 4
hog=$T_LAST_PID
h_good_flows
h_good_flows
t_wait_exit "$hog" $((T_TIMEOUT * 2)) || t_fail "the hog did not finish"
[ "$T_EXIT" -eq 0 ] || t_fail "hog: $(cat "$T_DIR/hog.log")"
line=$(cat "$T_DIR/hog.log")
t_log "hog: $line"
[[ $line =~ ^ok\ full-updates\ ([0-9]+)\ in ]] || t_fail "hog: $line"
n=${BASH_REMATCH[1]}
# two at once, then four a second (src/core/sched.c), and one more at
# the edge of the window
[ "$n" -le $((2 + 4 * 4 + 1)) ] ||
	t_fail "the hog got $n full updates in 4 s"
h_good_flows
t_xrfb_alive
t_pass
