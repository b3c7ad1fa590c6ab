#!/bin/bash
# examples/draw end to end. libvncclient (vnc-grab) sees the gradient
# move, sends a key that pauses it, a pointer event with a button down, a
# key and clipboard text: the example's callbacks print each one, the
# clipboard comes back in upper case, and the decoded picture equals the
# one tests/tools/example-images.py computes for that frame, pointer and
# key. TigerVNC's vncviewer then shows the same picture pixel for pixel.
# SIGTERM ends the example with status 0.
T_LIBRARY_ONLY=1
. "$(dirname "$0")/../lib.sh"

DRAW=$XRFB_TOP_BUILDDIR/examples/draw
IMAGES=$XRFB_TOP_SRCDIR/tests/tools/example-images.py
t_require "$DRAW" "$VNC_GRAB" python3
LOG=$T_DIR/draw.log

t_step "start the example on a free port"
t_spawn draw "$DRAW" 0
DRAW_PID=$T_LAST_PID
t_wait_line "$LOG" '^draw: listening on 127\.0\.0\.1:[0-9]+$'
ADDR=${T_LINE##* on }
t_grab_start c "$ADDR"
t_wait_line "$LOG" '^client 1 connected from 127\.0\.0\.1:'

t_step "the gradient moves"
t_cmd_ok c updates 3

t_step "space pauses; pointer and key events reach the callbacks"
t_cmd_ok c key space
t_wait_line "$LOG" '^paused at frame [0-9]+$'
FRAME=${T_LINE##* }
t_wait_line "$LOG" '^client 1: key down 0x0020$'
t_wait_line "$LOG" '^client 1: key up 0x0020$'
t_cmd_ok c pointer 100 80 1
t_wait_line "$LOG" '^client 1: pointer 100,80 buttons 0x1$'
t_cmd_ok c key a
t_wait_line "$LOG" '^client 1: key down 0x0061$'

t_step "the decoded picture is exactly frame $FRAME with the marks"
t_run "expected picture" python3 "$IMAGES" draw "$FRAME" 0x61 100 80 \
	ff0000 "$T_DIR/expect.ppm"
t_cmd_ok c match "$T_DIR/expect.ppm"

t_step "clipboard round trip"
t_cmd_ok c cut Hello, wide world
t_wait_line "$LOG" '^client 1: clipboard "Hello, wide world"$'
t_cmd_ok c expect-cut HELLO, WIDE WORLD

t_step "TigerVNC's vncviewer shows the same picture"
t_check_vncviewer "vncviewer" "$ADDR" "$T_DIR/expect.ppm" 320x240x24 \
	8,8,8 -FullColor

t_step "the viewers leave, SIGTERM ends the example cleanly"
t_grab_stop c
t_wait_line "$LOG" '^client 1 gone$'
t_stop "$DRAW_PID" || t_fail "draw exited with status $?"
t_pass
