#!/bin/bash
# An idle desktop costs the server no CPU: with a viewer connected and
# waiting for an update (its request outstanding), and with no viewer at
# all, the server's CPU time over 10 s (user + system, from /proc) must
# stay under 1% of it. The measured values are printed. Then a change
# must still arrive: idling must not mean deaf.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-change.sh"

t_require xwd "$VNC_GRAB" "$XPAINT"

hz=$(getconf CLK_TCK)
# 1% of 10 s in clock ticks
limit=$((hz * 10 / 100))

measure() {
	local what=$1 t0 t1
	t0=$(t_cpu_ticks "$XRFB_PID")
	sleep 10
	t1=$(t_cpu_ticks "$XRFB_PID")
	t_log "$what: $((t1 - t0)) ticks of CPU in 10 s ($hz ticks/s, limit $limit)"
	[ $((t1 - t0)) -lt "$limit" ] ||
		t_fail "$what: the server used $((t1 - t0)) ticks in 10 s"
}

t_start_xvfb DPY 1024x768x24
t_paint "$DPY" 2
t_start_xrfb --display "$DPY"

t_step "no viewer"
measure "idle, no viewer"

t_step "a viewer waiting for an update"
t_grab_start g --format 32 "$XRFB_ADDR"
t_expect_match "$DPY" g
t_cmd_ok g sync
measure "idle, one viewer waiting"

t_step "a change still arrives"
t_run "rect" "$XPAINT" -display "$DPY" rect 100 100 50 50 ff00ff
t_expect_match "$DPY" g
t_xrfb_alive
t_pass
