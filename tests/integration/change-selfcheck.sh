#!/bin/bash
# Damage that checks itself. On a colour-mapped display, storing a new
# colour in a colour map cell changes every pixel of that value on the
# screen, and XDamage reports nothing: the server's sampled comparison
# must notice, say once that it polls from now on, and the client must
# get the new colours anyway.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-change.sh"

t_require xwd "$VNC_GRAB" "$XCOLORMAP"

t_start_xvfb DPY 640x480x8
t_cmdproc_start cm cm "$XCOLORMAP" -display "$DPY"
read -r -t "$T_TIMEOUT" reply <&"${T_GRAB_OUT[cm]}" ||
	t_fail "xcolormap did not start"
[[ $reply == ok* ]] || t_fail "xcolormap: $reply"
t_start_xrfb --display "$DPY"
grep -q 'XDamage, self-checked' "$XRFB_ERR" ||
	t_fail "no log line saying XDamage is used"
t_grab_start g --format 32 "$XRFB_ADDR"
t_expect_match "$DPY" g

t_step "a colour map change, which XDamage does not report"
t_xm cm colour ff8000
t_expect_match "$DPY" g
grep 'did not report a change' "$XRFB_ERR" ||
	t_fail "the self-check did not log the switch to polling"
[ "$(grep -c 'did not report a change' "$XRFB_ERR")" -eq 1 ] ||
	t_fail "the switch to polling was logged more than once"

t_step "later changes arrive by polling"
t_xm cm colour 00ff40
t_expect_match "$DPY" g
t_xrfb_alive
t_pass
