#!/bin/bash
# examples/png-server end to end; it drives libxrfb from its own poll()
# loop (xrfb_loop_fd, xrfb_loop_timeout, xrfb_loop_dispatch). libvncclient
# (vnc-grab) decodes the served PNG exactly (compared with the pixels
# tests/tools/example-images.py wrote into it); after the file changes
# size and the example gets SIGHUP, the viewer follows the resize and
# decodes the new picture exactly, and so does TigerVNC's vncviewer. A
# file that is not a PNG leaves the old picture. SIGTERM ends it with 0.
T_LIBRARY_ONLY=1
. "$(dirname "$0")/../lib.sh"

PNGSRV=$XRFB_TOP_BUILDDIR/examples/png-server
IMAGES=$XRFB_TOP_SRCDIR/tests/tools/example-images.py
t_require "$PNGSRV" "$VNC_GRAB" python3
LOG=$T_DIR/png.log

t_run "picture A" python3 "$IMAGES" png 1 256 192 "$T_DIR/a.png" \
	"$T_DIR/a.ppm"
t_run "picture B" python3 "$IMAGES" png 2 320 200 "$T_DIR/b.png" \
	"$T_DIR/b.ppm"
cp "$T_DIR/a.png" "$T_DIR/show.png"

t_step "serve picture A"
t_spawn png "$PNGSRV" "$T_DIR/show.png" 0
PNG_PID=$T_LAST_PID
t_wait_line "$LOG" '^png-server: listening on 127\.0\.0\.1:[0-9]+$'
ADDR=${T_LINE##* on }
t_wait_line "$LOG" 'showing .*show\.png, 256x192$'
t_grab_start c "$ADDR"
t_cmd_ok c match "$T_DIR/a.ppm"

t_step "a file that is not a PNG: the old picture stays"
echo "not a png" >"$T_DIR/show.png"
kill -HUP "$PNG_PID"
t_wait_line "$LOG" '^png-server: cannot read '
t_cmd_ok c sync
t_cmd_ok c match "$T_DIR/a.ppm"

t_step "picture B, another size, after SIGHUP"
cp "$T_DIR/b.png" "$T_DIR/show.png"
kill -HUP "$PNG_PID"
t_wait_line "$LOG" 'showing .*show\.png, 320x200$'
t_cmd_ok c match "$T_DIR/b.ppm"
t_cmd_ok c size
[ "$T_REPLY" = "ok size 320x200" ] || t_fail "viewer size: $T_REPLY"

t_step "TigerVNC's vncviewer shows picture B"
t_check_vncviewer "vncviewer" "$ADDR" "$T_DIR/b.ppm" 320x200x24 8,8,8 \
	-FullColor

t_step "SIGTERM ends the example cleanly"
t_grab_stop c
t_stop "$PNG_PID" || t_fail "png-server exited with status $?"
t_pass
