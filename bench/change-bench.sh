#!/bin/bash
# Change detection, side by side: xrfb, x11vnc and TigerVNC's x0vncserver
# serve the same Xvfb content in turn and one libvncclient client
# (bench/change-bench) measures what arrives; the servers' CPU time comes
# from /proc. Workloads:
#   idle      a still desktop, a viewer connected and waiting
#   terminal  xterm scrolling a log at 300 lines/s (a build, find /)
#   log50     the same at 50 lines/s (tail -f of a busy log)
#   video     full-screen changes at 30 frames/s (bench/xload video)
#   video-cl2 the same, the client also sending CompressLevel 2 (what
#             TigerVNC's viewer and noVNC send by default; libvncclient
#             sends no level when ZRLE is its first choice)
#   drag      a window moved across the screen at 60 steps/s (xmotion)
#   latency   key press -> first changed pixels at the client (bench/xload
#             flip), 40 presses
#   video-tight  the video, the client asking for what real viewers ask
#             (copyrect tight zrle hextile zlib raw: every server picks
#             Tight), lossless
#   video-jpeg   the same with JPEG allowed at quality level 8
#   loaded    a CPU-bound application (bench/spin, one thread per core)
#             beside the video: its iterations per second with no
#             server, with xrfb --max-cpu-hard (a fixed quarter of the
#             cores, the default before the budget yielded to demand) and
#             with xrfb's default; the client as in video-tight
#
#   bench/change-bench.sh [--builddir DIR] [--seconds S] [--size WxH]
#                         [--servers "xrfb xrfb-hard x11vnc x0vncserver"]
#                         [--workloads "idle terminal log50 video
#                                       video-cl2 drag latency
#                                       video-tight video-jpeg loaded"]
#
# xrfb-hard is xrfb with --max-cpu-hard. In the first workloads every
# server gets the same encodings from the client (copyrect zrle hextile
# raw: ZRLE is the pixel encoding all three pick) and the same frame rate
# limit (xrfb --max-fps 60, x0vncserver FrameRate=60, x11vnc -wait 16
# -defer 16); video-tight, video-jpeg and loaded run every server with
# its default options. The video-* rows have frames/s, server CPU ms and
# bytes per frame, and the PSNR of sampled updates against the X server's
# pictures of the frames shown (xload --dump; "inf" is exact): as a whole
# against the closest frame (what the viewer sees, a frame torn between
# two pictures included) and 64x64 tile by tile (the encoding's loss
# alone; see bench/change-bench.c). A new video row (H.264, say) is a
# case in client_args and its name in the workload list. x11vnc and
# x0vncserver come from Debian (XRFB_BENCH_PACKAGES in
# scripts/packages.sh) and are installed if missing.
# Figures mean something only on an otherwise quiet machine.
set -u
. "$(dirname "$0")/lib.sh"

builddir=.
seconds=10
size=1920x1080
servers="xrfb xrfb-hard x11vnc x0vncserver"
workloads="idle terminal log50 video video-cl2 drag latency video-tight
video-jpeg loaded"
bench_options '
	--builddir builddir DIR
	--seconds seconds S
	--size size WxH
	--servers servers LIST
	--workloads workloads LIST' "$@"
builddir=$(cd "$builddir" && pwd)
XRFB=$builddir/xrfb
CLIENT=$builddir/bench/change-bench
XLOAD=$builddir/bench/xload
XMOTION=$builddir/tests/tools/xmotion
XPAINT=$builddir/tests/tools/xpaint
SPIN=$builddir/bench/spin
bench_require_built "$XRFB" "$CLIENT" "$XLOAD" "$XMOTION" "$XPAINT" "$SPIN"

# ---- the other servers, from Debian --------------------------------------
. "$BENCH_SRCDIR/scripts/packages.sh"
# shellcheck disable=SC2086
xrfb_install $XRFB_BENCH_PACKAGES ||
	bench_die "cannot install $XRFB_BENCH_PACKAGES"
