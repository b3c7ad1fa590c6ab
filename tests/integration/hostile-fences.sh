#!/bin/bash
# Two SyncNext fence requests back to back: both are answered, in order.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-hostile.sh"

h_start --log-level info
t_step "two SyncNext fences"
h_hostile "fences" "$XRFB_ADDR" fences
[ "$T_REPLY" = "ok fences AB" ] || t_fail "fences: $T_REPLY"
h_good_flows
t_xrfb_alive
t_pass
