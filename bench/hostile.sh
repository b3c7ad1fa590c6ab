#!/bin/bash
# What one hostile viewer costs a good one: xrfb and TigerVNC's
# x0vncserver serve the same Xvfb in turn; a good viewer (bench/
# change-bench, libvncclient) types into an xterm and times each key
# press until the xterm's pixels change, first with nothing else going
# on (idle), then during each attack (tests/tools/rfb-hostile):
#   clip-requests  a 9 MiB clipboard (set in X), and a viewer that does
#                  not read sending 30 extended-clipboard requests in one
#                  write, again and again
#   clip-bomb      10 connections sending 20 provide messages of ~11 KB
#                  that inflate to 11 MiB each, again and again
#   full-refresh   a viewer asking for a full ZRLE update after every one
#   clip-fanout    6 viewers that do not read, and the X clipboard
#                  changing between two 900 KiB texts every 100 ms
#   clip-2mib      the X clipboard changing between two 2 MiB texts
#                  (libvncclient viewers drop the connection on more than
#                  1 MiB)
#   pointer-flood  200,000 pointer motion events in one write, again and
#                  again
# Each server is started afresh for each attack; its peak memory (VmHWM)
# is read at the end. Printed: the median and 95th percentile of the
# good viewer's latency, their ratio to the idle values, key presses
# lost (no change within 5 s), the peak RSS, and the load average.
#
#   bench/hostile.sh [--builddir DIR] [--size WxH] [--keys N]
#                    [--servers "xrfb x0vncserver"] [--attacks "..."]
#                    [--xrfb-args "OPTIONS"]
#
# The target: no attack raises the good viewer's median above ten times
# its idle value or 20 ms, whichever is larger. x0vncserver comes from
# Debian (tigervnc-scraping-server), installed if missing.
set -u
# every background job in a process group of its own, so that an attack
# (a loop and the clients it starts) is stopped as a whole, by its PID
set -m
. "$(dirname "$0")/lib.sh"

builddir=.
size=1280x800
keys=20
servers="xrfb x0vncserver"
attacks="clip-requests clip-bomb full-refresh clip-fanout clip-2mib pointer-flood"
xrfb_args=
bench_options '
	--builddir builddir DIR
	--size size WxH
	--keys keys N
	--servers servers LIST
	--attacks attacks LIST
	--xrfb-args xrfb_args OPTIONS' "$@"
builddir=$(cd "$builddir" && pwd)
XRFB=$builddir/xrfb
CLIENT=$builddir/bench/change-bench
HOSTILE=$builddir/tests/tools/rfb-hostile
XPAINT=$builddir/tests/tools/xpaint
bench_require_built "$XRFB" "$CLIENT" "$HOSTILE" "$XPAINT"
if ! command -v x0vncserver >/dev/null; then
	echo "hostile: installing tigervnc-scraping-server" >&2
	apt-get install -y -q tigervnc-scraping-server >/dev/null ||
		bench_die "cannot install x0vncserver"
fi
X0VNC=$(command -v X0tigervnc || command -v x0vncserver)
bench_require Xvfb xterm xclip xdotool xsetroot python3 timeout
bench_init

# ---- the display: an xterm with the keyboard focus -----------------------
bench_start_xvfb "$size"
bench_blank_cursor
"$XPAINT" pattern 7 || exit 1
# away from where the pointer flood moves the pointer, and focused
# explicitly, so that keys reach it wherever the pointer is
LANG=C xterm -title hostile-term -geometry 80x24+500+420 -fn fixed +sb \
	-e cat >/dev/null 2>&1 &
pids+=("$!")
xdotool search --sync --name hostile-term windowfocus --sync >/dev/null ||
	bench_die "no xterm"
REGION=500,420,480,330

# texts for the clipboard attacks
head -c $((7 * 1024 * 1024)) /dev/urandom | base64 -w 100 |
	head -c $((9 * 1024 * 1024)) >"$tmp/clip9m.txt"
head -c $((700 * 1024)) /dev/urandom | base64 -w 0 | head -c $((900 * 1024)) \
	>"$tmp/clip900k-a.txt"
sed 's/^./X/' "$tmp/clip900k-a.txt" >"$tmp/clip900k-b.txt"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$tmp/clip2m-a.txt"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'b' >"$tmp/clip2m-b.txt"

# ---- servers -----------------------------------------------------------------
server_pid=
start_server() {
	local name=$1 port cmd
	port=$(bench_free_port)
	case $name in
	xrfb)
		# shellcheck disable=SC2206 # options, split into words
		cmd=("$XRFB" --display "$DPY" --port "$port"
			--listen 127.0.0.1 --max-fps 60 $xrfb_args)
		;;
	x0vncserver)
		cmd=("$X0VNC" -display "$DPY" -rfbport "$port"
			-SecurityTypes None -localhost -AlwaysShared -FrameRate 60)
		;;
	esac
	bench_start_server "$name" "$port" "${cmd[@]}" || return 1
	ADDR=127.0.0.1:$port
}

