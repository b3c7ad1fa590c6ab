# shellcheck shell=bash
# Shared functions of the integration tests (tests/integration/*.sh).
#
# A test sources this file, then starts what it needs with the t_start_*
# functions: its own Xvfb (a free display chosen through -displayfd), xrfb
# on a port the kernel picks (--port 0, read back from the ready line),
# clients. Every process started here is recorded by PID and stopped by PID
# when the test exits, whatever the reason. Waits are bounded loops on a
# condition, never fixed sleeps standing in for a result, and no test
# asserts on time.
#
# Results follow the automake test protocol: exit 0 pass, 1 fail, 77 skip.
# Skipping is only for a missing tool on a developer machine; with CI set
# a missing tool is a failure, so CI never skips silently.
#
# Environment (set by `make check`, see tests/Makemodule.am):
#   XRFB_TOP_BUILDDIR   where xrfb and tests/tools/* were built
#   XRFB_TOP_SRCDIR     the source tree
#   XRFB                the server binary (default $XRFB_TOP_BUILDDIR/xrfb)
#   T_KEEP=1            keep the test's temporary directory even on success
#   T_VERBOSE=1         echo every command of t_run

set -u
set -o pipefail

T_NAME=$(basename "$0" .sh)
T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${XRFB_TOP_SRCDIR:=$(cd "$T_LIB_DIR/.." && pwd)}"
: "${XRFB_TOP_BUILDDIR:=$XRFB_TOP_SRCDIR}"
: "${XRFB:=$XRFB_TOP_BUILDDIR/xrfb}"
T_TOOLS=$XRFB_TOP_BUILDDIR/tests/tools
# shellcheck disable=SC2034 # used by the tests that source this file
{
	VNC_GRAB=$T_TOOLS/vnc-grab
	H264_GRAB=$T_TOOLS/h264-grab
	RFB_PROBE=$T_TOOLS/rfb-probe
	IMGCMP=$T_TOOLS/imgcmp
	XPAINT=$T_TOOLS/xpaint
	XEVENTS=$T_TOOLS/xevents
}

# Upper bound of any single wait, in seconds. Generous: a loaded CI
# machine is slow, and a bound only decides when to give up.
T_TIMEOUT=${T_TIMEOUT:-30}

# A build without X11 (configure --disable-x11) has no xrfb program and no
# X clients: the tests that need them skip there, CI or not. A test of the
# library alone sets T_LIBRARY_ONLY=1 before sourcing this file.
if [ "${XRFB_HAVE_X11:-yes}" = no ] && [ -z "${T_LIBRARY_ONLY:-}" ]; then
	echo "SKIP: $T_NAME: needs X11, and this build has --disable-x11"
	exit 77
fi

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xrfb-$T_NAME.XXXXXX")
# What xrfb makes once (TLS certificate, RSA-AES key) stays here, never
# in the real home.
export XDG_STATE_HOME=$T_DIR/state
T_PIDS=()
T_STEP=0
declare -A T_PROC_NAME=()
declare -A T_GRAB_IN=() T_GRAB_OUT=() T_GRAB_PID=()

# ---- reporting ---------------------------------------------------------------

t_log() {
	printf '[%s] %s\n' "$T_NAME" "$*"
}

