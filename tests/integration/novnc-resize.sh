#!/bin/bash
# noVNC follows the served display through size changes: while connected,
# the display is shrunk, set to odd sizes and grown back with xrandr; each
# time the canvas must take the new size and equal the display pixel for
# pixel. noVNC ends the connection on a SetColourMapEntries or on a fence
# response it did not ask for, so the connection staying up through all
# of it (and no colour map message counted) is checked after every step.
# Both noVNC trees (see novnc.sh), with a stateful encoding each: ZRLE
# for the npm release, Hextile for Debian's 1.3.0 (no ZRLE decoder).
. "$(dirname "$0")/../lib.sh"
. "$XRFB_TOP_SRCDIR/tests/browser/browser.sh"

tb_setup
t_require xrandr "$XPAINT"

# The largest size comes first: Xvfb cannot grow past its start size.
t_start_xvfb DPY 1024x768x24
OUTPUT=$(xrandr -display "$DPY" --query | awk '/ connected/ { print $1; exit }')
[ -n "$OUTPUT" ] || t_fail "xrandr shows no connected output on $DPY"
for mode in 800x600 777x555 640x481; do
	t_run "new mode $mode" xrandr -display "$DPY" \
		--newmode "$mode" 0 "${mode%x*}" 0 0 0 "${mode#*x}" 0 0 0
	t_run "add mode $mode" xrandr -display "$DPY" --addmode "$OUTPUT" "$mode"
done
t_paint "$DPY" 61
t_start_xrfb --display "$DPY" --web "$TB_WEB" --log-level debug
tb_serve "$XRFB_PORT"
tb_start_chromium
tb_driver_start

refn=0
new_ref() {
	refn=$((refn + 1))
	REF=$T_DIR/ref$refn.xwd
	t_xwd_stable "$DPY" "$REF"
}

# The connection is up and noVNC was sent nothing it must not get.
healthy() {
	tb_cmd_ok state
	[[ $TB_REPLY == *" colourmaps=0 "* ]] ||
		t_fail "noVNC got SetColourMapEntries: $TB_REPLY"
}

# Resize the served display to @1 (WxH) and check that noVNC follows.
resize() {
	local size=$1
	t_run "xrandr to $size" xrandr -display "$DPY" --output "$OUTPUT" \
		--mode "$size" --fb "$size"
	tb_cmd_ok size "${size%x*}" "${size#*x}"
	new_ref
	tb_cmd_ok match "$REF"
	healthy
	# and it goes on showing changes at the new size: a new pattern,
	# then a rectangle on it
	t_paint "$DPY" $((70 + refn))
	new_ref
	tb_cmd_ok match "$REF"
	t_run "rect" "$XPAINT" -display "$DPY" rect 5 7 301 203 "$2"
	new_ref
	tb_cmd_ok match "$REF"
}

for c in npm:zrle debian:hextile; do
	lib=${c%%:*}
	enc=${c#*:}
	t_step "noVNC $lib ($enc): connect at 1024x768"
	t_run "back to 1024x768" xrandr -display "$DPY" --output "$OUTPUT" \
		--mode 1024x768 --fb 1024x768
	t_paint "$DPY" $((62 + refn))
	new_ref
	tb_cmd_ok open "$lib" "$enc"
	tb_cmd_ok match "$REF"
	# logged before the first request was answered
	[ "$(tb_server_encoding)" = "$enc" ] ||
		t_fail "xrfb chose $(tb_server_encoding), not $enc"
	healthy
	[[ $TB_REPLY =~ resizes=([0-9]+) ]] || t_fail "no resize count: $TB_REPLY"
	before=${BASH_REMATCH[1]}

	t_step "noVNC $lib: shrink, odd sizes, grow back"
	resize 800x600 ff0000
	resize 777x555 00ff00
	resize 640x481 0000ff
	resize 1024x768 ffff00

	healthy
	[[ $TB_REPLY =~ resizes=([0-9]+) ]] &&
		[ "${BASH_REMATCH[1]}" -ge $((before + 4)) ] ||
		t_fail "noVNC saw fewer than 4 size changes: $TB_REPLY"
	tb_cmd_ok disconnect
	t_xrfb_alive
done
t_pass
