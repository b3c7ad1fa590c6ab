#!/bin/bash
# Keys and clicks from a VNC client reach X applications, read back from
# X itself: xevents (tests/tools) reports the events its window receives
# and the text XLookupString makes of them, so shifted characters prove
# the server pressed Shift, a following lower-case letter proves it let go,
# and characters missing from the keyboard map (ü, é) prove it can bind
# spare keycodes. Buttons 1-5 arrive where they were clicked. A real
# application (xterm running `cat`) receives typed text. With --view-only
# nothing arrives.
. "$(dirname "$0")/../lib.sh"

t_require "$VNC_GRAB" "$XEVENTS" xterm xdotool

t_start_xvfb DPY 800x600x24
t_start_xrfb --display "$DPY"

t_step "start an X client that reports its input"
t_spawn xevents "$XEVENTS" -display "$DPY" --text "$T_DIR/typed.txt"
xevents_pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "xevents to map its window" \
	grep -q '^ready' "$T_DIR/xevents.log"
: >"$T_DIR/typed.txt"

t_grab_start kbd --encodings "raw copyrect" "$XRFB_ADDR"

t_step "typed text, shifted and unshifted"
text='Hello, World! 0123456789 ~!@#$%^&*()_+{}|:"<>? `-=[]\;'"'"',./ abc XYZ'
t_cmd_ok kbd type "$text"
t_cmd_ok kbd key Return
expected="$text"$'\r'
t_wait_for "$T_TIMEOUT" "the typed text to arrive" \
	bash -c '[ "$(cat "$1")" = "$2" ]' _ "$T_DIR/typed.txt" "$expected"
t_log "xevents received: $(cat "$T_DIR/typed.txt")"

t_step "no modifier is left pressed"
: >"$T_DIR/typed.txt"
t_cmd_ok kbd type z
t_wait_for "$T_TIMEOUT" "a plain z" \
	bash -c '[ "$(cat "$1")" = z ]' _ "$T_DIR/typed.txt"
last=$(grep '^key press' "$T_DIR/xevents.log" | tail -n 1)
[[ $last == "key press "*" z 0x0 7a" ]] ||
	t_fail "z pressed with modifiers or wrong: $last"
presses=$(grep -c '^key press' "$T_DIR/xevents.log")
releases=$(grep -c '^key release' "$T_DIR/xevents.log")
[ "$presses" -eq "$releases" ] ||
	t_fail "$presses key presses but $releases releases"

t_step "keysyms not on the keyboard"
: >"$T_DIR/typed.txt"
t_cmd_ok kbd key udiaeresis
t_cmd_ok kbd key eacute
t_cmd_ok kbd type q
t_wait_for "$T_TIMEOUT" "ü, é and q" \
	bash -c '[ "$(od -An -tx1 "$1" | tr -d " \n")" = fce971 ]' _ \
	"$T_DIR/typed.txt"

t_step "key chords, as viewers send them"
# a viewer holding Shift sends the shifted keysym (A, not a)
: >"$T_DIR/typed.txt"
t_cmd_ok kbd key Shift_L+A
t_cmd_ok kbd key Control_L+b
t_wait_for "$T_TIMEOUT" "Shift+A and Control+b" \
	bash -c '[ "$(od -An -tx1 "$1" | tr -d " \n")" = 4102 ]' _ \
	"$T_DIR/typed.txt"

t_step "clicks with buttons 1 to 5"
for click in "100 150 1" "300 200 3" "50 60 2" "400 300 4" "401 301 5"; do
	t_cmd_ok kbd click $click
done
for click in "1 100 150" "3 300 200" "2 50 60" "4 400 300" "5 401 301"; do
	t_wait_for "$T_TIMEOUT" "button $click (press and release)" \
		bash -c 'grep -q "^button press $1 " "$2" &&
			grep -q "^button release $1 " "$2"' _ "$click" \
		"$T_DIR/xevents.log"
done
t_stop "$xevents_pid" || true

t_step "a view-only server passes no input"
t_spawn xevents2 "$XEVENTS" -display "$DPY" --text "$T_DIR/typed2.txt"
xevents_pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "xevents to map its window" \
	grep -q '^ready' "$T_DIR/xevents2.log"
main_pid=$XRFB_PID
main_addr=$XRFB_ADDR
t_start_xrfb --display "$DPY" --view-only
t_grab_start viewonly --encodings "raw copyrect" "$XRFB_ADDR"
t_cmd_ok viewonly type v
t_cmd_ok viewonly click 10 10 1
t_cmd_ok viewonly sync
t_cmd_ok kbd type m
t_wait_for "$T_TIMEOUT" "the marker typed through the other server" \
	grep -q m "$T_DIR/typed2.txt"
[ "$(cat "$T_DIR/typed2.txt")" = m ] ||
	t_fail "input passed a view-only server: $(cat "$T_DIR/typed2.txt")"
! grep -q '^button' "$T_DIR/xevents2.log" ||
	t_fail "a click passed a view-only server"
t_grab_stop viewonly
t_stop "$XRFB_PID" || true
t_stop "$xevents_pid" || true
XRFB_PID=$main_pid

t_step "typing into xterm running cat"
t_spawn xterm xterm -display "$DPY" -T xrfb-input-xterm \
	-geometry 80x10+0+0 -e sh -c "cat >'$T_DIR/xterm.txt'"
t_wait_for "$T_TIMEOUT" "the xterm window" \
	env DISPLAY="$DPY" xdotool search --onlyvisible --name xrfb-input-xterm
# no window manager: the keyboard follows the pointer
t_cmd_ok kbd pointer 100 40 0
t_cmd_ok kbd type 'Typed into xterm: <OK> & "done"'
t_cmd_ok kbd key Return
t_wait_for "$T_TIMEOUT" "cat to write the line" \
	bash -c '[ "$(cat "$1")" = "$2" ]' _ "$T_DIR/xterm.txt" \
	'Typed into xterm: <OK> & "done"'

t_grab_stop kbd
t_xrfb_alive "$main_pid"
t_pass
