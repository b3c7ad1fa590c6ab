# shellcheck shell=bash
# Functions of the desktop tests (tests/integration/desk-*.sh: cursor,
# resize, clipboard, keyboard, flow control), on top of tests/lib.sh,
# which must be sourced first.

RFB_EXT=$T_TOOLS/rfb-ext
DESK_GRAB=$T_TOOLS/desk-grab
XDESK=$T_TOOLS/xdesk
THROTTLE_PROXY=$T_TOOLS/throttle-proxy

# Start a client tool that reads commands on stdin and answers each line
# with one line ("ok ..." or "fail ..."), starting with "ok connected"; it
# becomes client @name for t_cmd / t_cmd_ok.
#   d_client_start NAME cmd [arg]...
d_client_start() {
	local name=$1
	shift
	t_cmdproc_start "$name" "$name" "$@"
	t_cmdproc_ready "$name"
	t_log "$name: $T_REPLY"
}

# rfb-ext as client @name of the server.
#   d_ext_start NAME [rfb-ext option]...
d_ext_start() {
	local name=$1
	shift
	t_require "$RFB_EXT"
	d_client_start "$name" "$RFB_EXT" --timeout-ms $((T_TIMEOUT * 1000)) \
		"$@" "$XRFB_ADDR"
}

# desk-grab (libvncclient) as client @name of the server.
#   d_grab_start NAME [desk-grab option]...
d_grab_start() {
	local name=$1
	shift
	t_require "$DESK_GRAB"
	d_client_start "$name" "$DESK_GRAB" --timeout-ms $((T_TIMEOUT * 1000)) \
		"$@" "$XRFB_ADDR"
}

# Start an X helper that prints one line when it is ready (xdesk cursor,
# keys, animate); the line goes into D_READY, its output into
# $T_DIR/NAME.log, its PID into D_PID. It runs until the test ends (its
# stdin is a pipe the test holds open).
#   d_xhelper NAME cmd [arg]...
d_xhelper() {
	local name=$1 i
	shift
	mkfifo "$T_DIR/$name.stdin"
	"$@" <"$T_DIR/$name.stdin" >"$T_DIR/$name.log" 2>&1 &
	D_PID=$!
	T_PIDS+=("$D_PID")
	T_PROC_NAME[$D_PID]=$name
	exec {D_FD}<>"$T_DIR/$name.stdin"
	for ((i = 0; i < T_TIMEOUT * 10; i++)); do
		D_READY=$(head -n 1 "$T_DIR/$name.log")
		[ -n "$D_READY" ] && return 0
		t_alive "$D_PID" || t_fail "$name exited: $(cat "$T_DIR/$name.log")"
		sleep 0.1
	done
	t_fail "$name did not get ready"
}

# TigerVNC's vncviewer on display @vdpy, connected to @addr; PID in
# D_VIEWER_PID.
#   d_vncviewer NAME VDPY ADDR [vncviewer option]...
d_vncviewer() {
	local name=$1 vdpy=$2 addr=$3
	shift 3
	t_require vncviewer
	t_spawn "$name" vncviewer -display "$vdpy" -Shared \
		-AlertOnFatalError=0 -ReconnectOnError=0 "$@" \
		"${addr%:*}::${addr##*:}"
	D_VIEWER_PID=$T_LAST_PID
}

# The geometry of the vncviewer window on @vdpy ("WxH").
d_viewer_size() {
	local id
	id=$(DISPLAY=$1 xdotool search --name 'TigerVNC' 2>/dev/null | head -n 1)
	[ -n "$id" ] || return 1
	xwininfo -display "$1" -id "$id" |
		awk '/Width:/ { w = $2 } /Height:/ { h = $2 } END { print w "x" h }'
}

# The size of the root window of @display ("WxH"), as xdpyinfo says.
d_screen_size() {
	xdpyinfo -display "$1" | sed -n 's/^ *dimensions: *\([0-9]*x[0-9]*\) .*/\1/p'
}

# Succeeds when the X selection @sel on @display holds exactly the bytes
# of @file (as UTF8_STRING).
#   d_selection_is DISPLAY SEL FILE
d_selection_is() {
	local got=$T_DIR/selection.$$.$RANDOM
	timeout 5 xclip -display "$1" -selection "$2" -o -t UTF8_STRING \
		>"$got" 2>/dev/null || { rm -f "$got"; return 1; }
	cmp -s "$got" "$3"
	local status=$?
	rm -f "$got"
	return $status
}

# Own selection @sel of @display with the bytes of @file, as an X
# application would (xclip stays to serve it; PID in D_XCLIP_PID), and
# return at once.
#   d_own_selection DISPLAY SEL FILE
d_own_selection() {
	t_require xclip
	t_spawn "xclip-${2}-$RANDOM" xclip -display "$1" -selection "$2" \
		-quiet -i "$3"
	D_XCLIP_PID=$T_LAST_PID
}

# d_own_selection, then wait until the selection reads back as @file.
# Not for a text xclip sends by INCR (over a megabyte): xclip serves one
# INCR transfer at a time and drops, or dies of, a second reader's (xrfb
# reads the selection too): wait for a viewer to get it instead.
#   d_set_selection DISPLAY SEL FILE
d_set_selection() {
	d_own_selection "$@"
	t_wait_for "$T_TIMEOUT" "xclip to own $2 on $1" \
		d_selection_is "$1" "$2" "$3"
}
