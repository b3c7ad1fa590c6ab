# shellcheck shell=bash
# Shared set-up of the bench scripts (bench/*.sh).
#
# A script sources this file, reads its command line with bench_options,
# then calls bench_init: from there on $tmp is its temporary
# directory, and every PID it adds to the array pids is stopped (newest
# first) and the directory removed when the script exits, whatever the
# reason. Under `set -m` every background job is a process group of its
# own, and the group is stopped with it (a loop and the clients it
# started). Waits are bounded loops on a condition. The scripts that build
# on tests/lib.sh (its Xvfb, xrfb and viewers) use bench_options alone.
#
# Functions:
#   bench_options SPEC ARG...   the command line (see below)
#   bench_init                  $tmp, pids and the exit trap
#   bench_die MESSAGE           print "NAME: MESSAGE", exit 1 (NAME: the
#                               script's, without .sh)
#   bench_require_built PATH... each program must be built
#   bench_require TOOL...       each tool must be on PATH
#   bench_stop PID              stop a process started here, forget it
#   bench_forget PID            forget a PID that has been waited for
#   bench_cpu_ns PID            CPU time of a process so far, in ns
#   bench_free_port             a free TCP port on 127.0.0.1
#   bench_wait_line FILE S RE   wait up to S s for a line of FILE to match
#   bench_start_xvfb WxH        an Xvfb: DPY, XVFB_PID, DISPLAY exported
#   bench_blank_cursor          make the display's cursor invisible
#   bench_start_server NAME PORT CMD...
#                               a server, waited for until it listens
#   bench_start_terminal RATE [WORD...]
#                               an xterm scrolling a log
#
# BENCH_SRCDIR is the source tree this file is in.

# shellcheck disable=SC2034 # used by the scripts that source this file
BENCH_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=$(basename "$0" .sh)