# Print the logs of everything the test started, to explain a failure.
t_dump_logs() {
	local f
	for f in "$T_DIR"/*.log "$T_DIR"/*.err "$T_DIR"/*.out; do
		[ -s "$f" ] || continue
		echo "----- $(basename "$f") (last 40 lines) -----"
		# Xvfb -displayfd logs every display number it finds taken
		grep -v '^_XSERVTrans' "$f" | tail -n 40
	done
}

t_fail() {
	echo "FAIL: $T_NAME: $*"
	t_dump_logs
	exit 1
}

t_skip() {
	if [ -n "${CI:-}" ]; then
		t_fail "would skip, but CI must run everything: $*"
	fi
	echo "SKIP: $T_NAME: $*"
	exit 77
}

t_pass() {
	echo "PASS: $T_NAME"
	exit 0
}

# A numbered step, so logs show how far a test got.
t_step() {
	T_STEP=$((T_STEP + 1))
	t_log "step $T_STEP: $*"
}

# Run a command; on failure, fail the test with @desc and the output.
#   t_run "desc" cmd [arg]...
t_run() {
	local desc=$1 out status
	shift
	[ -n "${T_VERBOSE:-}" ] && t_log "run: $*"
	out=$("$@" 2>&1) && status=0 || status=$?
	if [ $status -ne 0 ]; then
		echo "$out"
		t_fail "$desc (exit $status: $*)"
	fi
	[ -n "$out" ] && printf '%s\n' "$out"
	return 0
}

# The opposite: the command must fail, with an exit status in @codes
# (a space-separated list, or "any").
#   t_run_fails "desc" "codes" cmd [arg]...
t_run_fails() {
	local desc=$1 codes=$2 out status c
	shift 2
	out=$("$@" 2>&1) && status=0 || status=$?
	printf '%s\n' "$out"
	if [ $status -eq 0 ]; then
		t_fail "$desc: succeeded but must fail ($*)"
	fi
	[ "$codes" = any ] && return 0
	for c in $codes; do
		[ "$c" -eq "$status" ] && return 0
	done
	t_fail "$desc: exit status $status, expected one of $codes ($*)"
}

# Require programs; skip (or fail under CI) when one is missing.
t_require() {
	local p
	for p in "$@"; do
		if [[ $p == */* ]]; then
			[ -x "$p" ] || t_skip "$p is not built"
		else
			command -v "$p" >/dev/null 2>&1 ||
				t_skip "$p is not installed"
		fi
	done
}

# ---- processes ---------------------------------------------------------------

# Start a background process, logging to $T_DIR/NAME.log; its PID is in
# T_LAST_PID and is stopped at exit.
#   t_spawn NAME cmd [arg]...
t_spawn() {
	local name=$1
	shift
	"$@" >"$T_DIR/$name.log" 2>&1 &
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
	T_PROC_NAME[$T_LAST_PID]=$name
}

t_alive() {
	kill -0 "$1" 2>/dev/null
}

t_close_fd() {
	local fd=$1
	[ -n "$fd" ] && exec {fd}>&-
	return 0
}