X0VNC=$(command -v X0tigervnc || command -v x0vncserver)
bench_require Xvfb xterm xsetroot python3 timeout
bench_init

# ---- the display ---------------------------------------------------------------
bench_start_xvfb "$size"
W=${size%x*}
H=${size#*x}
bench_blank_cursor
"$XPAINT" pattern 7 || exit 1

# ---- servers -----------------------------------------------------------------
# Workloads whose servers run with their default options (only what it
# takes to serve this display on a free local port without a password).
runs_defaults() {
	case $1 in
	video-tight | video-jpeg | video-h264 | loaded) return 0 ;;
	esac
	return 1
}

server_pid=
start_server() {
	local name=$1 w=$2 port tune=() cmd
	port=$(bench_free_port)
	case $name in
	xrfb | xrfb-hard)
		runs_defaults "$w" || tune=(--max-fps 60)
		[ "$name" = xrfb ] || tune+=(--max-cpu-hard)
		# debug: the log says which encoding the client got
		cmd=("$XRFB" --display "$DPY" --port "$port"
			--listen 127.0.0.1 --log-level debug "${tune[@]}")
		;;
	x11vnc)
		runs_defaults "$w" || tune=(-wait 16 -defer 16)
		cmd=(x11vnc -display "$DPY" -rfbport "$port" -localhost -nopw
			-forever -shared "${tune[@]}")
		;;
	x0vncserver)
		runs_defaults "$w" || tune=(-FrameRate 60)
		# the server itself, not the Perl wrapper, so /proc shows
		# its CPU time
		cmd=("$X0VNC" -display "$DPY" -rfbport "$port"
			-SecurityTypes None -localhost -AlwaysShared "${tune[@]}")
		;;
	esac
	bench_start_server "$name" "$port" "${cmd[@]}" || return 1
	SERVER_ADDR=127.0.0.1:$port
}

# ---- workloads -----------------------------------------------------------------
load_pid=
start_load() {
	local w=$1
	load_pid=
	case $w in
	terminal | log50)
		bench_start_terminal "$([ "$w" = log50 ] && echo 50 || echo 300)"
		load_pid=$!
		sleep 1
		;;
	video*)
		# the pictures sampled frames are compared with, once
		if [ -s "$tmp/frame-0.ppm" ]; then
			"$XLOAD" video 30 >"$tmp/video.out" 2>&1 &
		else
			"$XLOAD" video 30 --dump "$tmp/frame" \
				>"$tmp/video.out" 2>&1 &
		fi
		load_pid=$!
		bench_wait_line "$tmp/video.out" 60 ready
		;;
	drag)
		python3 - "$W" "$H" >"$tmp/drag.cmd" <<'EOF'
import sys
w, h = int(sys.argv[1]), int(sys.argv[2])
print("new 0 100 100 520 360 5")
x, y, dx, dy = 100, 100, 9, 5
for i in range(60 * 600):
    x += dx
    y += dy
    if x < 0 or x + 520 > w:
        dx = -dx
        x += 2 * dx
    if y < 0 or y + 360 > h:
        dy = -dy
        y += 2 * dy
    print("move 0 %d %d; sleep 16" % (x, y))
EOF
		"$XMOTION" <"$tmp/drag.cmd" >/dev/null 2>&1 &
		load_pid=$!
		sleep 1
		;;
	latency)
		"$XLOAD" flip 200 200 300 200 >"$tmp/flip.out" 2>&1 &
		load_pid=$!
		bench_wait_line "$tmp/flip.out" 10 ready
		;;
	esac
	[ -z "$load_pid" ] || pids+=("$load_pid")
}

stop_load() {
	[ -n "$load_pid" ] && bench_stop "$load_pid"
	load_pid=
	# the desktop as it was
	"$XPAINT" pattern 7
}

