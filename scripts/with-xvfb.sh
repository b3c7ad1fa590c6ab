#!/bin/sh
# Run a command inside a private virtual X server.
#
#   scripts/with-xvfb.sh [-s WxHxD] [--] COMMAND [ARG]...
#
# Starts Xvfb on a free display (chosen by Xvfb itself through -displayfd,
# so parallel runs never race for a number), without TCP and without
# server resets, exports DISPLAY, runs COMMAND and exits with its status.
# Xvfb is stopped by its PID when the command ends, fails or is
# interrupted.
set -eu

geometry=1024x768x24
while [ $# -gt 0 ]; do
	case $1 in
	-s) geometry=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "usage: $0 [-s WxHxD] [--] COMMAND [ARG]..." >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "usage: $0 [-s WxHxD] [--] COMMAND [ARG]..." >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/with-xvfb.XXXXXX")
xvfb_pid=
cleanup() {
	if [ -n "$xvfb_pid" ]; then
		kill "$xvfb_pid" 2>/dev/null || true
		wait "$xvfb_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

Xvfb -displayfd 3 -nolisten tcp -noreset -screen 0 "$geometry" \
	3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!

# -displayfd writes the number and a newline once the server accepts
# connections; give it 20 seconds
i=0
while :; do
	if [ -s "$tmp/display" ] && [ "$(tail -c 1 "$tmp/display" | od -An -c | tr -d ' ')" = '\n' ]; then
		break
	fi
	if ! kill -0 "$xvfb_pid" 2>/dev/null; then
		echo "with-xvfb: Xvfb exited:" >&2
		cat "$tmp/xvfb.log" >&2
		exit 1
	fi
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "with-xvfb: Xvfb did not start within 20 s" >&2
		exit 1
	fi
	sleep 0.1
done
DISPLAY=:$(head -n 1 "$tmp/display")
export DISPLAY

status=0
"$@" || status=$?
exit $status
