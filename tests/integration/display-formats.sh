#!/bin/bash
# xrfb --display: what libvncclient decodes equals `xwd -root` of the
# served display, pixel for pixel, in every pixel format a client may ask
# for: 32 bpp in both byte orders and channel orders, 16 bpp 565 and 555
# in both byte orders, 8 bpp true colour (BGR233, RGB332, 2 and 1 bits per
# channel) and an 8 bpp colour-map client (which must get the BGR233 map).
# Comparison is in the client's format: a channel of n bits must hold the
# top n bits of the X server's 8-bit value. Raw + CopyRect, then the
# default encoding list of libvncclient (lossless: JPEG off), which brings
# in whatever encoders the server has.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$XPAINT"

# an odd size, so no encoder gets tile-aligned edges for free
t_start_xvfb DPY 1003x701x24
t_paint "$DPY" 7
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY"

formats="32 32be 32rgb 32hi 32hi-be 16 16be 555 555be 8tc 8rgb332 \
8rgb222 8rgb111 8lo cmap"

for enc in "raw copyrect" "default"; do
	for f in $formats; do
		t_step "format $f, encodings: $enc"
		args=(--format "$f" --fail-out "$T_DIR/fail-$f.ppm")
		if [ "$enc" != default ]; then
			args+=(--encodings "$enc")
		elif [ "$f" = 32be ] || [ "$f" = 32hi-be ]; then
			# libvncclient 0.9.14 decodes Tight TPIXELs and ZRLE
			# CPIXELs into host byte order whatever the format's
			# big-endian flag: leave those two out for big-endian
			# formats (the encoder tests cover them)
			args+=(--encodings "hextile zlib corre rre copyrect raw")
		fi
		t_run "format $f ($enc) equals the display" \
			t_grab "${args[@]}" --compare "$T_DIR/ref.xwd" "$XRFB_ADDR"
	done
done

t_step "the colour map of a colour-map client is BGR233"
t_grab_start cmap --format cmap --encodings "raw copyrect" "$XRFB_ADDR"
t_cmd_ok cmap check-cmap
t_cmd_ok cmap match "$T_DIR/ref.xwd"
t_grab_stop cmap

t_xrfb_alive
t_pass