# Stop a process by PID: SIGTERM, then SIGKILL after 5 s. Returns its exit
# status (143 for a clean SIGTERM death).
t_stop() {
	local pid=$1 i status=0
	t_alive "$pid" || { wait "$pid" 2>/dev/null || status=$?; return $status; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		t_alive "$pid" || break
		sleep 0.1
	done
	if t_alive "$pid"; then
		t_log "${T_PROC_NAME[$pid]:-$pid} ignored SIGTERM, killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || status=$?
	return $status
}

# Wait (bounded) for a process to exit; sets T_EXIT to its status.
#   t_wait_exit PID [TIMEOUT_S]
t_wait_exit() {
	local pid=$1 limit=${2:-$T_TIMEOUT} i
	for ((i = 0; i < limit * 10; i++)); do
		t_alive "$pid" || break
		sleep 0.1
	done
	if t_alive "$pid"; then
		return 1
	fi
	T_EXIT=0
	wait "$pid" 2>/dev/null || T_EXIT=$?
	return 0
}

t_cleanup() {
	local status=$? i name
	trap - EXIT
	[ -n "${T_WATCHDOG:-}" ] && kill "$T_WATCHDOG" 2>/dev/null
	for name in "${!T_GRAB_PID[@]}"; do
		t_close_fd "${T_GRAB_IN[$name]}"
	done
	for ((i = ${#T_PIDS[@]} - 1; i >= 0; i--)); do
		t_stop "${T_PIDS[$i]}" >/dev/null 2>&1 || true
	done
	# a sanitizer report (--enable-asan builds) fails a passing test
	if [ $status -eq 0 ] && grep -l -E \
		'^(==[0-9]+==ERROR: [A-Za-z]+Sanitizer|SUMMARY: [A-Za-z]+Sanitizer)|: runtime error: ' \
		"$T_DIR"/*.err "$T_DIR"/*.log >/dev/null 2>&1; then
		echo "FAIL: $T_NAME: sanitizer reports:"
		grep -h -A 20 -E '==ERROR: |: runtime error: ' \
			"$T_DIR"/*.err "$T_DIR"/*.log 2>/dev/null | head -n 60
		status=1
	fi
	if [ $status -ne 0 ] && [ $status -ne 77 ]; then
		echo "[$T_NAME] files kept in $T_DIR"
	elif [ -z "${T_KEEP:-}" ]; then
		rm -rf "$T_DIR"
	fi
	exit $status
}
trap t_cleanup EXIT
trap 'exit 130' INT
trap 't_log "stopped by SIGTERM (the ${T_LIMIT}s limit of a test, slower under load?)"; exit 143' TERM

# Every wait is bounded, but a test as a whole is too: after T_LIMIT
# seconds it is stopped (and fails), so a hang cannot stall the suite.
# The seconds are those of a fair share of the machine: while the load
# average is above the number of CPUs, time runs slower in proportion,
# so a loaded machine (a build beside the suite) does not fail tests
# that are only slow, and a hang still ends.
T_LIMIT=${T_LIMIT:-300}
(
	cpus=$(nproc 2>/dev/null || echo 1)
	left=$((T_LIMIT * 100))	# hundredths of a fair-share second
	while [ "$left" -gt 0 ]; do
		sleep 2
		read -r load _ </proc/loadavg || load=0
		load=${load/./}	# "23.60" -> 2360 (two decimals)
		share=$((10#$load / cpus))
		[ "$share" -ge 100 ] || share=100
		left=$((left - 200 * 100 / share))
	done
	kill -TERM $$
) >/dev/null 2>&1 </dev/null &
T_WATCHDOG=$!

# Wait until a command succeeds, at most @timeout seconds.
#   t_wait_for TIMEOUT_S "what" cmd [arg]...
t_wait_for() {
	local limit=$1 what=$2 i
	shift 2
	for ((i = 0; i < limit * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	t_fail "timed out after ${limit}s waiting for $what"
}

# Wait until @file has a line matching the extended regex @re; the first
# such line goes to T_LINE.
#   t_wait_line FILE RE
t_wait_line() {
	t_wait_for "$T_TIMEOUT" "/$2/ in $(basename "$1")" \
		grep -q -E "$2" "$1"
	T_LINE=$(grep -m1 -E "$2" "$1")
}

# ---- X displays ------------------------------------------------------------

# Start a private Xvfb; the display name (":N") goes into the variable
# named by @var, its PID into T_LAST_PID.
#   t_start_xvfb VAR [WxHxD]
t_start_xvfb() {
	local var=$1 geometry=${2:-1024x768x24} dfile i num name
	t_require Xvfb
	name=xvfb$((${#T_PIDS[@]} + 1))
	dfile=$T_DIR/$name.display
	: >"$dfile"
	Xvfb -displayfd 3 -nolisten tcp -noreset -screen 0 "$geometry" \
		3>"$dfile" >"$T_DIR/$name.log" 2>&1 &
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
	T_PROC_NAME[$T_LAST_PID]=$name
	for ((i = 0; i < T_TIMEOUT * 10; i++)); do
		num=$(head -n 1 "$dfile" 2>/dev/null)
		if [ -n "$num" ] && [ "$(wc -l <"$dfile")" -ge 1 ]; then
			break
		fi
		t_alive "$T_LAST_PID" || t_fail "Xvfb $geometry did not start"
		sleep 0.1
	done
	[ -n "$num" ] || t_fail "Xvfb $geometry did not report a display"
	printf -v "$var" ':%s' "$num"
	t_log "Xvfb $geometry on :$num (pid $T_LAST_PID)"
	t_blank_cursor ":$num"
}

# An invisible cursor as an X bitmap file (for xsetroot -cursor); its
# path goes into T_BLANK_CURSOR.
t_blank_cursor_file() {
	T_BLANK_CURSOR=$T_DIR/blank-cursor.xbm
	[ -f "$T_BLANK_CURSOR" ] || printf '%s\n' '#define blank_width 1' \
		'#define blank_height 1' '#define blank_x_hot 0' \
		'#define blank_y_hot 0' 'static unsigned char blank_bits[] = {' \
		'   0x00};' >"$T_BLANK_CURSOR"
}

# Give the root window of @display an invisible cursor. Viewers without
# cursor shapes get the cursor drawn into their pixels, which an xwd
# reference never shows; with nothing to draw, screen comparisons hold.
# (tests/integration/desk-cursor.sh tests the cursor itself.)
t_blank_cursor() {
	t_require xsetroot
	t_blank_cursor_file
	xsetroot -display "$1" -cursor "$T_BLANK_CURSOR" "$T_BLANK_CURSOR" ||
		t_fail "cannot give $1 an invisible cursor"
}

# xwd dump of the root window of @display into @file.
t_xwd() {
	xwd -display "$1" -root -silent >"$2" ||
		t_fail "xwd of $1 failed"
}

# Put the deterministic test pattern @seed on @display (root background).
t_paint() {
	local display=$1 seed=${2:-1}
	t_run "painting pattern $seed on $display" \
		"$XPAINT" -display "$display" pattern "$seed"
}

# Dump @display into @file once two dumps in a row agree, so the
# reference is the settled content and not a frame in the middle of
# drawing.
t_xwd_stable() {
	local display=$1 file=$2 i
	t_xwd "$display" "$file"
	for ((i = 0; i < T_TIMEOUT * 10; i++)); do
		t_xwd "$display" "$file.next"
		if cmp -s "$file" "$file.next"; then
			rm -f "$file.next"
			return 0
		fi
		mv "$file.next" "$file"
		sleep 0.1
	done
	t_fail "the content of $display does not settle"
}

# ---- the server ---------------------------------------------------------------

# Start xrfb with --port 0 and the given options; wait for its ready
# line(s). Sets XRFB_PID, XRFB_PORT and XRFB_ADDR (the 127.0.0.1 listener
# if there is one, else the first), XRFB_DPY (the display it serves) and
# XRFB_OUT/XRFB_ERR (its stdout/stderr files).
#   t_start_xrfb [xrfb option]...
t_start_xrfb() {
	local n i line addr
	t_require "$XRFB"
	n=$((${#T_PIDS[@]} + 1))
	XRFB_OUT=$T_DIR/xrfb$n.out
	XRFB_ERR=$T_DIR/xrfb$n.err
	"$XRFB" --port 0 "$@" >"$XRFB_OUT" 2>"$XRFB_ERR" &
	XRFB_PID=$!
	T_PIDS+=("$XRFB_PID")
	T_PROC_NAME[$XRFB_PID]=xrfb$n
	XRFB_PORT=
	for ((i = 0; i < T_TIMEOUT * 10; i++)); do
		# all listeners' lines come in one write (one flush after
		# all are bound): the first line means all of them are there
		grep -q '^xrfb: serving ' "$XRFB_OUT" 2>/dev/null && break
		if ! t_alive "$XRFB_PID"; then
			wait "$XRFB_PID" && T_EXIT=0 || T_EXIT=$?
			t_fail "xrfb $* exited with status $T_EXIT before serving"
		fi
		sleep 0.1
	done
	line=$(grep -m1 '^xrfb: serving .* on 127\.0\.0\.1:[0-9]*$' "$XRFB_OUT" ||
		grep -m1 '^xrfb: serving ' "$XRFB_OUT") ||
		t_fail "xrfb printed no ready line within ${T_TIMEOUT}s"
	# "xrfb: serving :N on ADDR:PORT" (ADDR may be [v6])
	XRFB_DPY=$(sed -n 's/^xrfb: serving \([^ ]*\) on .*/\1/p' <<<"$line")
	addr=${line##* on }
	if [[ $addr == unix:* ]]; then
		# only Unix sockets: the address is the path
		XRFB_ADDR=${addr#unix:}
		XRFB_PORT=
		t_log "xrfb (pid $XRFB_PID) serves $XRFB_DPY on $addr"
		return 0
	fi
	XRFB_PORT=${addr##*:}
	addr=${addr%:*}
	case $addr in
	0.0.0.0) addr=127.0.0.1 ;;
	"[::]") addr="[::1]" ;;
	esac
	XRFB_ADDR=$addr:$XRFB_PORT
	if ! [[ $XRFB_PORT =~ ^[0-9]+$ ]] || [ "$XRFB_PORT" -eq 0 ]; then
		t_fail "cannot parse the ready line: $line"
	fi
	t_log "xrfb (pid $XRFB_PID) serves $XRFB_DPY on $XRFB_ADDR"
}

# A TCP port that was free a moment ago (for listeners that cannot be
# told to pick one themselves, such as a viewer's -listen).
t_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Whether log @1 matches the extended regular expression @2 (or @3, if
# not empty), or process @4 has ended.
t_log_settled() {
	grep -Eq "$2" "$1" || { [ -n "$3" ] && grep -Eq "$3" "$1"; } ||
		! t_alive "$4"
}

# t_spawn NAME on a port found free: every @PORT@ in the command becomes
# the port, and the command must print READY (an extended regular
# expression, @PORT@ replaced too) in its log. A parallel test may take
# the port before the command binds it: then the command prints FAIL (if
# not empty) or ends, and starts again on another port, five times at
# most. Sets T_PORT, T_LAST_PID and T_LOG.
t_spawn_free_port() {
	local name=$1 ready=$2 fail=$3 try arg args=() pat
	shift 3
	for try in 1 2 3 4 5; do
		T_PORT=$(t_free_port)
		args=()
		for arg in "$@"; do
			args+=("${arg//@PORT@/$T_PORT}")
		done
		pat=${ready//@PORT@/$T_PORT}
		T_LOG=$T_DIR/$name-$try.log
		t_spawn "$name-$try" "${args[@]}"
		t_wait_for "$T_TIMEOUT" "$name listening on port $T_PORT" \
			t_log_settled "$T_LOG" "$pat" "$fail" "$T_LAST_PID"
		if grep -Eq "$pat" "$T_LOG" && t_alive "$T_LAST_PID"; then
			return 0
		fi
		t_stop "$T_LAST_PID" || true
	done
	t_fail "$name found no free port: $(tail -n 3 "$T_LOG")"
}

# ---- PAM -------------------------------------------------------------------

# Private PAM services for xrfb through Debian's pam_wrapper, so that no
# system file is touched: skips the test without pam_wrapper, its
# pam_matrix module or PAM in xrfb; HOME is the test's own. Services go
# into $T_DIR/pam.d/NAME; pam_matrix reads PAM_MATRIX's passdb= file.
t_pam_require() {
	local f
	PAM_WRAPPER_LIB=${PAM_WRAPPER_LIB:-/usr/lib/x86_64-linux-gnu/libpam_wrapper.so}
	PAM_MATRIX=${PAM_MATRIX:-/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so}
	for f in "$PAM_WRAPPER_LIB" "$PAM_MATRIX"; do
		[ -f "$f" ] ||
			t_skip "$f is missing (Debian package libpam-wrapper)"
	done
	"$XRFB" --help >"$T_DIR/help.txt"
	grep -q -- --pam-service "$T_DIR/help.txt" ||
		t_skip "xrfb built without PAM"
	export HOME=$T_DIR/home
	mkdir -p "$HOME" "$T_DIR/pam.d"
}

# t_start_xrfb with pam_wrapper preloaded into xrfb alone, reading the
# services of $T_DIR/pam.d.
t_start_xrfb_pam() {
	LD_PRELOAD=$PAM_WRAPPER_LIB PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR=$T_DIR/pam.d t_start_xrfb "$@"
}

# Fail if xrfb died (a crash while serving clients is always a bug).
t_xrfb_alive() {
	local pid=${1:-$XRFB_PID}
	t_alive "$pid" && return 0
	wait "$pid" && T_EXIT=0 || T_EXIT=$?
	t_fail "xrfb (pid $pid) died with status $T_EXIT"
}

# ---- clients -----------------------------------------------------------------

# Run vnc-grab once against the server; its output goes to the test log.
#   t_grab [vnc-grab option]...   (the address comes last: $XRFB_ADDR)
t_grab() {
	t_require "$VNC_GRAB"
	"$VNC_GRAB" --timeout-ms $((T_TIMEOUT * 1000)) "$@"
}

# Start a program that reads commands on stdin and answers each line with
# one line ("ok ..." or "fail ..."), as client @name; t_cmd talks to it.
# Its pipes and stderr are $T_DIR/PREFIX.in, .out and .err.
#   t_cmdproc_start NAME PREFIX cmd [arg]...
t_cmdproc_start() {
	local name=$1 prefix=$2 fd
	shift 2
	mkfifo "$T_DIR/$prefix.in" "$T_DIR/$prefix.out"
	"$@" <"$T_DIR/$prefix.in" >"$T_DIR/$prefix.out" \
		2>"$T_DIR/$prefix.err" &
	T_GRAB_PID[$name]=$!
	T_PIDS+=("$!")
	T_PROC_NAME[$!]=$prefix
	# read-write opens never block, whichever side comes first
	exec {fd}<>"$T_DIR/$prefix.in"
	T_GRAB_IN[$name]=$fd
	exec {fd}<>"$T_DIR/$prefix.out"
	T_GRAB_OUT[$name]=$fd
}

# Wait for the first line of client @name, which reports its first
# complete framebuffer update; it goes to T_REPLY.
t_cmdproc_ready() {
	local name=$1
	if ! read -r -t "$T_TIMEOUT" T_REPLY <&"${T_GRAB_OUT[$name]}"; then
		t_fail "client $name: no first update within ${T_TIMEOUT}s"
	fi
	[[ $T_REPLY == ok* ]] || t_fail "client $name: $T_REPLY"
}

# Start vnc-grab in command mode as client @name; commands are sent with
# t_cmd. Waits for its first complete framebuffer update.
#   t_grab_start NAME [vnc-grab option]... ADDR
t_grab_start() {
	local name=$1
	shift
	t_require "$VNC_GRAB"
	t_cmdproc_start "$name" "grab-$name" "$VNC_GRAB" \
		--timeout-ms $((T_TIMEOUT * 1000)) --commands - "$@"
	t_cmdproc_ready "$name"
	echo "[$name] $T_REPLY" >>"$T_DIR/grab-$name.log"
}

# Send one command to client @name and read its one-line answer into
# T_REPLY; returns 0 for "ok ...", 1 otherwise. Bounded by the command's
# own timeout plus a margin.
#   t_cmd NAME COMMAND...
t_cmd() {
	local name=$1 wait
	shift
	wait=$((T_TIMEOUT + 10))
	T_REPLY=
	if ! t_alive "${T_GRAB_PID[$name]}"; then
		T_REPLY="fail client $name is not running"
		return 1
	fi
	printf '%s\n' "$*" >&"${T_GRAB_IN[$name]}"
	if ! read -r -t "$wait" T_REPLY <&"${T_GRAB_OUT[$name]}"; then
		T_REPLY="fail no answer to '$*' within ${wait}s"
		return 1
	fi
	echo "[$name] $* -> $T_REPLY" >>"$T_DIR/grab-$name.log"
	[[ $T_REPLY == ok* ]]
}

# t_cmd that must succeed.
t_cmd_ok() {
	local name=$1
	shift
	t_cmd "$name" "$@" || t_fail "client $name: $* -> $T_REPLY"
	t_log "$name: $* -> $T_REPLY"
}

# Stop client @name: "quit", then by PID if need be.
t_grab_stop() {
	local name=$1
	t_cmd "$name" quit >/dev/null 2>&1 || true
	t_stop "${T_GRAB_PID[$name]}" >/dev/null 2>&1 || true
	t_close_fd "${T_GRAB_IN[$name]}"
	t_close_fd "${T_GRAB_OUT[$name]}"
	unset "T_GRAB_PID[$name]"
}

# Check that an image file equals the reference (see imgcmp for options).
#   t_same "what" IMAGE REFERENCE [imgcmp option]...
t_same() {
	local what=$1 a=$2 b=$3 out
	shift 3
	out=$("$IMGCMP" "$@" "$a" "$b" 2>&1) ||
		t_fail "$what: $out"
	t_log "$what: $out"
}

# Wait until the root window of @display equals @ref (an xwd file),
# comparing with imgcmp options "$@"; for viewers that show what they
# decoded on their own display.
#   t_wait_display_match "what" DISPLAY REF [imgcmp option]...
t_wait_display_match() {
	local what=$1 display=$2 ref=$3 shot i out
	shift 3
	shot=$T_DIR/shot-${display#:}.xwd
	for ((i = 0; i < T_TIMEOUT * 4; i++)); do
		xwd -display "$display" -root -silent >"$shot" 2>/dev/null &&
			out=$("$IMGCMP" "$@" "$shot" "$ref" 2>&1) && {
			t_log "$what: $out"
			return 0
		}
		sleep 0.25
	done
	t_fail "$what: ${out:-no screenshot} (screenshot kept in $shot)"
}

# ---- third-party viewers ---------------------------------------------------

# Take a snapshot with vncsnapshot and compare it with @ref. vncsnapshot
# only writes JPEG files; at -quality 100 its output stays within a few
# levels of the decoded pixels, so channels may differ by at most 6 (of
# 255): far below any real decoding error (a wrong channel order, byte
# order, rectangle or bit depth). The transmission itself is lossless
# (-nojpeg); the cursor is left out (-nocursor).
#   t_check_vncsnapshot "what" ADDR REF [vncsnapshot option]...
t_check_vncsnapshot() {
	local what=$1 addr=$2 ref=$3 host port jpg
	shift 3
	t_require vncsnapshot jpegtopnm
	host=${addr%:*}
	port=${addr##*:}
	jpg=$T_DIR/snapshot-$port-$RANDOM.jpg
	t_run "$what: vncsnapshot" timeout "$T_TIMEOUT" vncsnapshot -quiet \
		-nojpeg -nocursor -quality 100 "$@" "$host::$port" "$jpg"
	jpegtopnm <"$jpg" >"${jpg%.jpg}.ppm" 2>/dev/null ||
		t_fail "$what: vncsnapshot wrote no readable JPEG"
	t_same "$what" "${jpg%.jpg}.ppm" "$ref" --tolerance 6
}

# Show the server with TigerVNC's vncviewer, full screen on a second Xvfb
# of the same size, and wait until that display equals @ref (compared at
# @bits, e.g. 8,8,8 or 3,3,2 for a low-colour format). The viewer is
# view-only, so it cannot move the served pointer. ADDR may be the path
# of a Unix socket.
#   t_check_vncviewer "what" ADDR REF WxHxD BITS [vncviewer option]...
t_check_vncviewer() {
	local what=$1 addr=$2 ref=$3 geometry=$4 bits=$5 host port vdpy vxvfb
	local target
	shift 5
	t_require vncviewer
	host=${addr%:*}
	port=${addr##*:}
	target=$host::$port
	# a Unix socket is given to vncviewer as its path
	[[ $addr == /* ]] && target=$addr port=unix
	t_start_xvfb vdpy "$geometry"
	vxvfb=$T_LAST_PID
	t_spawn "vncviewer-$port-${vdpy#:}" vncviewer -display "$vdpy" \
		-FullScreen -ViewOnly -Shared -AlertOnFatalError=0 \
		-ReconnectOnError=0 -AutoSelect=0 -NoJPEG \
		-PreferredEncoding=Raw "$@" "$target"
	T_VIEWER_PID=$T_LAST_PID
	t_wait_display_match "$what" "$vdpy" "$ref" --bits "$bits"
	t_alive "$T_VIEWER_PID" || t_fail "$what: vncviewer exited"
	t_stop "$T_VIEWER_PID" || true
	t_stop "$vxvfb" || true
}

# ---- JSON -----------------------------------------------------------------

# Print the value at a dotted path (listen.0.port) of the JSON file @1
# (null as "null", booleans as True/False).
#   t_json FILE PATH
t_json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print("null" if v is None else v)
PY
}

t_log "temporary files in $T_DIR"
