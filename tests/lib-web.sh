# shellcheck shell=bash
# Functions of the WebSocket tests (tests/integration/websocket*.sh), on
# top of tests/lib.sh, which must be sourced first: a small web root of
# their own, and ws-probe (tests/tools/ws-probe.py), the client written
# for them, that fails the test when a check of it fails.

WS_PROBE=$XRFB_TOP_SRCDIR/tests/tools/ws-probe.py

# A web root with three files of three content types; its path in WEB.
tw_web_root() {
	WEB=$T_DIR/web
	mkdir -p "$WEB/core" "$WEB/app/styles"
	printf '<!DOCTYPE html><title>t</title>\n' >"$WEB/vnc.html"
	printf 'export default 1;\n' >"$WEB/core/rfb.js"
	printf 'body { color: red }\n' >"$WEB/app/styles/base.css"
}

# Run ws-probe with the given arguments and print what it said.
#   probe ARG...
probe() {
	local out status
	out=$(python3 "$WS_PROBE" --timeout "$T_TIMEOUT" "$@" 2>&1) &&
		status=0 || status=$?
	printf '%s\n' "$out"
	[ $status -eq 0 ] || t_fail "ws-probe $*"
}
