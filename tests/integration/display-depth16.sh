#!/bin/bash
# xrfb --display on a 16-bit (565) X server: the server reads 2-byte
# pixels and must still give every client the right colours. The xwd
# reference carries 5/6/5 significant bits, so each channel is compared
# at min(client bits, 5/6/5): a 16 bpp 565 client must get the X server's
# pixels back bit for bit, a 32 bpp client their top bits.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$XPAINT"

t_start_xvfb DPY 801x603x16
t_paint "$DPY" 11
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY"

for f in 32 32be 16 16be 555 8tc cmap; do
	t_step "format $f"
	t_run "format $f equals the 16-bit display" \
		t_grab --format "$f" --encodings "raw copyrect" \
		--fail-out "$T_DIR/fail-$f.ppm" --compare "$T_DIR/ref.xwd" \
		"$XRFB_ADDR"
done

t_step "changes on the 16-bit display arrive"
t_grab_start c16 --format 16 --encodings "raw copyrect" "$XRFB_ADDR"
t_paint "$DPY" 12
t_xwd_stable "$DPY" "$T_DIR/ref2.xwd"
t_cmd_ok c16 match "$T_DIR/ref2.xwd"
t_grab_stop c16

t_xrfb_alive
t_pass
