# shellcheck shell=bash
# Functions of the change-detection tests (tests/integration/change-*.sh),
# on top of tests/lib.sh, which must be sourced first.

XMOTION=$T_TOOLS/xmotion
XCOLORMAP=$T_TOOLS/xcolormap

# Start xmotion on @display as @name.
#   t_xmotion_start NAME DISPLAY
t_xmotion_start() {
	t_require "$XMOTION"
	t_cmdproc_start "$1" "$1" "$XMOTION" -display "$2"
}

# Send a command line to xmotion (or another command process) and fail
# the test unless it answers "ok".
#   t_xm NAME COMMAND...
t_xm() {
	local name=$1
	shift
	t_cmd "$name" "$@" || t_fail "$name: $* -> $T_REPLY"
}

# The CopyRect rectangles client @name has received so far, in T_COPYRECTS;
# its other counters in T_STATS.
#   t_copyrects NAME
t_copyrects() {
	t_cmd_ok "$1" stats
	T_STATS=$T_REPLY
	T_COPYRECTS=$(sed -n 's/.* copyrect \([0-9]*\) .*/\1/p' <<<"$T_REPLY")
	[ -n "$T_COPYRECTS" ] || t_fail "no copyrect counter in '$T_REPLY'"
}

# CPU time (user + system, clock ticks) a process has used so far.
#   t_cpu_ticks PID
t_cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || t_fail "no /proc/$1/stat"
	# the command name may hold spaces: fields count from after ')'
	stat=${stat##*) }
	# fields 14 and 15 of the line: utime, stime (12 and 13 here)
	awk '{ print $12 + $13 }' <<<"$stat"
}

# Start a private Xvfb with extra server arguments (see t_start_xvfb).
#   t_start_xvfb_args VAR WxHxD [Xvfb argument]...
t_start_xvfb_args() {
	local var=$1 geometry=$2 dfile i num name
	shift 2
	t_require Xvfb
	name=xvfb$((${#T_PIDS[@]} + 1))
	dfile=$T_DIR/$name.display
	: >"$dfile"
	Xvfb -displayfd 3 -nolisten tcp -noreset -screen 0 "$geometry" "$@" \
		3>"$dfile" >"$T_DIR/$name.log" 2>&1 &
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
	T_PROC_NAME[$T_LAST_PID]=$name
	num=
	for ((i = 0; i < T_TIMEOUT * 10; i++)); do
		num=$(head -n 1 "$dfile" 2>/dev/null)
		[ -n "$num" ] && break
		t_alive "$T_LAST_PID" || t_fail "Xvfb $geometry $* did not start"
		sleep 0.1
	done
	[ -n "$num" ] || t_fail "Xvfb $geometry $* did not report a display"
	printf -v "$var" ':%s' "$num"
	t_log "Xvfb $geometry $* on :$num (pid $T_LAST_PID)"
	t_blank_cursor ":$num"
}

# Wait for the content of @display to settle, dump it and wait until
# every client named equals it.
#   t_expect_match DISPLAY NAME...
T_EXPECT_N=0
t_expect_match() {
	local display=$1 ref c
	shift
	T_EXPECT_N=$((T_EXPECT_N + 1))
	ref=$T_DIR/expect$T_EXPECT_N.xwd
	t_xwd_stable "$display" "$ref"
	for c in "$@"; do
		t_cmd_ok "$c" match "$ref"
	done
	rm -f "$ref"
}

# Fail if the server's self-check ever found damage unreliable where it
# must be reliable (Xvfb's XDamage is exact).
t_damage_trusted() {
	if grep -q 'did not report a change' "$XRFB_ERR"; then
		t_fail "the damage self-check distrusted XDamage on Xvfb"
	fi
}