# ---- one measurement -------------------------------------------------------------
# The client's arguments for a workload it watches, into CARGS.
client_args() {
	local tight="copyrect tight zrle hextile zlib raw"
	case $1 in
	video-cl2)
		CARGS=(--compress 2 --encodings "copyrect zrle zlib hextile raw")
		;;
	video-tight | loaded)
		CARGS=(--encodings "$tight" --psnr "$tmp/frame")
		;;
	video-jpeg)
		CARGS=(--encodings "$tight" --quality 8 --psnr "$tmp/frame")
		;;
	*) CARGS=() ;;
	esac
}

# CPU percent of one core from two bench_cpu_ns readings and two times.
cpu_pct() {
	awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" -v f="$5" \
		'BEGIN { printf f, (b - a) * 100 / 1e9 / (t1 - t0) }'
}

declare -A R
# measure WORKLOAD SERVER; for loaded, SERVER may be "none": the video
# and the application only.
measure() {
	local w=$1 s=$2 out c0 c1 x0 x1 line t0 t1 limit rc spid= cs
	local spin_out=$tmp/$w-$s.spin cpid=
	start_load "$([ "$w" = loaded ] && echo video-tight || echo "$w")"
	if [ "$s" != none ] && ! start_server "$s" "$w"; then
		stop_load
		return
	fi
	out=$tmp/$w-$s.txt
	: >"$out"
	: >"$out.err"
	client_args "$w"
	# the client bounds its own waits (5 s for the first update, 5 s
	# per key press); the watchdog is for anything else that would hang
	cs=$seconds
	# with the application, the video is served all through its run
	[ "$w" = loaded ] && cs=$(awk -v s="$seconds" 'BEGIN { print s + 2 }')
	limit=$((${cs%.*} + 60))
	if [ "$s" = none ]; then
		:
	elif [ "$w" = latency ]; then
		limit=$((40 * 6 + 60))
		timeout -k 5 "$limit" "$CLIENT" --latency 40 \
			--region 200,200,300,200 \
			"$SERVER_ADDR" >"$out" 2>"$out.err" &
		cpid=$!
	else
		timeout -k 5 "$limit" "$CLIENT" --seconds "$cs" "${CARGS[@]}" \
			"$SERVER_ADDR" >"$out" 2>"$out.err" &
		cpid=$!
	fi
	[ -z "$cpid" ] || pids+=("$cpid")
	# the client's window starts after its first update; the CPU
	# window here starts a little later and ends when it reports (or
	# with the application's run)
	sleep 1
	if [ "$w" = loaded ]; then
		"$SPIN" 0 "$seconds" >"$spin_out" 2>&1 &
		spid=$!
		pids+=("$spid")
	fi
	c0=$([ "$s" = none ] || bench_cpu_ns "$server_pid")
	x0=$(bench_cpu_ns "$XVFB_PID")
	t0=$(date +%s.%N)
	if [ -n "$spid" ]; then
		wait "$spid"
		bench_forget "$spid"
	else
		wait "$cpid"
		rc=$?
	fi
	c1=$([ "$s" = none ] || bench_cpu_ns "$server_pid")
	x1=$(bench_cpu_ns "$XVFB_PID")
	t1=$(date +%s.%N)
	if [ -n "$spid" ] && [ -n "$cpid" ]; then
		wait "$cpid"
		rc=$?
	fi
	[ -z "$cpid" ] || bench_forget "$cpid"
	[ -n "$cpid" ] || rc=0
	line=$(tail -n 1 "$out")
	if [ "$rc" -ne 0 ]; then
		# no numbers for this pair: the table shows "-"
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "  $w / $s: FAILED, the client did not finish" \
				"within ${limit}s" >&2
		else
			echo "  $w / $s: FAILED, the client exited with" \
				"status $rc${line:+ ($line)}:" >&2
		fi
		sed 's/^/    /' "$out.err" >&2
		[ "$s" = none ] || bench_stop "$server_pid"
		stop_load
		sleep 0.5
		return
	fi
	[ -z "$spid" ] || line="$line $(tail -n 1 "$spin_out")"
	R[$w,$s]=$line
	R[$w,$s,xcpu]=$(cpu_pct "$x0" "$x1" "$t0" "$t1" %.1f)
	if [ "$s" != none ]; then
		R[$w,$s,cpu]=$(cpu_pct "$c0" "$c1" "$t0" "$t1" %.3f)
		# CPU and bytes per delivered update: fair between servers
		# sending at different rates
		R[$w,$s,cpu_ms]=$(awk -v c="${R[$w,$s,cpu]}" \
			-v u="$(val "$w" "$s" changed_per_s)" \
			'BEGIN { if (u > 0) printf "%.2f", c * 10 / u }')
		R[$w,$s,bytes_pf]=$(awk -v b="$(val "$w" "$s" bytes_per_s)" \
			-v u="$(val "$w" "$s" changed_per_s)" \
			'BEGIN { if (u > 0) printf "%.0f", b / u }')
	fi
	echo "  $w / $s: $line cpu=${R[$w,$s,cpu]:-}% xvfb=${R[$w,$s,xcpu]}%" >&2
	[ "$s" = none ] || bench_stop "$server_pid"
	stop_load
	sleep 0.5
}

