#!/bin/bash
# --record-on-failure with --record-last N: a rolling ring of parts on
# disk. A scripted session (each new screen painted on the test's word,
# the next word given once the ring has started two more parts, so every
# screen lasts at least a part) runs for many windows; the ring never
# holds more than its bound of files and bytes; the failed run leaves a
# file of exactly the last N seconds that starts with one of the last
# screens and ends on the desktop's last frame (against xwd), played by
# xrfb play to libvncclient. A passing run leaves nothing behind; a run
# killed with SIGKILL leaves its parts, each playable.
. "$(dirname "$0")/../lib.sh"
. "$XRFB_TOP_SRCDIR/tests/recordings.sh"

t_require "$XRFB" "$XPAINT" "$VNC_GRAB" "$IMGCMP" xwd xsetroot python3 pngtopnm

WINDOW=4		# --record-last: parts of 1 s, at most 5 of them
SCREENS=8		# screens painted, two parts each: about 16 s
# 320x240 at 32 bits: a whole frame uncompressed
FRAME=$((320 * 240 * 4))

# The highest part number of ring @1 on disk (-1: none).
last_part() {
	local f n max=-1
	for f in "$1".part*; do
		[ -e "$f" ] || continue
		n=${f##*.part}
		[ "$n" -gt "$max" ] && max=$n
	done
	echo "$max"
}

# Count and size of the parts of ring @1 into PARTS and BYTES.
ring_size() {
	local f
	PARTS=0
	BYTES=0
	for f in "$1".part*; do
		[ -e "$f" ] || continue
		PARTS=$((PARTS + 1))
		BYTES=$((BYTES + $(stat -c %s "$f")))
	done
}

# The session: paints screen N on "paint N" (then saves it with xwd),
# exits with N on "exit N".
t_blank_cursor_file
cat >"$T_DIR/session.sh" <<CMD
#!/bin/sh
xsetroot -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" || exit 2
while read -r cmd n; do
	case \$cmd in
	paint)
		"$XPAINT" pattern \$n || exit 3
		xwd -root -silent >"$T_DIR/p\$n.tmp" || exit 4
		mv "$T_DIR/p\$n.tmp" "$T_DIR/p\$n.xwd" ;;
	exit)
		exit \$n ;;
	esac
done <"$T_DIR/cmds"
exit 5
CMD
mkfifo "$T_DIR/cmds"
exec {cmds}<>"$T_DIR/cmds"

t_step "a long session through a ${WINDOW} s ring"
t_spawn ring "$XRFB" run --size 320x240x24 --record "$T_DIR/r.fbs" \
	--record-on-failure --record-last $WINDOW -- sh "$T_DIR/session.sh"
ring=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the ring's first part" test -e "$T_DIR/r.fbs.part0"
max_parts=0
max_bytes=0
for ((n = 1; n <= SCREENS; n++)); do
	echo "paint $n" >&"$cmds"
	t_wait_for "$T_TIMEOUT" "screen $n" test -e "$T_DIR/p$n.xwd"
	# two new parts: the screen is in the ring for a whole part
	for k in 1 2; do
		p=$(last_part "$T_DIR/r.fbs")
		t_wait_for "$T_TIMEOUT" "part $((p + 1))" \
			test -e "$T_DIR/r.fbs.part$((p + 1))"
		ring_size "$T_DIR/r.fbs"
		[ $PARTS -gt $max_parts ] && max_parts=$PARTS
		[ $BYTES -gt $max_bytes ] && max_bytes=$BYTES
	done
done
t_log "ring over $SCREENS screens, $(last_part "$T_DIR/r.fbs") parts started: at most $max_parts files, $max_bytes bytes on disk"
# Parts of 1 s, dropped once the next starts $WINDOW s back: $WINDOW + 1
# files; each holds a key frame and at most one new screen.
[ $max_parts -le $((WINDOW + 1)) ] ||
	t_fail "the ring held $max_parts files (bound $((WINDOW + 1)))"
[ $max_bytes -le $(((WINDOW + 1) * 2 * (FRAME + 4096))) ] ||
	t_fail "the ring held $max_bytes bytes"
[ ! -e "$T_DIR/r.fbs" ] || t_fail "the file exists before the run ends"
echo "exit 6" >&"$cmds"
t_wait_exit "$ring" "$T_TIMEOUT" || t_fail "the run hangs"
[ "$T_EXIT" -eq 6 ] || t_fail "the failing run: status $T_EXIT"
ring_size "$T_DIR/r.fbs"
[ $PARTS -eq 0 ] || t_fail "$PARTS parts left behind"
[ ! -e "$T_DIR/r.fbs.tmp" ] || t_fail "the temporary file left behind"

