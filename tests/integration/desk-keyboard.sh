#!/bin/bash
# The keyboard and the rest of the input side, on a desktop with a German
# and a Russian layout (de,ru); an X application reads what it types
# through the input method, so dead keys compose:
#   - QEMU Extended Key Events carry keys, not characters: from our spec
#     client and from libvncclient, the US "y" key types "z", "=" then "e"
#     (a dead acute on German keyboards) type "é", "[" types "ü", and
#     Shift+0 types "=";
#   - keysyms are found in any group and level: "@" and "€" (AltGr), "A"
#     (Shift), Cyrillic "а" (the second group); afterwards no modifier is
#     held and the group is back;
#   - TigerVNC's vncviewer on a US display does the same through its own
#     QEMU key events (xdotool types on the viewer's display);
#   - Caps Lock and Num Lock reach the viewers as QEMU LED state, an X
#     bell as Bell, the desktop name as DesktopName;
#   - ExtendedMouseButtons: back and forward reach X as buttons 8 and 9.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"

t_require setxkbmap xdotool xwd vncviewer "$XDESK" "$RFB_EXT" "$DESK_GRAB" \
	"$XEVENTS" "$XPAINT"

t_start_xvfb DPY 640x480x24
t_run "German and Russian layouts" setxkbmap -display "$DPY" -layout de,ru
t_paint "$DPY" 4
t_start_xrfb --display "$DPY" --desktop-name 'Schreibtisch-Grüße'
d_xhelper keys "$XDESK" -display "$DPY" keys
KEYS_PID=$D_PID
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
d_ext_start K
d_grab_start L
t_cmd_ok K sync
t_cmd_ok K confirmed
[[ $T_REPLY == "ok confirmed qemukey 1 extmouse 1 "* ]] ||
	t_fail "the server did not confirm every input extension: $T_REPLY"

# The UTF-8 text the application has seen so far, as hex.
typed() {
	sed -n 's/^text \([0-9a-f]*\) .*/\1/p' "$T_DIR/keys.log" | tr -d '\n'
}
expect=
# wait until the application has seen @hex more
expect_typed() {
	expect+=$1
	t_wait_for "$T_TIMEOUT" "the text $expect (have $(typed))" \
		eval '[ "$(typed)" = "$expect" ]'
	t_log "typed so far: $(typed)"
}
# press and release XT scancodes (as QEMU numbers them) through client @c
xkeys() {
	local c=$1 code
	shift
	for code in "$@"; do
		t_cmd_ok "$c" xkey "$code" down
		t_cmd_ok "$c" xkey "$code" up
	done
}
keysym() {
	t_cmd_ok K key "$1" down
	t_cmd_ok K key "$1" up
}

t_step "QEMU key events type what the desktop's layout says"
xkeys K 0x15
expect_typed 7a
xkeys K 0x0d 0x12
expect_typed c3a9
t_cmd_ok K xkey 0x2a down
xkeys K 0x0b
t_cmd_ok K xkey 0x2a up
expect_typed 3d
xkeys K 0x1a
expect_typed c3bc

t_step "libvncclient's QEMU key events"
xkeys L 0x1e 0x10
expect_typed 6171

t_step "keysyms in any group and level; borrowed modifiers go back"
keysym 0x40
expect_typed 40
keysym 0x20ac
expect_typed e282ac
keysym 0x41
expect_typed 41
keysym 0x6c1
expect_typed d0b0
t_cmd_ok K sync
mods=$("$XDESK" -display "$DPY" mods)
[ "$mods" = "mods 0x00 0x00 0x00 0" ] ||
	t_fail "modifiers or group left behind: $mods"

t_step "TigerVNC's vncviewer on a US keyboard"
t_start_xvfb VDPY 640x480x24
d_vncviewer viewer "$VDPY" "$XRFB_ADDR" -FullScreen -RemoteResize=0 \
	-AutoSelect=0 -NoJPEG
t_wait_display_match "vncviewer shows the desktop" "$VDPY" "$T_DIR/ref.xwd" \
	--bits 8,8,8
DISPLAY=$VDPY xdotool key y
expect_typed 7a
DISPLAY=$VDPY xdotool key equal e
expect_typed c3a9
t_stop "$D_VIEWER_PID" || true

t_step "LED state"
t_cmd_ok K wait-led 0
t_run "Caps Lock on" "$XDESK" -display "$DPY" lock caps on
t_cmd_ok K wait-led 4
t_run "Num Lock on" "$XDESK" -display "$DPY" lock num on
t_cmd_ok K wait-led 6
t_run "Caps Lock off" "$XDESK" -display "$DPY" lock caps off
t_cmd_ok K wait-led 2
t_run "Num Lock off" "$XDESK" -display "$DPY" lock num off
t_cmd_ok K wait-led 0

t_step "the bell and the desktop name"
t_run "bell" "$XDESK" -display "$DPY" bell
t_cmd_ok K wait-bells 1
t_cmd_ok K wait-name 'Schreibtisch-Grüße'

t_step "back and forward buttons (ExtendedMouseButtons)"
t_stop "$KEYS_PID" || true
t_spawn xevents "$XEVENTS" -display "$DPY" --geometry 200x200+0+0
t_wait_for "$T_TIMEOUT" "xevents" grep -q '^ready' "$T_DIR/xevents.log"
t_cmd_ok K pointer 50 60 0
t_cmd_ok K pointer 50 60 0x80
t_cmd_ok K pointer 50 60 0
t_cmd_ok K pointer 50 60 0x100
t_cmd_ok K pointer 50 60 0
for b in 8 9; do
	t_wait_for "$T_TIMEOUT" "button $b in X" \
		grep -q "^button release $b 50 60 " "$T_DIR/xevents.log"
done

t_xrfb_alive
t_pass
