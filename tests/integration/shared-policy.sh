#!/bin/bash
# The shared flag of ClientInit (RFC 6143 7.3.1) under --shared-policy:
# allow (default) honours it, so an exclusive client disconnects the
# others; always keeps everyone; never makes every new client disconnect
# the others. Whoever stays connected keeps getting updates.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$XPAINT"

t_start_xvfb DPY 400x300x24
t_paint "$DPY" 50
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"

# connected NAME: the client still answers and gets the display
connected() {
	t_cmd "$1" match "$T_DIR/ref.xwd"
}

for policy in allow always never; do
	t_step "--shared-policy $policy"
	t_start_xrfb --display "$DPY" --shared-policy "$policy"
	t_grab_start "s1-$policy" --shared "$XRFB_ADDR"
	t_grab_start "s2-$policy" --shared "$XRFB_ADDR"
	case $policy in
	never)
		# the second shared client already pushed the first out
		t_wait_for "$T_TIMEOUT" "the first client to be disconnected" \
			bash -c "! kill -0 ${T_GRAB_PID[s1-$policy]}"
		connected "s2-$policy" ||
			t_fail "never: the newest client lost: $T_REPLY"
		;;
	*)
		connected "s1-$policy" && connected "s2-$policy" ||
			t_fail "$policy: shared clients lost: $T_REPLY"
		;;
	esac
	t_grab_start "x-$policy" --exclusive "$XRFB_ADDR"
	case $policy in
	always)
		connected "s2-$policy" ||
			t_fail "always: an exclusive client pushed others out"
		;;
	*)
		t_wait_for "$T_TIMEOUT" "the shared client to be disconnected" \
			bash -c "! kill -0 ${T_GRAB_PID[s2-$policy]}"
		;;
	esac
	connected "x-$policy" ||
		t_fail "$policy: the exclusive client lost: $T_REPLY"
	t_xrfb_alive
	for n in "s1-$policy" "s2-$policy" "x-$policy"; do
		t_grab_stop "$n"
	done
	t_stop "$XRFB_PID" || true
done
t_pass
