#!/bin/bash
# A real terminal (xterm) prints a log: its text scrolls. The client must
# receive CopyRect rectangles for the scrolled text, and once the output
# stops its framebuffer must equal the screen. Then only part of the
# terminal scrolls (a scroll region set with DECSTBM, as pagers and
# editors do), with the same requirements.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-change.sh"

t_require xwd xterm "$VNC_GRAB" "$XPAINT"

t_start_xvfb DPY 1024x768x24
t_paint "$DPY" 3
t_start_xrfb --display "$DPY"
# xterm shows a cursor of its own: take it as a shape, not in the pixels
t_grab_start g --format 32 --encodings "copyrect zrle raw" --cursor \
	"$XRFB_ADDR"
t_expect_match "$DPY" g

# Each phase prints, then leaves a marker file and waits for the next.
cat >"$T_DIR/term.sh" <<SCRIPT
i=0
while [ \$i -lt 150 ]; do
	i=\$((i + 1))
	echo "line \$i: the quick brown fox jumps over the lazy dog \$((i * 7919))"
	[ \$((i % 3)) -eq 0 ] && sleep 0.02
done
touch "$T_DIR/phase1"
while [ ! -e "$T_DIR/go2" ]; do sleep 0.1; done
# rows 5 to 20 scroll; the rest of the screen stays
printf '\033[2J\033[1;1Htop line, fixed\033[22;1Hbottom line, fixed\033[5;20r\033[20;1H'
i=0
while [ \$i -lt 80 ]; do
	i=\$((i + 1))
	echo "region \$i: pack my box with five dozen liquor jugs \$((i * 31))"
	[ \$((i % 2)) -eq 0 ] && sleep 0.02
done
touch "$T_DIR/phase2"
exec sleep 100000
SCRIPT

t_step "a terminal prints a log"
t_copyrects g
before=$T_COPYRECTS
LANG=C t_spawn xterm xterm -display "$DPY" -geometry 90x28+60+40 \
	+sb -j -fn fixed -e sh "$T_DIR/term.sh"
t_wait_for "$T_TIMEOUT" "the log to be printed" test -e "$T_DIR/phase1"
t_expect_match "$DPY" g
t_copyrects g
t_log "log: $((T_COPYRECTS - before)) CopyRects ($T_STATS)"
[ "$T_COPYRECTS" -gt "$before" ] ||
	t_fail "the scrolling terminal produced no CopyRect"

t_step "only a scroll region of the terminal scrolls"
before=$T_COPYRECTS
touch "$T_DIR/go2"
t_wait_for "$T_TIMEOUT" "the region to be printed" test -e "$T_DIR/phase2"
t_expect_match "$DPY" g
t_copyrects g
t_log "region: $((T_COPYRECTS - before)) CopyRects ($T_STATS)"
[ "$T_COPYRECTS" -gt "$before" ] ||
	t_fail "the scroll region produced no CopyRect"

t_damage_trusted
t_xrfb_alive
t_pass
