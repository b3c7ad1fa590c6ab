#!/bin/bash
# A client that picks a security type the server did not offer gets the
# failure reason RFB 3.8 allows before the connection closes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-hostile.sh"

h_start --log-level info
t_step "VNC Authentication chosen where only None is offered"
h_hostile "security type 2" "$XRFB_ADDR" sectype 2
[[ $T_REPLY == "ok reason "?* ]] || t_fail "no reason: $T_REPLY"
t_step "an unknown type"
h_hostile "security type 77" "$XRFB_ADDR" sectype 77
h_good_flows
t_xrfb_alive
t_pass
