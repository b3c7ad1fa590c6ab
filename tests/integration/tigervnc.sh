#!/bin/bash
# TigerVNC's vncviewer shows xrfb --display full screen on a second Xvfb
# of the same size; a screenshot of that second display must equal the
# served display pixel for pixel: in full colour with each encoding the
# viewer prefers (lossless: -NoJPEG), and in its three low-colour 8 bpp
# formats (rgb111, rgb222, rgb332), compared at those formats' precision.
. "$(dirname "$0")/../lib.sh"

t_require xwd vncviewer "$XPAINT"

geometry=1024x768x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 4
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY"

for enc in Raw Hextile ZRLE Tight; do
	t_step "full colour, preferred encoding $enc"
	t_check_vncviewer "vncviewer full colour $enc" "$XRFB_ADDR" \
		"$T_DIR/ref.xwd" "$geometry" 8,8,8 -FullColor \
		-PreferredEncoding="$enc"
done

for level in 0 1 2; do
	case $level in
	0) bits=1,1,1 ;;
	1) bits=2,2,2 ;;
	2) bits=3,3,2 ;;
	esac
	t_step "low colour level $level ($bits bits)"
	t_check_vncviewer "vncviewer low colour $level" "$XRFB_ADDR" \
		"$T_DIR/ref.xwd" "$geometry" "$bits" -FullColor=0 \
		-LowColorLevel="$level"
done

t_xrfb_alive
t_pass