val() {
	# val WORKLOAD SERVER KEY
	local line=${R[$1,$2]:-}
	sed -n "s/.*\\b$3=\\([^ ]*\\).*/\\1/p" <<<"$line"
}

echo "change-bench: $size, ${seconds}s per measurement, display $DPY" >&2
# the servers a workload runs: loaded compares xrfb's budgets alone
servers_for() {
	if [ "$1" = loaded ]; then
		echo none xrfb-hard xrfb
	else
		echo "$servers"
	fi
}
for w in $workloads; do
	for s in $(servers_for "$w"); do
		measure "$w" "$s"
	done
done

# ---- the table --------------------------------------------------------------------
encoding_of() {
	case $1 in
	xrfb | xrfb-hard)
		sed -n 's/.*SetEncodings.*using \(.*\)/\1/p' "$tmp/$1.log" |
			tail -1
		;;
	x11vnc) grep -io 'using [a-z]* encoding' "$tmp/x11vnc.log" 2>/dev/null | tail -1 ;;
	x0vncserver) echo "(not logged)" ;;
	esac
}
header() {
	local s
	printf '\n%-34s' "workload / measure"
	for s in "$@"; do printf '%14s' "$s"; done
	printf '\n'
}
header $servers
row() {
	# row LABEL WORKLOAD KEY [SERVERS]
	local label=$1 w=$2 k=$3 s v
	printf '%-34s' "$label"
	for s in ${4:-$servers}; do
		if [ "$k" = cpu ] || [ "$k" = xcpu ] || [ "$k" = cpu_ms ] ||
			[ "$k" = bytes_pf ]; then
			v=${R[$w,$s,$k]:-}
		else
			v=$(val "$w" "$s" "$k")
		fi
		printf '%14s' "${v:--}"
	done
	printf '\n'
}
for w in $workloads; do
	case $w in
	idle)
		row "idle: server CPU %" idle cpu
		row "idle: updates" idle updates
		;;
	terminal | log50)
		row "$w: updates/s" $w updates_per_s
		row "$w: bytes/s" $w bytes_per_s
		row "$w: CopyRects" $w copyrects
		row "$w: server CPU %" $w cpu
		row "$w: server CPU ms/update" $w cpu_ms
		row "$w: Xvfb CPU %" $w xcpu
		;;
	video | video-cl2)
		row "$w 30 fps: frames/s" $w changed_per_s
		row "$w 30 fps: bytes/s" $w bytes_per_s
		row "$w 30 fps: server CPU %" $w cpu
		row "$w 30 fps: CPU ms/frame" $w cpu_ms
		row "$w 30 fps: Xvfb CPU %" $w xcpu
		;;
	video-*)
		row "$w: frames/s" $w changed_per_s
		row "$w: server CPU ms/frame" $w cpu_ms
		row "$w: bytes/frame" $w bytes_pf
		row "$w: server CPU %" $w cpu
		row "$w: PSNR dB, frame" $w psnr_db
		row "$w: PSNR dB, each 64x64 tile" $w psnr_tile_db
		row "$w: Xvfb CPU %" $w xcpu
		;;
	drag)
		row "drag: updates/s" drag updates_per_s
		row "drag: bytes/s" drag bytes_per_s
		row "drag: CopyRects" drag copyrects
		row "drag: server CPU %" drag cpu
		row "drag: server CPU ms/update" drag cpu_ms
		row "drag: Xvfb CPU %" drag xcpu
		;;
	latency)
		row "latency: median ms" latency median_ms
		row "latency: p95 ms" latency p95_ms
		row "latency: server CPU %" latency cpu
		;;
	esac
