#!/bin/bash
# vncsnapshot (a TightVNC 1.2 based client) against xrfb --display: its
# snapshot equals `xwd -root` of the served display, on a 24-bit and on a
# 16-bit X server, with Raw + CopyRect and with its default encoding list
# (lossless: -nojpeg). vncsnapshot writes only JPEG, hence the small
# tolerance explained in t_check_vncsnapshot.
. "$(dirname "$0")/../lib.sh"

t_require xwd vncsnapshot jpegtopnm "$XPAINT"

for geometry in 1024x768x24 640x480x16; do
	t_step "vncsnapshot of a $geometry display"
	t_start_xvfb DPY "$geometry"
	t_paint "$DPY" 9
	t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
	t_start_xrfb --display "$DPY"
	t_check_vncsnapshot "vncsnapshot raw ($geometry)" "$XRFB_ADDR" \
		"$T_DIR/ref.xwd" -encodings "raw copyrect"
	t_check_vncsnapshot "vncsnapshot default encodings ($geometry)" \
		"$XRFB_ADDR" "$T_DIR/ref.xwd"
	t_xrfb_alive
done

t_pass