# ---- attacks -------------------------------------------------------------------
# Set the X clipboard from a file (xclip stays as its owner).
xclip_pid=
set_clipboard() {
	[ -n "$xclip_pid" ] && bench_stop "$xclip_pid"
	xclip -selection clipboard -loops 0 -i "$1" >/dev/null 2>&1 &
	xclip_pid=$!
	pids+=("$xclip_pid")
}

# Alternate the X clipboard between two files every @ms milliseconds.
clipboard_loop() {
	local a=$1 b=$2 i=0
	while :; do
		xclip -selection clipboard -i "$([ $((i % 2)) = 0 ] && echo "$a" ||
			echo "$b")" >/dev/null 2>&1
		i=$((i + 1))
		sleep 0.1
	done
}

attack_pid=
start_attack() {
	local a=$1
	case $a in
	clip-requests)
		set_clipboard "$tmp/clip9m.txt"
		sleep 2
		(while :; do
			"$HOSTILE" --rcvbuf 4096 "$ADDR" \
				clip-requests 30 0x1000000 </dev/null
		done) >/dev/null 2>&1 &
		;;
	clip-bomb)
		(for ((k = 0; k < 10; k++)); do
			(while :; do
				"$HOSTILE" "$ADDR" clip-provide 20 11 bomb
			done) &
		done
		wait) >/dev/null 2>&1 &
		;;
	full-refresh)
		"$HOSTILE" "$ADDR" full-refresh 100000 >/dev/null 2>&1 &
		;;
	clip-fanout)
		(for ((k = 0; k < 6; k++)); do
			"$HOSTILE" --rcvbuf 4096 "$ADDR" stall \
				< <(sleep 100000) &
		done
		clipboard_loop "$tmp/clip900k-a.txt" "$tmp/clip900k-b.txt"
		) >/dev/null 2>&1 &
		;;
	clip-2mib)
		clipboard_loop "$tmp/clip2m-a.txt" "$tmp/clip2m-b.txt" \
			>/dev/null 2>&1 &
		;;
	pointer-flood)
		(while :; do
			"$HOSTILE" "$ADDR" pointer-flood 200000 10 10
		done) >/dev/null 2>&1 &
		;;
	esac
	attack_pid=$!
	pids+=("$attack_pid")
	sleep 1
}

stop_attack() {
	[ -n "$attack_pid" ] && bench_stop "$attack_pid"
	attack_pid=
	[ -n "$xclip_pid" ] && bench_stop "$xclip_pid"
	xclip_pid=
}

# ---- measuring -------------------------------------------------------------------
# The good viewer's latency: "median p95 lost" (ms), or "- - all" when
# it could not measure.
latency() {
	local out
	out=$(timeout -k 5 $((keys * 6 + 60)) "$CLIENT" --latency "$keys" \
		--region "$REGION" "$ADDR" 2>"$tmp/client.err")
	if [[ $out =~ lost=([0-9]+)\ median_ms=([0-9.]+)\ p95_ms=([0-9.]+) ]]
	then
		echo "${BASH_REMATCH[2]} ${BASH_REMATCH[3]} ${BASH_REMATCH[1]}"
	else
		echo "- - all($(tail -n 1 "$tmp/client.err" | cut -c1-40))"
	fi
}

peak_mib() {
	awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" \
		2>/dev/null || echo "-"
}

ratio() {
	[ "$1" = - ] || [ "$2" = - ] && { echo -; return; }
	python3 -c "print('%.1f' % ($1 / max($2, 0.01)))"
}

printf '# %s, %s, %d key presses per measurement; load average at start: %s\n' \
	"$(date -u +%FT%TZ)" "$size" "$keys" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %-12s %9s %9s %7s %7s %6s %9s %s\n' attack server median_ms \
	p95_ms x_med x_p95 lost peak_MiB load
for s in $servers; do
	start_server "$s" || continue
	read -r idle_med idle_p95 idle_lost < <(latency)
	printf '%-14s %-12s %9s %9s %7s %7s %6s %9s %s\n' idle "$s" \
		"$idle_med" "$idle_p95" 1.0 1.0 "$idle_lost" \
		"$(peak_mib "$server_pid")" "$(cut -d' ' -f1 /proc/loadavg)"
	bench_stop "$server_pid"
	for a in $attacks; do
		start_server "$s" || continue
		start_attack "$a"
		read -r med p95 lost < <(latency)
		peak=$(peak_mib "$server_pid")
		alive=
		kill -0 "$server_pid" 2>/dev/null || alive=" (server died)"
		stop_attack
		printf '%-14s %-12s %9s %9s %7s %7s %6s %9s %s%s\n' "$a" "$s" \
			"$med" "$p95" "$(ratio "$med" "$idle_med")" \
			"$(ratio "$p95" "$idle_p95")" "$lost" "$peak" \
			"$(cut -d' ' -f1 /proc/loadavg)" "$alive"
		bench_stop "$server_pid"
	done
done