# Read the command line ARGs. SPEC has one line per option: the option,
# the variable its value (the next argument) goes to, and the word the
# usage message shows for the value. An option "--" names an array that
# takes every argument after a "--". Anything else prints the usage
# message (made from SPEC) and exits 2.
#   bench_options SPEC ARG...
bench_options() {
	local bo_spec=$1 bo_opt bo_var bo_meta bo_usage='' bo_found
	shift
	while read -r bo_opt bo_var bo_meta; do
		[ -n "$bo_opt" ] && bo_usage+=" [$bo_opt $bo_meta]"
	done <<<"$bo_spec"
	while [ $# -gt 0 ]; do
		bo_found=
		while read -r bo_opt bo_var bo_meta; do
			[ -n "$bo_opt" ] && [ "$1" = "$bo_opt" ] &&
				{ bo_found=$bo_var; break; }
		done <<<"$bo_spec"
		if [ -n "$bo_found" ] && [ "$1" = -- ]; then
			shift
			local -n bo_rest=$bo_found
			# shellcheck disable=SC2034 # a reference to the caller's
			bo_rest=("$@")
			return 0
		fi
		if [ -z "$bo_found" ] || [ $# -lt 2 ]; then
			echo "usage: $0$bo_usage" >&2
			exit 2
		fi
		printf -v "$bo_found" '%s' "$2"
		shift 2
	done
}

bench_die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

bench_require_built() {
	local p
	for p in "$@"; do
		[ -x "$p" ] || bench_die "$p is not built"
	done
}

bench_require() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || bench_die "needs $p"
	done
}

# Send signal @1 to the process @2, and under set -m to its process group.
bench_kill() {
	if [[ $- == *m* ]] && kill -"$1" -- "-$2" 2>/dev/null; then
		return 0
	fi
	kill -"$1" "$2" 2>/dev/null
}

bench_cleanup() {
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		bench_kill TERM "${pids[$i]}"
	done
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		{ wait "${pids[$i]}"; } 2>/dev/null
	done
	rm -rf "$tmp"
}

# The temporary directory, the PIDs to stop, and the trap that stops them.
bench_init() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX") ||
		bench_die "cannot make a temporary directory"
	pids=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Forget a PID we started that has been reaped (by wait), so cleanup
# never signals a PID the system may have given to someone else since.
bench_forget() {
	local pid=$1 p keep=()
	for p in "${pids[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# Stop a process we started, by PID, and forget it. SIGKILL only if it
# is still there after 5 s: once it is gone, its PID is no longer ours.
bench_stop() {
	local pid=$1 i
	bench_kill TERM "$pid"
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ "$i" -lt 50 ] || bench_kill KILL "$pid"
	{ wait "$pid"; } 2>/dev/null
	bench_forget "$pid"
}

# CPU time of a process so far, all its threads, in nanoseconds. The
# scheduler's own count (schedstat) is exact; /proc/PID/stat rounds to
# clock ticks of 10 ms, and an idle server's whole 10 s can fall on
# either side of one tick (0 % or 0.1 %).
bench_cpu_ns() {
	local t v sum=0

	for t in /proc/"$1"/task/*/schedstat; do
		read -r v _ 2>/dev/null <"$t" || continue
		sum=$((sum + v))
	done
	echo "$sum"
}

bench_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait up to @2 seconds for the file @1 to hold a line matching @3.
bench_wait_line() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$3" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# An Xvfb of WxH at depth 24 on a free display (-displayfd), logging to
# $tmp/xvfb.log: DPY is its display, XVFB_PID its PID; DISPLAY is
# exported.
#   bench_start_xvfb WxH
bench_start_xvfb() {
	Xvfb -displayfd 3 -nolisten tcp -noreset -screen 0 "${1}x24" \
		3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
	XVFB_PID=$!
	pids+=("$XVFB_PID")
	bench_wait_line "$tmp/display" 30 . || bench_die "Xvfb did not start"
	DPY=:$(head -n 1 "$tmp/display")
	export DISPLAY=$DPY
}

# An invisible cursor: no server has to draw one into the pixels.
bench_blank_cursor() {
	printf '%s\n' '#define b_width 1' '#define b_height 1' \
		'#define b_x_hot 0' '#define b_y_hot 0' \
		'static unsigned char b_bits[] = {' '   0x00};' \
		>"$tmp/blank.xbm"
	xsetroot -cursor "$tmp/blank.xbm" "$tmp/blank.xbm"
}

# Start the server NAME, the command CMD... that listens on
# 127.0.0.1:PORT, its output in $tmp/NAME.out and $tmp/NAME.log; server_pid
# is its PID. Then wait (10 s at most) until it accepts connections; if
# it does not, or it ends first: say so with the end of its log, stop
# it, and return 1.
#   bench_start_server NAME PORT CMD...
bench_start_server() {
	local name=$1 port=$2 i
	shift 2
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.log" &
	server_pid=$!
	pids+=("$server_pid")
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "$BENCH_NAME: $name did not start:" >&2
	tail -5 "$tmp/$name.log" >&2
	bench_stop "$server_pid"
	return 1
}

# Start an xterm (110x45 characters at +40+30) scrolling a made-up log at
# RATE lines/s, its lines made of WORDs (default: alpha to november);
# $! is its PID. The script is $tmp/log.py.
#   bench_start_terminal RATE [WORD...]
bench_start_terminal() {
	cat >"$tmp/log.py" <<'EOF'
import sys, time
rate = float(sys.argv[1])
words = sys.argv[2:] or ["alpha", "bravo", "charlie", "delta", "echo",
                         "foxtrot", "golf", "hotel", "india", "juliett",
                         "kilo", "lima", "mike", "november"]
n = 0
next_t = time.monotonic()
while True:
    n += 1
    line = " ".join(words[(n * 7 + k * 3) % len(words)] for k in range(n % 11 + 3))
    sys.stdout.write("%8d  [info] request %d served: %s\n" % (n, n * 7919 % 100000, line))
    sys.stdout.flush()
    next_t += 1 / rate
    d = next_t - time.monotonic()
    if d > 0:
        time.sleep(d)
EOF
	LANG=C xterm -geometry 110x45+40+30 -fn fixed +sb \
		-e python3 "$tmp/log.py" "$@" >/dev/null 2>&1 &
}
