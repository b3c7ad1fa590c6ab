#!/bin/bash
# A pointer flood: 50,000 motion events, no button change, in one write.
# Consecutive motion is coalesced to the latest position before it is
# injected: an X client sees a few motion events, not 50,000, and the
# pointer ends where the last event put it; the good viewer keeps getting
# updates.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-hostile.sh"

h_start --log-level info
t_spawn xevents "$XEVENTS" -display "$DPY" --motion --geometry 200x200+0+0
t_wait_for "$T_TIMEOUT" "xevents" grep -q '^ready' "$T_DIR/xevents.log"

t_step "50,000 motion events in one write"
h_hostile "pointer flood" "$XRFB_ADDR" pointer-flood 50000 123 45
t_wait_for "$T_TIMEOUT" "the pointer at the last position" \
	grep -q '^motion 123 45$' "$T_DIR/xevents.log"
h_good_flows
n=$(grep -c '^motion ' "$T_DIR/xevents.log")
t_log "motion events seen by the X client: $n"
[ "$n" -le 5000 ] || t_fail "$n motion events were injected, not coalesced"
[ "$(grep '^motion ' "$T_DIR/xevents.log" | tail -n 1)" = "motion 123 45" ] ||
	t_fail "the pointer did not end at the last position"
t_xrfb_alive
t_pass
