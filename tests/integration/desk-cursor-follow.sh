#!/bin/bash
# The cursor follows X in every case a desktop produces, with the pointer
# over the root window and the root window's cursor changed as a desktop
# does at login (xsetroot -cursor_name, which exits at once): themed
# cursors (Adwaita), a cursor from the core cursor font (no theme found),
# an animated cursor (Adwaita's watch: its frames), a period in which X
# reports no image at all, and what comes after it. After each change,
# the shape libvncclient (desk-grab) and our spec client (rfb-ext) hold
# must equal the image X reports (XFixes, through xdesk cursor-sig); while
# X reports none, the cursor is hidden (the shape of an invisible cursor).
#
# X refuses the image of a cursor whose creator is gone to every client
# but one in the creator's client slot (the SECURITY extension; see
# src/x11/x11-cursor.c): after xsetroot exits, xrfb must still get it.
# A period without any image is made the same way: xsetroot gets a slot
# above many free ones, more than xrfb and xdesk try.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"

t_require xsetroot xdotool "$XDESK" "$RFB_EXT" "$DESK_GRAB"
[ -d /usr/share/icons/Adwaita/cursors ] ||
	t_skip "the Adwaita cursor theme (adwaita-icon-theme) is not installed"

t_start_xvfb DPY 640x480x24
# t_start_xvfb gave the root window an invisible cursor: its image is
# what viewers must hold while X has none
HIDDEN=$("$XDESK" -display "$DPY" cursor-sig) ||
	t_fail "X reports no image for the invisible cursor"
HIDDEN=${HIDDEN#cursor }
t_start_xrfb --display "$DPY"
DISPLAY=$DPY xdotool mousemove 320 240

d_grab_start lvc --cursor
t_cmd_ok lvc sync
d_ext_start rich --encodings raw,cursor,pointerpos
t_cmd_ok lvc wait-cursor "$HIDDEN"
t_cmd_ok rich wait-cursor "$HIDDEN"

# Set the root cursor by name with the given environment.
#   set_root ENV... NAME
set_root() {
	local name=${*: -1}
	env DISPLAY="$DPY" "${@:1:$#-1}" xsetroot -cursor_name "$name" ||
		t_fail "xsetroot -cursor_name $name failed"
}

# The image X reports now, into SIG; fails while X reports none.
x_sig() {
	SIG=$("$XDESK" -display "$DPY" cursor-sig) || return 1
	SIG=${SIG#cursor }
}

# Both viewers must come to hold the image X reports after a change
# that gave one.
#   expect_image WHAT
expect_image() {
	t_wait_for "$T_TIMEOUT" "X to report an image for $1" x_sig
	t_log "$1: X reports $SIG"
	[ "$SIG" != "$HIDDEN" ] || t_fail "$1: X still reports the invisible cursor"
	t_cmd_ok lvc wait-cursor "$SIG"
	t_cmd_ok rich wait-cursor "$SIG"
	# X may have changed on the way (it did not: check it again)
	local was=$SIG
	x_sig && [ "$SIG" = "$was" ] || t_fail "$1: X's image changed meanwhile"
}

t_step "themed cursors (Adwaita)"
for name in hand2 left_ptr xterm; do
	set_root XCURSOR_THEME=Adwaita "$name"
	expect_image "Adwaita $name"
done
ADWAITA_LEFT_PTR=$SIG

t_step "a cursor from the core cursor font"
# no theme to be found: libXcursor falls back to the cursor font
set_root XCURSOR_PATH="$T_DIR/no-themes" XCURSOR_THEME=none hand2
expect_image "core hand2"
[ "$SIG" != "$ADWAITA_LEFT_PTR" ] || t_fail "the core cursor is the themed one"

t_step "an animated cursor: its frames"
set_root XCURSOR_THEME=Adwaita watch
declare -A FRAMES=()
frames_seen() {
	x_sig && [[ $SIG == 24x24+11+11:* ]] && FRAMES[$SIG]=1
	[ "${#FRAMES[@]}" -ge 3 ]
}
t_wait_for "$T_TIMEOUT" "X to show three frames of the watch" frames_seen
t_log "X showed ${#FRAMES[@]} frames"
# the viewer shows one frame after another (not one image for good)
viewer_frames() {
	local got
	t_cmd lvc cursor || return 1
	got=${T_REPLY#ok cursor }
	[[ $got == 24x24+11+11:* ]] || return 1
	[ -n "${FIRST_FRAME:-}" ] || FIRST_FRAME=$got
	[ "$got" != "$FIRST_FRAME" ]
}
t_wait_for "$T_TIMEOUT" "libvncclient to show the watch's frames" viewer_frames
t_cmd_ok lvc cursor
got=${T_REPLY#ok cursor }
# every frame libvncclient is shown is one X shows
frame_known() {
	frames_seen
	[ -n "${FRAMES[$got]:-}" ]
}
t_wait_for "$T_TIMEOUT" "the viewer's frame $got among X's" frame_known

t_step "a period in which X reports no image"
# 40 clients (more than xrfb and xdesk try together) hold the lowest
# free slots; xsetroot sets the animated watch
# from above them, and they all go: the slot of the frames' creator is
# out of reach, and each new frame is refused
SPIES=()
for i in $(seq 40); do
	# xprop -spy prints the property (not found) once connected
	xprop -display "$DPY" -root -spy WM_NAME \
		>"$T_DIR/spy$i.out" 2>&1 &
	SPIES+=("$!")
	T_PIDS+=("$!")
done
spies_connected() {
	local i
	for i in $(seq 40); do
		[ -s "$T_DIR/spy$i.out" ] || return 1
	done
}
t_wait_for "$T_TIMEOUT" "40 clients to connect" spies_connected
set_root XCURSOR_THEME=Adwaita left_ptr
set_root XCURSOR_THEME=Adwaita watch
for pid in "${SPIES[@]}"; do
	t_stop "$pid" || true
done
no_image() { ! x_sig; }
t_wait_for "$T_TIMEOUT" "X to report no image" no_image
t_cmd_ok lvc wait-cursor "$HIDDEN"
t_cmd_ok rich wait-cursor "$HIDDEN"
no_image || t_fail "X reported an image after all"

t_step "after the period without an image, the next image arrives"
set_root XCURSOR_THEME=Adwaita hand2
expect_image "Adwaita hand2 after the period"

t_step "the pointer moves; a new viewer gets the current image"
DISPLAY=$DPY xdotool mousemove 100 100
t_cmd_ok rich wait-pos 100 100
d_grab_start late --cursor
t_cmd_ok late wait-cursor "$SIG"

t_xrfb_alive
t_pass
