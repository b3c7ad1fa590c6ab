#!/bin/bash
# A misbehaving peer can only ever cost its own connection: garbage
# instead of a version, an unknown message type, a SetEncodings count
# beyond the limit, a pixel format RFB does not allow, a message cut off
# by a disconnect, a flood of half-open connections. Each such connection
# is closed (or, for a peer that goes away, dropped), while a client
# connected all along keeps receiving changes and the server keeps
# running. A cut text longer than the limit is skipped as it arrives and
# its viewer stays; a request far outside the framebuffer is legal and is
# clipped, not punished.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$RFB_PROBE" "$XPAINT"

t_start_xvfb DPY 640x480x24
t_paint "$DPY" 40
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY"
t_grab_start good --format 16 --encodings "raw copyrect" "$XRFB_ADDR"
t_cmd_ok good match "$T_DIR/ref.xwd"

seed=40
# after each misbehaving peer: the good client still gets a change
good_still_works() {
	seed=$((seed + 1))
	t_xrfb_alive
	t_paint "$DPY" "$seed"
	t_xwd_stable "$DPY" "$T_DIR/ref$seed.xwd"
	t_cmd_ok good match "$T_DIR/ref$seed.xwd"
}

# bad "what" rfb-probe-option...: the server must close that connection
bad() {
	local what=$1
	shift
	t_step "$what"
	t_run "$what: the server closes the connection" \
		"$RFB_PROBE" "$XRFB_ADDR" --expect-close --wait-ms 10000 "$@"
	good_still_works
}

bad "garbage instead of a version" --version-raw 'garbage!!!!\n'
bad "an unknown message type (100)" --send-hex "64 00 00 00 00 00 00 00"
bad "an unknown message type (7, UltraVNC)" --send-hex "07 00 00 00"
bad "SetEncodings with 65535 entries" --send-hex "02 00 ff ff" \
	--send-hex "00 00 00 00"
bad "SetPixelFormat with 24 bits per pixel" \
	--send-hex "00 00 00 00  18 18 00 01 00 ff 00 ff 00 ff 10 08 00 00 00 00"
bad "SetPixelFormat: colour map at 16 bits per pixel" \
	--send-hex "00 00 00 00  10 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
# cut text longer than a viewer may set is skipped as it arrives, with
# one log line, and the viewer stays (src/core/client.c)
t_step "ClientCutText of 4 GiB - 1: skipped, the viewer stays"
t_run "ClientCutText of 4 GiB - 1: the server keeps the connection" \
	"$RFB_PROBE" "$XRFB_ADDR" --expect-open --wait-ms 1000 \
	--send-hex "06 00 00 00 ff ff ff ff" --send-zeros 4096
t_wait_for "$T_TIMEOUT" "the server to log the skipped cut text" \
	grep -q 'cut text of 4294967295 bytes over the .* limit, skipped' \
	"$XRFB_ERR"
good_still_works
bad "garbage after a valid message" --send-hex "05 00 00 10 00 10" \
	--send-hex "ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff"

t_step "a peer that disconnects in the middle of messages"
t_run "half a SetEncodings, then EOF" "$RFB_PROBE" "$XRFB_ADDR" \
	--send-hex "02 00 00 10 00 00 00" --wait-ms 100
t_run "half a ServerInit exchange" "$RFB_PROBE" "$XRFB_ADDR" \
	--stop-after security --wait-ms 100
t_run "gone after the version" "$RFB_PROBE" "$XRFB_ADDR" \
	--stop-after version --wait-ms 100
good_still_works

t_step "many connections that stop in the handshake"
pids=()
for i in $(seq 40); do
	"$RFB_PROBE" "$XRFB_ADDR" --stop-after version --wait-ms 2000 \
		>"$T_DIR/flood-$i.out" 2>&1 &
	pids+=($!)
	T_PIDS+=($!)
done
good_still_works
for p in "${pids[@]}"; do
	t_wait_exit "$p" "$T_TIMEOUT" || t_fail "a probe hangs"
done

t_step "a request far outside the framebuffer is clipped"
t_run "FramebufferUpdateRequest 65535x65535" "$RFB_PROBE" "$XRFB_ADDR" \
	--request-update --expect-update --expect-open --wait-ms 1000
good_still_works

t_grab_stop good
t_xrfb_alive
t_pass
