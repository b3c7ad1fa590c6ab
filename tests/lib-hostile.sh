# shellcheck shell=bash
# Functions of the hostile-viewer tests (tests/integration/hostile-*.sh),
# on top of tests/lib.sh, which must be sourced first. Each test runs one
# misbehaving client (tests/tools/rfb-hostile) beside a good viewer
# (vnc-grab, libvncclient) and checks, besides its own finding, that the
# good viewer's updates keep flowing.

RFB_HOSTILE=$T_TOOLS/rfb-hostile

# Start an Xvfb with a test pattern, xrfb on it with the given options,
# and the good viewer G (ZRLE, as viewers pick).
#   h_start [xrfb option]...
h_start() {
	t_require "$RFB_HOSTILE" "$VNC_GRAB" "$XPAINT"
	t_start_xvfb DPY 640x480x24
	t_paint "$DPY" 1
	t_start_xrfb --display "$DPY" "$@"
	t_grab_start G --encodings zrle "$XRFB_ADDR"
	H_SEED=1
}

# The good viewer still gets updates: a new pattern painted on the
# display reaches it exactly.
h_good_flows() {
	H_SEED=$((H_SEED + 1))
	t_paint "$DPY" "$H_SEED"
	t_xwd_stable "$DPY" "$T_DIR/ref-$H_SEED.xwd"
	t_cmd_ok G match "$T_DIR/ref-$H_SEED.xwd"
}

# Run rfb-hostile as client @name, in the background, and wait for its
# first line ("ok ..."), which goes to T_REPLY. It holds its connection
# until the test ends.
#   h_hostile_start NAME [rfb-hostile option]... MODE [ARG]...
h_hostile_start() {
	local name=$1
	shift
	t_cmdproc_start "$name" "$name" "$RFB_HOSTILE" "$@"
	t_cmdproc_ready "$name"
	t_log "$name: $T_REPLY"
}

# rfb-hostile once, in the foreground; its line goes to T_REPLY, and a
# "fail" line or a non-zero exit fails the test.
#   h_hostile "what" [rfb-hostile option]... MODE [ARG]...
h_hostile() {
	local what=$1
	shift
	T_REPLY=$(timeout $((T_TIMEOUT * 2)) "$RFB_HOSTILE" "$@" \
		2>>"$T_DIR/hostile.err") ||
		t_fail "$what: ${T_REPLY:-no answer} (rfb-hostile $*)"
	t_log "$what: $T_REPLY"
}

# The server's peak resident memory so far, in KiB (VmHWM).
h_peak_kb() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$XRFB_PID/status"
}

# The server's CPU time so far (user + system), in clock ticks.
h_cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$XRFB_PID/stat"
}