done

# ratios: other / xrfb (bytes, CPU, latency: above 1 means xrfb is better)
printf '\nratios, other server / xrfb:\n'
ratio() {
	local label=$1 w=$2 k=$3 s a b
	printf '%-34s' "$label"
	case $k in
	cpu | cpu_ms) a=${R[$w,xrfb,$k]:-} ;;
	*) a=$(val "$w" xrfb "$k") ;;
	esac
	for s in $servers; do
		[ "$s" = xrfb ] && continue
		case $k in
		cpu | cpu_ms) b=${R[$w,$s,$k]:-} ;;
		*) b=$(val "$w" "$s" "$k") ;;
		esac
		if [ -n "$a" ] && [ -n "$b" ]; then
			printf '%14s' "$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.2f", b / a; else if (b > 0) print "inf"; else print "-" }')"
		else
			printf '%14s' -
		fi
	done
	printf '\n'
}
for w in $workloads; do
	case $w in
	idle) ratio "idle: server CPU" idle cpu ;;
	terminal | log50)
		ratio "$w: bytes/s" $w bytes_per_s
		ratio "$w: updates/s" $w updates_per_s
		ratio "$w: server CPU" $w cpu
		ratio "$w: server CPU per update" $w cpu_ms
		;;
	video*)
		ratio "$w: frames/s" $w changed_per_s
		ratio "$w: server CPU" $w cpu
		ratio "$w: server CPU per frame" $w cpu_ms
		;;
	drag)
		ratio "drag: bytes/s" drag bytes_per_s
		ratio "drag: server CPU" drag cpu
		ratio "drag: server CPU per update" drag cpu_ms
		;;
	latency)
		ratio "latency: median" latency median_ms
		ratio "latency: p95" latency p95_ms
		;;
	esac
done
# the application beside the video: what it keeps of the machine
for w in $workloads; do
	[ "$w" = loaded ] || continue
	printf '\nloaded: %s, one thread per core, beside the video' \
		"the application (bench/spin)"
	header $(servers_for loaded)
	row "application iterations/s" loaded iterations_per_s \
		"$(servers_for loaded)"
	printf '%-34s' "application, % of no server"
	for s in $(servers_for loaded); do
		printf '%14s' "$(awk -v a="$(val loaded none iterations_per_s)" \
			-v b="$(val loaded "$s" iterations_per_s)" \
			'BEGIN { if (a > 0 && b > 0) printf "%.1f", b * 100 / a; else print "-" }')"
	done
	printf '\n'
	row "frames/s" loaded changed_per_s "$(servers_for loaded)"
	row "server CPU %" loaded cpu "$(servers_for loaded)"
	row "Xvfb CPU %" loaded xcpu "$(servers_for loaded)"
	# the aim: the default leaves the application at least what
	# --max-cpu-hard left it (within the spread of two runs of spin,
	# which only repeated runs show)
	awk -v h="$(val loaded xrfb-hard iterations_per_s)" \
		-v d="$(val loaded xrfb iterations_per_s)" 'BEGIN {
		if (h > 0 && d > 0)
			printf "default / --max-cpu-hard, application: %.3f\n",
				d / h
	}'
done
printf '\nencodings chosen: '
for s in $servers; do printf '%s: %s; ' "$s" "$(encoding_of "$s")"; done
printf '\n'