t_step "the recording: the last $WINDOW s, ending on the last frame"
size=$(stat -c %s "$T_DIR/r.fbs")
t_log "recording of the last $WINDOW s: $size bytes"
mapfile -t times < <(block_times "$T_DIR/r.fbs")
[ "${times[0]}" -eq 0 ] || t_fail "the first block is at ${times[0]} ms"
[ "${times[-1]}" -eq $((WINDOW * 1000)) ] ||
	t_fail "the recording lasts ${times[-1]} ms, not $WINDOW s"
[ "$size" -le $(((WINDOW + 1) * 2 * (FRAME + 4096))) ] ||
	t_fail "the recording is $size bytes"
export_at "$T_DIR/r.fbs" $WINDOW "$T_DIR/end.ppm" || t_fail "export failed"
t_same "the recording's last frame" "$T_DIR/end.ppm" "$T_DIR/p$SCREENS.xwd"
# Every screen lasted a part (1 s) or more: $WINDOW s back is one of
# the last $((WINDOW + 1)).
export_at "$T_DIR/r.fbs" 0 "$T_DIR/start.ppm" || t_fail "export failed"
first=0
for ((n = 1; n <= SCREENS; n++)); do
	"$IMGCMP" --quiet "$T_DIR/start.ppm" "$T_DIR/p$n.xwd" >/dev/null 2>&1 &&
		first=$n
done
t_log "the recording starts on screen $first of $SCREENS"
[ $first -ge $((SCREENS - WINDOW)) ] ||
	t_fail "the recording starts on screen $first, not one of the last"
# in between, only screens of the session, in order
last=$first
for ((ms = 250; ms < WINDOW * 1000; ms += 250)); do
	export_at "$T_DIR/r.fbs" "$(printf '%d.%03d' $((ms / 1000)) \
		$((ms % 1000)))" "$T_DIR/at.ppm" || t_fail "export failed"
	seen=0
	for ((n = first; n <= SCREENS; n++)); do
		"$IMGCMP" --quiet "$T_DIR/at.ppm" "$T_DIR/p$n.xwd" \
			>/dev/null 2>&1 && seen=$n
	done
	[ $seen -ge $last ] || t_fail "the frame at $ms ms is no later screen"
	last=$seen
done
play_until "$T_DIR/r.fbs" "$T_DIR/p$SCREENS.xwd"

t_step "a passing run leaves nothing"
t_spawn pass "$XRFB" run --size 320x240x24 --record "$T_DIR/ok.fbs" \
	--record-on-failure --record-last 1 -- sh "$T_DIR/session.sh"
pass=$T_LAST_PID
echo "paint 1" >&"$cmds"
t_wait_for "$T_TIMEOUT" "a part after the first" test -e "$T_DIR/ok.fbs.part1"
echo "exit 0" >&"$cmds"
t_wait_exit "$pass" "$T_TIMEOUT" || t_fail "the run hangs"
[ "$T_EXIT" -eq 0 ] || t_fail "the passing run: status $T_EXIT"
ls "$T_DIR"/ok.fbs* >/dev/null 2>&1 && t_fail "files left: $(ls "$T_DIR"/ok.fbs*)"

t_step "a run killed with SIGKILL leaves its parts, each playable"
rm -f "$T_DIR"/p*.xwd
t_spawn killed "$XRFB" run --size 320x240x24 --record "$T_DIR/k.fbs" \
	--record-on-failure --record-last 4 -- sh "$T_DIR/session.sh"
killed=$T_LAST_PID
echo "paint 7" >&"$cmds"
t_wait_for "$T_TIMEOUT" "screen 7" test -e "$T_DIR/p7.xwd"
p=$(($(last_part "$T_DIR/k.fbs") + 1))
t_wait_for "$T_TIMEOUT" "a part after the painting" \
	test -e "$T_DIR/k.fbs.part$p"
# and its key frame in it (written just after the part is opened)
t_wait_for "$T_TIMEOUT" "the key frame of part $p" bash -c \
	"'$XRFB' export '$T_DIR/k.fbs.part$p' --png-at 1000 '$T_DIR/kf.png' &&
	 pngtopnm '$T_DIR/kf.png' >'$T_DIR/kf.ppm' &&
	 '$IMGCMP' --quiet '$T_DIR/kf.ppm' '$T_DIR/p7.xwd'"
kill -KILL "$killed"
t_wait_exit "$killed" "$T_TIMEOUT" || t_fail "xrfb survived SIGKILL"
t_log "left behind: $(cd "$T_DIR" && echo k.fbs*)"
[ ! -e "$T_DIR/k.fbs" ] || t_fail "a file written by a killed run"
for f in "$T_DIR"/k.fbs.part*; do
	"$XRFB" export "$f" --png-at 1000 "$T_DIR/any.png" ||
		t_fail "$(basename "$f") does not play"
done
export_at "$T_DIR/k.fbs.part$p" 1000 "$T_DIR/k.ppm" || t_fail "export failed"
t_same "part $p's last frame" "$T_DIR/k.ppm" "$T_DIR/p7.xwd"
play_until "$T_DIR/k.fbs.part$p" "$T_DIR/p7.xwd"

t_pass
