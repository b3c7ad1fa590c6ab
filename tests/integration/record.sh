#!/bin/bash
# Recordings: xrfb run --record writes an FBS 001.001 file of a scripted
# session; `xrfb export --png-at` gives its frames (each one of the
# session's screens, in order, the last one exactly the desktop's last
# frame against xwd); `xrfb play` serves it to libvncclient, which ends on
# that frame (the pace, played against recorded, is logged as a ratio), and with --loop it starts over; `export --webm` gives VP8 video that ffprobe and ffmpeg read
# back with the right size and duration. A recording cut short by SIGKILL
# plays up to its last block.
# --record-on-failure keeps only failed runs, --record-last N the last N
# seconds (starting with the screen as it was); `ctl record start/stop`
# record on demand, with events.
. "$(dirname "$0")/../lib.sh"
. "$XRFB_TOP_SRCDIR/tests/recordings.sh"

t_require "$XRFB" "$XPAINT" "$VNC_GRAB" "$IMGCMP" xwd xsetroot python3 pngtopnm

# The time of the last block of recording @1, in ms.
last_ms() {
	block_times "$1" | tail -n 1
}

# The time (ms) of the first block of recording @1 from which on it
# shows @2 (an xwd file): a bisection over the block times, by export.
first_shown_ms() {
	local rec=$1 ref=$2 lo=0 hi mid times
	mapfile -t times < <(block_times "$rec")
	hi=$((${#times[@]} - 1))
	while [ $lo -lt $hi ]; do
		mid=$(((lo + hi) / 2))
		export_at "$rec" "$(printf '%d.%03d' $((times[mid] / 1000)) \
			$((times[mid] % 1000)))" "$T_DIR/bis.ppm" ||
			t_fail "export failed"
		if "$IMGCMP" --quiet "$T_DIR/bis.ppm" "$ref" >/dev/null 2>&1; then
			hi=$mid
		else
			lo=$((mid + 1))
		fi
	done
	echo "${times[lo]}"
}

t_blank_cursor_file
cat >"$T_DIR/session.sh" <<CMD
#!/bin/sh
xsetroot -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" || exit 2
for n in 1 2 3; do
	"$XPAINT" pattern \$n || exit 3
	xwd -root -silent >"$T_DIR/p\$n.xwd" || exit 4
	sleep 0.4
done
exit \${1:-0}
CMD

t_step "record a scripted session"
t_spawn rec "$XRFB" run --size 320x240x24 --record "$T_DIR/a.fbs" -- \
	sh "$T_DIR/session.sh"
t_wait_exit "$T_LAST_PID" "$T_TIMEOUT" || t_fail "the recorded run hangs"
[ "$T_EXIT" -eq 0 ] || t_fail "the recorded run exited with $T_EXIT"
head -c 12 "$T_DIR/a.fbs" | grep -q '^FBS 001.001$' || t_fail "no FBS header"

t_step "export --png-at: the session's screens, in order, the last exactly"
export_at "$T_DIR/a.fbs" 1000 "$T_DIR/end.ppm" || t_fail "export failed"
t_same "the recording's last frame" "$T_DIR/end.ppm" "$T_DIR/p3.xwd"
last=0
for t in 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0 1.1 1.2 1.3 1.4 1.5; do
	export_at "$T_DIR/a.fbs" "$t" "$T_DIR/at.ppm" || t_fail "export $t failed"
	seen=0
	for n in 1 2 3; do
		"$IMGCMP" --quiet "$T_DIR/at.ppm" "$T_DIR/p$n.xwd" >/dev/null 2>&1 &&
			seen=$n
	done
	# before the first painting the screen may still be black
	[ $seen -eq 0 ] && [ $last -eq 0 ] && continue
	[ $seen -ge 1 ] || t_fail "the frame at ${t}s is none of the screens"
	[ $seen -ge $last ] || t_fail "the frame at ${t}s goes back in time"
	last=$seen
done
[ $last -eq 3 ] || t_fail "the exported frames never reach the last screen"

t_step "xrfb play to libvncclient"
play_until "$T_DIR/a.fbs" "$T_DIR/p3.xwd"

t_step "xrfb play keeps the recording's pace (measured, not asserted)"
# From the first screen to the last: in the recording (block times) and
# as libvncclient receives it from xrfb play (its clock at each match).
r1=$(first_shown_ms "$T_DIR/a.fbs" "$T_DIR/p1.xwd")
r3=$(first_shown_ms "$T_DIR/a.fbs" "$T_DIR/p3.xwd")
t_spawn play-pace "$XRFB" play --port 0 "$T_DIR/a.fbs"
pace_pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "xrfb play to listen" grep -q '127\.0\.0\.1:' \
	"$T_DIR/play-pace.log"
pport=$(sed -n 's/^xrfb: serving .* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	"$T_DIR/play-pace.log")
t_grab_start P --format 32 --encodings "raw copyrect" "127.0.0.1:$pport"
t_cmd_ok P match "$T_DIR/p1.xwd"
p1=${T_REPLY##* at }
p1=${p1% ms}
t_cmd_ok P match "$T_DIR/p3.xwd"
p3=${T_REPLY##* at }
p3=${p3% ms}
t_grab_stop P
t_stop "$pace_pid" || true
if [ $((r3 - r1)) -gt 0 ]; then
	t_log "$(python3 -c 'import sys
r, p = int(sys.argv[2]) - int(sys.argv[1]), int(sys.argv[4]) - int(sys.argv[3])
print("pace: first to last screen %d ms recorded, %d ms played: ratio %.3f"
      % (r, p, p / r))' "$r1" "$r3" "$p1" "$p3")"
else
	t_fail "the recording shows the last screen no later than the first"
fi

t_step "export --webm: VP8 video of the right size and duration"
if "$XRFB" export "$T_DIR/a.fbs" --webm "$T_DIR/a.webm" \
	>"$T_DIR/webm.out" 2>&1; then
	t_require ffprobe ffmpeg
	cat "$T_DIR/webm.out"
	# the recording's length: the time of its last block
	rec_ms=$(last_ms "$T_DIR/a.fbs")
	ffprobe -v error -show_entries stream=codec_name,width,height \
		-show_entries format=duration -of default=nw=1 "$T_DIR/a.webm" \
		>"$T_DIR/probe.out" || t_fail "ffprobe cannot read the WebM file"
	t_log "ffprobe: $(tr '\n' ' ' <"$T_DIR/probe.out")"
	grep -qx codec_name=vp8 "$T_DIR/probe.out" || t_fail "not VP8"
	grep -qx width=320 "$T_DIR/probe.out" || t_fail "wrong width"
	grep -qx height=240 "$T_DIR/probe.out" || t_fail "wrong height"
	dur=$(sed -n 's/^duration=//p' "$T_DIR/probe.out")
	# frames every 100 ms and one at the end: as long as the recording
	python3 -c "import sys; d = float(sys.argv[1]) * 1000; r = int(sys.argv[2]); sys.exit(0 if abs(d - r) <= 1 else 1)" \
		"$dur" "$rec_ms" ||
		t_fail "the video lasts ${dur}s, the recording ${rec_ms}ms"
	ffmpeg -v error -y -i "$T_DIR/a.webm" -update 1 -c:v ppm -f image2 \
		"$T_DIR/webm-last.ppm" || t_fail "ffmpeg cannot decode it"
	# lossy, and the pattern has noise no codec keeps: the same picture
	t_same "the video's last frame" "$T_DIR/webm-last.ppm" \
		"$T_DIR/p3.xwd" --min-psnr 15
elif grep -q "built without libvpx" "$T_DIR/webm.out"; then
	[ -z "${CI:-}" ] || t_fail "CI builds must have libvpx (WebM export)"
	t_log "WebM export not built (no libvpx): not tested"
else
	t_fail "export --webm failed: $(cat "$T_DIR/webm.out")"
fi

t_step "xrfb play --loop starts over at the end"
t_spawn loop "$XRFB" play --loop --speed 2 --port 0 "$T_DIR/a.fbs"
loop_pid=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "xrfb play to listen" grep -q '127\.0\.0\.1:' \
	"$T_DIR/loop.log"
lport=$(sed -n 's/^xrfb: serving .* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	"$T_DIR/loop.log")
t_grab_start L --format 32 --encodings "raw copyrect" "127.0.0.1:$lport"
t_cmd_ok L match "$T_DIR/p3.xwd"
t_cmd_ok L match "$T_DIR/p1.xwd"
t_cmd_ok L match "$T_DIR/p3.xwd"
t_grab_stop L
t_stop "$loop_pid" || true

t_step "xrfb play to a browser's WebSocket, and its web page"
if [ -r /usr/share/novnc/vnc.html ]; then
	t_spawn web "$XRFB" play --port 0 "$T_DIR/a.fbs"
	web_pid=$T_LAST_PID
	t_wait_for "$T_TIMEOUT" "xrfb play to listen" grep -q 'web client at' \
		"$T_DIR/web.log"
	wport=$(sed -n 's/^xrfb: serving .* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
		"$T_DIR/web.log")
	t_run "the page and RFB over a WebSocket" python3 \
		"$XRFB_TOP_SRCDIR/tests/tools/ws-probe.py" --port "$wport" \
		--web /usr/share/novnc --size 320x240 http-file ws-rfb
	t_stop "$web_pid" || true
else
	[ -z "${CI:-}" ] || t_fail "CI needs noVNC (package novnc)"
	t_log "no noVNC installed: the web client is not tested"
fi

t_step "a recording cut short by SIGKILL"
cat >"$T_DIR/killed.sh" <<CMD
#!/bin/sh
xsetroot -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" || exit 2
"$XPAINT" pattern 7 || exit 3
xwd -root -silent >"$T_DIR/p7.xwd.tmp" && mv "$T_DIR/p7.xwd.tmp" "$T_DIR/p7.xwd"
exec sleep 600
CMD
t_spawn killed "$XRFB" run --size 320x240x24 --record "$T_DIR/k.fbs" -- \
	sh "$T_DIR/killed.sh"
killed=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the painting" test -s "$T_DIR/p7.xwd"
t_wait_for "$T_TIMEOUT" "the recording to hold the painting" bash -c \
	"'$XRFB' export '$T_DIR/k.fbs' --png-at 1000 '$T_DIR/k.png' &&
	 pngtopnm '$T_DIR/k.png' >'$T_DIR/k.ppm' &&
	 '$IMGCMP' --quiet '$T_DIR/k.ppm' '$T_DIR/p7.xwd'"
kill -KILL "$killed"
t_wait_exit "$killed" "$T_TIMEOUT" || t_fail "xrfb survived SIGKILL"
export_at "$T_DIR/k.fbs" 1000 "$T_DIR/k2.ppm" || t_fail "export failed"
t_same "the killed recording's last frame" "$T_DIR/k2.ppm" "$T_DIR/p7.xwd"
play_until "$T_DIR/k.fbs" "$T_DIR/p7.xwd"

t_step "--record-on-failure keeps failed runs only"
t_spawn ok "$XRFB" run --size 320x240x24 --record "$T_DIR/ok.fbs" \
	--record-on-failure -- true
t_wait_exit "$T_LAST_PID" "$T_TIMEOUT" || t_fail "run hangs"
[ "$T_EXIT" -eq 0 ] || t_fail "true: status $T_EXIT"
[ ! -e "$T_DIR/ok.fbs" ] || t_fail "the recording of a passing run was kept"
t_spawn bad "$XRFB" run --size 320x240x24 --record "$T_DIR/bad.fbs" \
	--record-on-failure -- sh "$T_DIR/session.sh" 4
t_wait_exit "$T_LAST_PID" "$T_TIMEOUT" || t_fail "run hangs"
[ "$T_EXIT" -eq 4 ] || t_fail "the failing run: status $T_EXIT"
export_at "$T_DIR/bad.fbs" 1000 "$T_DIR/bad.ppm" ||
	t_fail "the failed run's recording is not there"
t_same "the failed run's last frame" "$T_DIR/bad.ppm" "$T_DIR/p3.xwd"

t_step "--record-last keeps the last second and the screen then"
t_spawn last "$XRFB" run --size 320x240x24 --record "$T_DIR/last.fbs" \
	--record-last 1 -- sh "$T_DIR/session.sh"
t_wait_exit "$T_LAST_PID" "$T_TIMEOUT" || t_fail "run hangs"
[ "$T_EXIT" -eq 0 ] || t_fail "the run: status $T_EXIT"
[ "$(last_ms "$T_DIR/a.fbs")" -gt 1000 ] ||
	t_fail "the session is too short to be cut"
lms=$(last_ms "$T_DIR/last.fbs")
[ "$lms" -le 1000 ] && [ "$lms" -ge 900 ] ||
	t_fail "the cut recording lasts ${lms} ms, not 1 s"
export_at "$T_DIR/last.fbs" 1000 "$T_DIR/last-end.ppm" || t_fail "export"
t_same "the cut recording's last frame" "$T_DIR/last-end.ppm" "$T_DIR/p3.xwd"
export_at "$T_DIR/last.fbs" 0 "$T_DIR/last-start.ppm" || t_fail "export"
"$IMGCMP" --quiet "$T_DIR/last-start.ppm" "$T_DIR/p1.xwd" >/dev/null 2>&1 ||
	"$IMGCMP" --quiet "$T_DIR/last-start.ppm" "$T_DIR/p2.xwd" >/dev/null 2>&1 ||
	t_fail "the cut recording does not start with the screen at the cut"
play_until "$T_DIR/last.fbs" "$T_DIR/p3.xwd"

t_step "ctl record start and stop, with events"
t_spawn ctlrun "$XRFB" run --size 320x240x24 \
	--ready-file "$T_DIR/ready.json" -- sh "$T_DIR/killed.sh"
ctlrun=$T_LAST_PID
t_wait_for "$T_TIMEOUT" "the ready record" test -s "$T_DIR/ready.json"
control=$(t_json "$T_DIR/ready.json" control)
t_spawn events "$XRFB" ctl --control "$control" events
t_wait_for "$T_TIMEOUT" "ctl events" grep -q subscribed "$T_DIR/events.log"
t_run "ctl record start" "$XRFB" ctl --control "$control" record start \
	"$T_DIR/c.fbs"
t_run_fails "a second recording" 1 "$XRFB" ctl --control "$control" \
	record start "$T_DIR/c2.fbs"
t_run "ctl record stop" "$XRFB" ctl --control "$control" record stop
t_wait_for "$T_TIMEOUT" "the recording events" bash -c \
	"grep -q '\"recording-started\".*c.fbs' '$T_DIR/events.log' &&
	 grep -q '\"recording-stopped\".*c.fbs' '$T_DIR/events.log'"
export_at "$T_DIR/c.fbs" 1000 "$T_DIR/c.ppm" || t_fail "export of ctl record"
t_same "the ctl recording" "$T_DIR/c.ppm" "$T_DIR/p7.xwd"
t_stop "$ctlrun" || true

t_step "a file that is no recording"
printf 'not a recording\n' >"$T_DIR/junk.fbs"
t_run_fails "export of junk" 1 "$XRFB" export "$T_DIR/junk.fbs" \
	--png-at 1 "$T_DIR/junk.png"

t_pass
